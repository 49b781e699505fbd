// Character classes of JavaScript's regular expressions, for the rules' hand-written early-allow
// scanners (issue 21): a scanner that replaces a regex must split where the regex did.

/** JavaScript's `\s` (WhiteSpace and LineTerminator): tab to carriage return, Zs, U+FEFF, U+2028/9. */
export function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** JavaScript's `\w` without the `u` and `i` flags: `[A-Za-z0-9_]` (NaN, past either end: false). */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}
