// A local HTTPS upstream for the relay tests (the relay refuses plain http): records every request
// and answers JSON, or a short SSE stream on /v1/stream.
import https from "node:https";
import type { TlsIdentity } from "./tls.js";

export interface Upstream {
  url: string;
  seen: Array<{
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>;
  close(): Promise<void>;
}

/** An HTTPS server on loopback that records every request and answers JSON, or SSE on /stream. */
export async function startUpstream(tls: TlsIdentity): Promise<Upstream> {
  const seen: Upstream["seen"] = [];
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      if (req.url?.startsWith("/v1/stream")) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        let i = 0;
        const tick = setInterval(() => {
          res.write(`event: delta\ndata: {"i":${i}}\n\n`);
          if (++i === 5) {
            clearInterval(tick);
            res.end("event: done\ndata: {}\n\n");
          }
        }, 5);
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
      res.end(JSON.stringify({ ok: true, n: seen.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
