// The random parts of a rewritten call, shared by `$secret:` and `$cap:` delivery: placeholders'
// nonces and the per-call key (WebCrypto: no module to load on the hook's path), and the hash a
// grant keeps of the whole rewritten call.

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
/** Random base32 text from the platform's CSPRNG (26 characters: a 130-bit key). */
export function randomBase32(length: number): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += B32[b & 31];
  return out;
}

/** sha256 hex of a text (a grant's callSha256). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("hex");
}

/** A rewritten call with its grant ids blanked: what a grant's callSha256 covers. */
export const offeredCallText = (text: string): string =>
  text.trim().replace(/--grant g_[a-z2-7]{26}\b/g, "--grant g_");
