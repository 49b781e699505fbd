// A throwaway TLS identity for a local HTTPS upstream (the relay refuses plain http): a self-signed
// certificate for 127.0.0.1 made with the openssl CLI (Debian's openssl package; the test fails
// with this message when it is missing, never passes silently).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsIdentity {
  key: string;
  cert: string;
  cleanup(): void;
}

export function selfSignedLoopbackCert(): TlsIdentity {
  const dir = mkdtempSync(join(tmpdir(), "hookpack-tls-"));
  const r = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0)
    throw new Error(
      `openssl could not make a test certificate (install the openssl package): ${r.error?.message ?? r.stderr}`,
    );
  return {
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
