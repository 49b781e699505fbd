// core/text-decode.ts: which NUL-holding buffers are UTF-16/32 text (decoded) and which stay binary.
import { describe, expect, it } from "vitest";
import { decodeWideString, decodeWideText } from "../../core/text-decode.js";
import { seeded } from "../helpers/fake-secrets.js";

const TEXT = 'API_KEY=abc123\r\nname = "Zoë 😀"\r\n# end\r\n';
const le = (s: string) => Buffer.from(s, "utf16le");
const be = (s: string) => Buffer.from(s, "utf16le").swap16();
const utf32 = (s: string, little: boolean) => {
  const cps = [...s].map((c) => c.codePointAt(0)!);
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => (little ? b.writeUInt32LE(cp, i * 4) : b.writeUInt32BE(cp, i * 4)));
  return b;
};
const cat = (...parts: Array<number[] | Buffer>) => Buffer.concat(parts.map((p) => Buffer.from(p)));

describe("decodeWideText", () => {
  it("decodes UTF-16LE/BE and UTF-32LE/BE by their BOM", () => {
    expect(decodeWideText(cat([0xff, 0xfe], le(TEXT)))).toBe(TEXT);
    expect(decodeWideText(cat([0xfe, 0xff], be(TEXT)))).toBe(TEXT);
    expect(decodeWideText(cat([0xff, 0xfe, 0, 0], utf32(TEXT, true)))).toBe(TEXT);
    expect(decodeWideText(cat([0, 0, 0xfe, 0xff], utf32(TEXT, false)))).toBe(TEXT);
  });

  it("decodes BOM-less UTF-16 of mostly-ASCII text by its NUL pattern, either byte order", () => {
    const ascii = "TOKEN=abcdef0123456789\nother=1\n".repeat(20);
    expect(decodeWideText(le(ascii))).toBe(ascii);
    expect(decodeWideText(be(ascii))).toBe(ascii);
    // A subarray with an offset (as tar entries are) reads the right bytes.
    const inBig = cat([1, 2, 3], le(ascii));
    expect(decodeWideText(inBig.subarray(3))).toBe(ascii);
  });

  it("leaves binaries binary: random bytes, zeros, uint16 tables, a PE-like header with a UTF-16 string table", () => {
    const rnd = seeded(7);
    const random = Buffer.from(Array.from({ length: 9000 }, () => Math.floor(rnd() * 256)));
    expect(decodeWideText(random)).toBeUndefined();
    expect(decodeWideText(Buffer.alloc(9000))).toBeUndefined();
    const table = Buffer.alloc(4000);
    for (let i = 0; i < 2000; i++) table.writeUInt16LE(i % 30, i * 2);
    expect(decodeWideText(table)).toBeUndefined();
    const pe = cat(Buffer.from("MZ"), random.subarray(0, 3000), le("ProductName\0Example\0"));
    expect(decodeWideText(pe)).toBeUndefined();
    // A BOM in front of binary bytes does not make them text.
    expect(decodeWideText(cat([0xff, 0xfe], table))).toBeUndefined();
    expect(decodeWideText(cat([0xff, 0xfe, 0, 0], Buffer.from([0xff, 0xff, 0xff, 0x7f])))).toBe(
      undefined,
    );
  });
});

describe("decodeWideString (git's UTF-8 view of UTF-16 bytes)", () => {
  it("decodes UTF-16LE/BE with the BOM turned into two U+FFFD, and BOM-less", () => {
    const ascii = "a=1\nTOKEN=abcdef0123456789\n";
    expect(decodeWideString(cat([0xff, 0xfe], le(ascii)).toString("utf8"))).toBe(ascii);
    expect(decodeWideString(cat([0xfe, 0xff], be(ascii)).toString("utf8"))).toBe(ascii);
    expect(decodeWideString(le(ascii).toString("utf8"))).toBe(ascii);
  });

  it("leaves text without NULs and binary-looking strings alone", () => {
    expect(decodeWideString("plain text\n")).toBeUndefined();
    expect(decodeWideString("a\0\0\0\u0001\u0002\0\0binary\0\0\0")).toBeUndefined();
  });
});
