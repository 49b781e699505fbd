// GitHub-shaped fakes for the benches, with a valid CRC32/base62 checksum (a failed checksum only
// grades weak), assembled at run time so no token-shaped string is in the source.
import { randomInt } from "node:crypto";

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (s) => {
  let c = -1;
  for (let i = 0; i < s.length; i++) c = CRC[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n) => {
  let o = "";
  do {
    o = B62[n % 62] + o;
    n = Math.floor(n / 62);
  } while (n > 0);
  return o.padStart(6, "0");
};

/** A classic GitHub PAT shape around `body` (30 characters; random when omitted). */
export function fakeGithubToken(
  body = Array.from({ length: 30 }, () => B62[randomInt(62)]).join(""),
) {
  return ["gh", "p_"].join("") + body + base62(crc32(body));
}
