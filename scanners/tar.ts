// An in-memory reader for (gzipped) tar archives. It never extracts: entries come back with their
// raw names and their bodies as views of the decompressed buffer, so an auditor sees exactly what
// the archive claims. Handles ustar `prefix`, PAX `x`/`g` records (path, linkpath, size), GNU `L`/`K`
// long names, base-256 sizes and checksums; caps the decompressed size and the entry count.
import { gunzipSync } from "node:zlib";

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  /** The name exactly as the archive gives it (after PAX/GNU/prefix resolution). */
  name: string;
  type: TarEntryType;
  /** The raw typeflag character ("0", "5", "2", …). */
  typeflag: string;
  size: number;
  mode: number;
  linkname: string;
  /** The entry's bytes (regular files only), a view into the decompressed archive. */
  body: Buffer | undefined;
}

export interface TarLimits {
  /** Maximum decompressed size in bytes (default 512 MiB). */
  maxBytes?: number;
  /** Maximum number of entries (default 200,000). */
  maxEntries?: number;
}

export class TarError extends Error {
  readonly code: "TAR_TOO_LARGE" | "TAR_TOO_MANY_ENTRIES" | "TAR_CORRUPT" | "TAR_GZIP";
  constructor(code: TarError["code"], message: string) {
    super(message);
    this.name = "TarError";
    this.code = code;
  }
}

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 200_000;

/** Decompresses when gzipped (magic 1f 8b), refusing output beyond `maxBytes`. */
export function gunzipCapped(data: Buffer, maxBytes = DEFAULT_MAX_BYTES): Buffer {
  if (data.length < 2 || data[0] !== 0x1f || data[1] !== 0x8b) {
    if (data.length > maxBytes)
      throw new TarError("TAR_TOO_LARGE", `the archive is larger than the ${maxBytes}-byte limit`);
    return data;
  }
  try {
    return gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw new TarError(
        "TAR_TOO_LARGE",
        `the archive decompresses to more than the ${maxBytes}-byte limit (a gzip bomb, or raise --max-bytes)`,
      );
    }
    throw new TarError("TAR_GZIP", `the archive is not valid gzip (${(error as Error).message})`);
  }
}

const cstring = (buf: Buffer, start: number, length: number): string => {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString("utf8");
};

