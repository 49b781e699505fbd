// Local HTTPS upstreams on loopback for the phantom-token tests: an API that records every
// request and echoes what it got (in success and error bodies, so masking can be checked), and a
// git smart-HTTP server (git http-backend behind node:https) that wants basic auth. Their CA is
// made at test time with broker/ca.ts; the broker trusts it through HOOKPACK_BROKER_UPSTREAM_CA.
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:https";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createAuthority, issueLeafFrom } from "../../broker/ca.js";

export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Upstream {
  port: number;
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

export interface Pki {
  caFile: string;
  key: string;
  cert: string;
}

export function makePki(dir: string): Pki {
  const ca = createAuthority("hookpack test upstream CA");
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const cert = issueLeafFrom(
    ca,
    "hookpack test upstream CA",
    ["localhost", "127.0.0.1", "::1"],
    privateKey,
  );
  mkdirSync(dir, { recursive: true });
  const caFile = join(dir, "upstream-ca.pem");
  writeFileSync(caFile, ca.certPem);
  return { caFile, key: privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert };
}

/** Dual-stack when the machine has IPv6 (so "localhost" works whichever address it resolves to), else 127.0.0.1. */
async function listen(server: Server): Promise<number> {
  await new Promise<void>((res, rej) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EAFNOSUPPORT" && error.code !== "EADDRNOTAVAIL") return rej(error);
      server.listen(0, "127.0.0.1", () => res());
    });
    server.listen(0, "::", () => res());
  });
  return (server.address() as { port: number }).port;
}

/**
 * The API: /echo answers 200 with what it received; /fail answers 401 with the Authorization
 * header in the error body; /gzip answers the echo gzip-encoded. Everything is recorded.
 */
export async function startApi(pki: Pki): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const echo = JSON.stringify({
        authorization: req.headers.authorization ?? null,
        url: req.url,
        body,
      });
      if (req.url?.startsWith("/fail")) {
        res.writeHead(401, {
          "content-type": "text/plain",
          "x-echo": String(req.headers.authorization ?? ""),
        });
        res.end(
          `unauthorized: the token ${String(req.headers.authorization ?? "")} is not valid here\n`,
        );
      } else if (req.url?.startsWith("/enc")) {
        // The token this request carried, in the encodings a careless API might echo.
        const tok = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          `${JSON.stringify({ b64: Buffer.from(tok).toString("base64"), hex: Buffer.from(tok).toString("hex"), url: encodeURIComponent(tok) })}\n`,
        );
      } else if (req.url?.startsWith("/gzip")) {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
        res.end(gzipSync(echo));
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`${echo}\n`);
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    url: `https://localhost:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A bare repository with one commit on main, served by git http-backend; basic auth user:password required. */
export async function startGit(
  pki: Pki,
  dir: string,
  user: string,
  password: () => string,
): Promise<Upstream & { repo: string }> {
  const root = join(dir, "git-root");
  const work = join(dir, "git-seed");
  mkdirSync(root, { recursive: true });
  const git = (args: string[], cwd: string) => {
    const r = spawnSync("git", args, {
      cwd,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      },
    });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  };
  git(["init", "-q", "--bare", "-b", "main", "repo.git"], root);
  git(["config", "http.receivepack", "true"], join(root, "repo.git"));
  mkdirSync(work, { recursive: true });
  git(["init", "-q", "-b", "main"], work);
  writeFileSync(join(work, "README"), "seed\n");
  git(["add", "README"], work);
  git(["commit", "-qm", "seed"], work);
  git(["push", "-q", join(root, "repo.git"), "main"], work);
  const seen: Seen[] = [];
  const server = createServer(
    { key: pki.key, cert: pki.cert },
    (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" });
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
      const creds = auth ? Buffer.from(auth[1]!, "base64").toString("utf8") : "";
      if (creds !== `${user}:${password()}`) {
        res.writeHead(401, {
          "www-authenticate": 'Basic realm="test"',
          "content-type": "text/plain",
        });
        res.end(`authentication failed for ${creds || "nobody"}\n`);
        req.resume();
        return;
      }
      const u = new URL(req.url ?? "/", "https://x");
      const cgi = spawn("git", ["http-backend"], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: "1",
          GIT_CONFIG_NOSYSTEM: "1",
          REQUEST_METHOD: req.method,
          PATH_INFO: decodeURIComponent(u.pathname),
          QUERY_STRING: u.search.slice(1),
          CONTENT_TYPE: req.headers["content-type"] ?? "",
          REMOTE_USER: user,
          REMOTE_ADDR: "127.0.0.1",
          ...(req.headers["content-encoding"]
            ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) }
            : {}),
          ...(req.headers["git-protocol"]
            ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) }
            : {}),
        },
        stdio: ["pipe", "pipe", "inherit"],
      });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let started = false;
      cgi.stdout.on("data", (c: Buffer) => {
        if (started) return void res.write(c);
        head = Buffer.concat([head, c]);
        const i = head.indexOf("\r\n\r\n");
        if (i === -1) return;
        started = true;
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of head.subarray(0, i).toString("latin1").split("\r\n")) {
          const m = /^([^:]+):\s*(.*)$/.exec(line);
          if (!m) continue;
          if (m[1]!.toLowerCase() === "status") status = Number(m[2]!.split(" ")[0]);
          else headers[m[1]!] = m[2]!;
        }
        res.writeHead(status, headers);
        res.write(head.subarray(i + 4));
      });
      cgi.on("close", () => res.end());
    },
  );
  const port = await listen(server);
  return {
    port,
    url: `https://localhost:${port}`,
    repo: join(root, "repo.git"),
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A Python with `requests` (Debian's python3-requests first), or why there is none. */
export function pythonWithRequests(): { python?: string; why?: string } {
  for (const p of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(p, ["-c", "import requests"], { stdio: "ignore" }).status === 0)
      return { python: p };
  }
  return {
    why: "no python3 with the requests module (test/broker/proxy-deps.sh installs Debian's python3-requests as root)",
  };
}

export const encodings = (v: string): string[] => [
  v,
  Buffer.from(v).toString("base64"),
  Buffer.from(v).toString("base64url"),
  Buffer.from(v).toString("hex"),
  encodeURIComponent(v),
  [...v].reverse().join(""),
];
