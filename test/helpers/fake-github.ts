// A contract fake of the GitHub App installation-token API (REST 2022-11-28), loopback only:
//   POST /app/installations/:id/access_tokens  Bearer <App JWT>: the JWT's RS256 signature is
//        checked against the App's public key (iss = App id, exp at most 10 min after iat, not
//        expired); the body may only narrow repositories and permissions (422 otherwise); 201 with
//        {token, expires_at (+1 h), permissions, repositories}.
//   DELETE /installation/token                 Bearer <token>: 204, the token is dead.
//   GET /installation/repositories             Bearer <token>: 200, or 401 for an unknown, revoked or expired token.
//   GET /repos/:owner/:repo                    Bearer <token>: 200 when the token covers the repo, 404 when not, 401 when dead.
// No GitHub-compatible server runs on the project's machines (see backends.md §5).
import { createPublicKey, createVerify, randomBytes } from "node:crypto";
import { createServer } from "node:http";

export interface FakeGithubOptions {
  appId: string;
  publicKeyPem: string;
  installationId: number;
  owner: string;
  /** What the installation covers. */
  repositories: string[];
  permissions: Record<string, "read" | "write">;
}

interface Issued {
  token: string;
  repositories: string[];
  permissions: Record<string, string>;
  expires: number;
  revoked: boolean;
}

export interface FakeGithub {
  api: string;
  issued: Issued[];
  requests: Array<{ method: string; path: string; body: string }>;
  close(): Promise<void>;
}

const LEVEL = { read: 1, write: 2 } as Record<string, number>;

export async function startFakeGithub(o: FakeGithubOptions): Promise<FakeGithub> {
  const key = createPublicKey(o.publicKeyPem);
  const issued: Issued[] = [];
  const requests: FakeGithub["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const path = new URL(req.url ?? "/", "http://x").pathname;
      requests.push({ method: req.method ?? "", path, body: raw });
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
      const live = () =>
        issued.find((t) => t.token === bearer && !t.revoked && t.expires > Date.now());
      const mintPath = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
      if (req.method === "POST" && mintPath) {
        const parts = bearer.split(".");
        if (parts.length !== 3)
          return send(401, { message: "A JSON web token could not be decoded" });
        const ok = createVerify("RSA-SHA256")
          .update(`${parts[0]}.${parts[1]}`)
          .verify(key, Buffer.from(parts[2]!, "base64url"));
        if (!ok) return send(401, { message: "A JSON web token could not be decoded" });
        const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as {
          iat: number;
          exp: number;
          iss: string;
        };
        const now = Date.now() / 1000;
        if (
          String(claims.iss) !== o.appId ||
          claims.exp - claims.iat > 600 ||
          claims.exp < now ||
          claims.iat > now + 60
        )
          return send(401, { message: "'Expiration time' claim ('exp') is too far in the future" });
        if (Number(mintPath[1]) !== o.installationId) return send(404, { message: "Not Found" });
        const body = raw
          ? (JSON.parse(raw) as { repositories?: string[]; permissions?: Record<string, string> })
          : {};
        const repos = body.repositories ?? o.repositories;
        if (repos.some((r) => !o.repositories.includes(r)))
          return send(422, {
            message:
              "There is at least one repository that does not exist or is not accessible to the parent installation.",
          });
        const perms = body.permissions ?? o.permissions;
        for (const [k, v] of Object.entries(perms)) {
          if (!(k in o.permissions) || LEVEL[v]! > LEVEL[o.permissions[k]!]!)
            return send(422, {
              message: `The permissions requested are not granted to this installation.`,
            });
        }
        const token = `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "a").slice(0, 36)}`;
        const t: Issued = {
          token,
          repositories: repos,
          permissions: perms,
          expires: Date.now() + 3600_000,
          revoked: false,
        };
        issued.push(t);
        return send(201, {
          token,
          expires_at: new Date(t.expires).toISOString().replace(/\.\d+Z$/, "Z"),
          permissions: perms,
          repository_selection: "selected",
          repositories: repos.map((name) => ({ name, full_name: `${o.owner}/${name}` })),
        });
      }
      if (req.method === "DELETE" && path === "/installation/token") {
        const t = live();
        if (!t) return send(401, { message: "Bad credentials" });
        t.revoked = true;
        return send(204);
      }
      if (req.method === "GET" && path === "/installation/repositories") {
        const t = live();
        if (!t) return send(401, { message: "Bad credentials" });
        return send(200, {
          total_count: t.repositories.length,
          repositories: t.repositories.map((name) => ({ name, full_name: `${o.owner}/${name}` })),
        });
      }
      const repo = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
      if (req.method === "GET" && repo) {
        const t = live();
        if (!t) return send(401, { message: "Bad credentials" });
        if (repo[1] !== o.owner || !t.repositories.includes(repo[2]!))
          return send(404, { message: "Not Found" });
        return send(200, { name: repo[2], full_name: `${o.owner}/${repo[2]}`, private: true });
      }
      return send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    api: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    issued,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
