// Wide text (UTF-16, UTF-32) for the scanners. A file with a NUL byte in its first 8 KB is
// treated as binary and not scanned; UTF-16 text (what Windows tools write: .env, .ps1, .reg and
// config exports) has a NUL in every other byte, so without this a credential written as UTF-16
// passes every scan. Callers run this only on files already judged binary, so text files pay
// nothing. Recognised: a UTF-32 or UTF-16 byte order mark, and BOM-less UTF-16 by its NUL pattern
// (≥ 90% of the odd, or of the even, bytes of the first 8 KB are NUL, the others almost never).
// Anything else stays binary (undefined).

/** How much of the start is looked at to decide. */
const SNIFF_BYTES = 8000;

/** The text of `buf` when it is UTF-16 or UTF-32 text; undefined when it is binary. */
export function decodeWideText(buf: Uint8Array): string | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let text: string | undefined;
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0)
    text = utf32(b.subarray(4), true);
  else if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)
    text = utf32(b.subarray(4), false);
  else if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) text = utf16(b.subarray(2), true);
  else if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) text = utf16(b.subarray(2), false);
  else {
    const le = bomlessUtf16(b);
    if (le !== undefined) text = utf16(b, le);
  }
  return text !== undefined && looksLikeText(text) ? text : undefined;
}

/** true: little-endian, false: big-endian, undefined: not UTF-16 by its NUL pattern. */
function bomlessUtf16(b: Buffer): boolean | undefined {
  const n = Math.min(b.length, SNIFF_BYTES) & ~1;
  if (n < 8) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenNul++;
    if (b[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul >= pairs * 0.9 && evenNul <= pairs * 0.02) return true;
  if (evenNul >= pairs * 0.9 && oddNul <= pairs * 0.02) return false;
  return undefined;
}

function utf16(b: Buffer, littleEndian: boolean): string {
  const even = b.subarray(0, b.length & ~1);
  if (littleEndian) return even.toString("utf16le");
  const swapped = Buffer.from(even);
  swapped.swap16();
  return swapped.toString("utf16le");
}

function utf32(b: Buffer, littleEndian: boolean): string | undefined {
  const parts: string[] = [];
  let chunk: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const cp = littleEndian ? b.readUInt32LE(i) : b.readUInt32BE(i);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    chunk.push(cp);
    if (chunk.length === 4096) {
      parts.push(String.fromCodePoint(...chunk));
      chunk = [];
    }
  }
  parts.push(String.fromCodePoint(...chunk));
  return parts.join("");
}

/** Decoded text of a real text file: almost no control characters in its first 4,000 characters. */
function looksLikeText(text: string): boolean {
  const n = Math.min(text.length, SNIFF_BYTES / 2);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0xfffd) bad++;
  }
  return bad <= n * 0.02;
}

/**
 * The same for bytes already decoded as UTF-8 (git's diff output, read with --text): UTF-16 text
 * arrives there with a NUL between its characters and its BOM as two U+FFFD. Each character is
 * taken back as one byte (ASCII and NUL are exact; anything else becomes "?"), then decoded as
 * above. Undefined when `text` has no NUL or is not UTF-16 by its NUL pattern.
 */
export function decodeWideString(text: string): string | undefined {
  if (!text.includes("\0")) return undefined;
  const from = text.startsWith("\ufffd\ufffd") ? 2 : 0;
  const bytes = Buffer.allocUnsafe(text.length - from);
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[i - from] = c < 0x100 ? c : 0x3f;
  }
  const le = bomlessUtf16(bytes);
  if (le === undefined) return undefined;
  const decoded = utf16(bytes, le);
  return looksLikeText(decoded) ? decoded : undefined;
}