/** Octal, or base-256 when the high bit of the first byte is set (GNU/star for big values). */
function numeric(buf: Buffer, start: number, length: number): number {
  const first = buf[start]!;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + buf[i]!;
    return value;
  }
  const text = cstring(buf, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return Number.NaN;
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = numeric(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** PAX extended header records: "<len> <key>=<value>\n". */
function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(body.subarray(pos, space).toString("ascii"), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > body.length) break;
    const record = body.subarray(space + 1, pos + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "5": "directory",
  "2": "symlink",
  "1": "hardlink",
};

/** Lists a tar (or .tgz) archive in memory. */
export function readTar(input: Buffer, limits: TarLimits = {}): TarEntry[] {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const buf = gunzipCapped(input, limits.maxBytes ?? DEFAULT_MAX_BYTES);
  const entries: TarEntry[] = [];
  let global: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let pos = 0;
  let headers = 0;
  while (pos + 512 <= buf.length) {
    const header = buf.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break; // end of archive
    if (!checksumOk(header))
      throw new TarError("TAR_CORRUPT", `bad header checksum at byte ${pos}`);
    if (++headers > maxEntries * 4)
      throw new TarError("TAR_TOO_MANY_ENTRIES", `more than ${maxEntries} entries`);
    const typeflag = String.fromCharCode(header[156]!);
    let size = numeric(header, 124, 12);
    const isMeta = typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K";
    if (!isMeta) {
      const sizeOverride = pax.size ?? global.size;
      if (sizeOverride !== undefined && /^\d+$/.test(sizeOverride)) size = Number(sizeOverride);
    }
    if (!Number.isFinite(size) || size < 0)
      throw new TarError("TAR_CORRUPT", `bad size field at byte ${pos}`);
    const bodyStart = pos + 512;
    const bodyEnd = bodyStart + size;
    if (bodyEnd > buf.length)
      throw new TarError("TAR_CORRUPT", `entry at byte ${pos} runs past the end of the archive`);
    const body = buf.subarray(bodyStart, bodyEnd);
    pos = bodyStart + Math.ceil(size / 512) * 512;

    if (typeflag === "x") {
      pax = { ...pax, ...parsePax(body) };
      continue;
    }
    if (typeflag === "g") {
      global = { ...global, ...parsePax(body) };
      continue;
    }
    if (typeflag === "L") {
      longName = cstring(body, 0, body.length);
      continue;
    }
    if (typeflag === "K") {
      longLink = cstring(body, 0, body.length);
      continue;
    }
    const magic = header.subarray(257, 262).toString("latin1");
    const prefix = magic === "ustar" ? cstring(header, 345, 155) : "";
    const baseName = cstring(header, 0, 100);
    const name =
      pax.path ?? longName ?? global.path ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const linkname = pax.linkpath ?? longLink ?? global.linkpath ?? cstring(header, 157, 100);
    const type = TYPES[typeflag] ?? "other";
    if (entries.length >= maxEntries)
      throw new TarError("TAR_TOO_MANY_ENTRIES", `more than ${maxEntries} entries`);
    entries.push({
      name,
      type,
      typeflag,
      size,
      mode: numeric(header, 100, 8) || 0,
      linkname,
      body: type === "file" ? body : undefined,
    });
    pax = {};
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}

/** Builds a ustar archive in memory. For tests and fixtures; names over 100 bytes use PAX. */
export function writeTar(
  entries: ReadonlyArray<{
    name: string;
    body?: Buffer | string;
    typeflag?: string;
    linkname?: string;
    mode?: number;
    prefix?: string;
    gnuLongName?: boolean;
  }>,
): Buffer {
  const blocks: Buffer[] = [];
  const header = (
    name: string,
    size: number,
    typeflag: string,
    linkname = "",
    mode = 0o644,
    prefix = "",
  ) => {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, "utf8");
    h.write(mode.toString(8).padStart(7, "0"), 100, "ascii");
    h.write("0000000", 108, "ascii");
    h.write("0000000", 116, "ascii");
    h.write(size.toString(8).padStart(11, "0"), 124, "ascii");
    h.write("00000000000", 136, "ascii");
    h.write(typeflag, 156, "latin1");
    h.write(linkname, 157, 100, "utf8");
    h.write("ustar\u000000", 257, "latin1");
    h.write(prefix, 345, 155, "utf8");
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    return h;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    let name = e.name;
    if (Buffer.byteLength(name) > 100 && !e.prefix) {
      if (e.gnuLongName) {
        const ln = Buffer.from(`${name}\0`);
        blocks.push(header("././@LongLink", ln.length, "L"), pad(ln));
      } else {
        const rec = (k: string, v: string) => {
          const payload = ` ${k}=${v}\n`;
          let len = Buffer.byteLength(payload) + 1;
          while (String(len).length + Buffer.byteLength(payload) !== len)
            len = String(len).length + Buffer.byteLength(payload);
          return `${len}${payload}`;
        };
        const paxBody = Buffer.from(rec("path", name));
        blocks.push(header("PaxHeader", paxBody.length, "x"), pad(paxBody));
      }
      name = name.slice(0, 99);
    }
    blocks.push(
      header(
        name,
        e.typeflag === "5" || e.typeflag === "2" || e.typeflag === "1" ? 0 : body.length,
        e.typeflag ?? "0",
        e.linkname ?? "",
        e.mode ?? 0o644,
        e.prefix ?? "",
      ),
    );
    if (body.length > 0) blocks.push(pad(body));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
