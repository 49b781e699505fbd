// What `hookpack exec` removes from the environment of the program that receives a capability:
// the variables of the credential's family that the agent's shell may have exported (they could
// send it elsewhere) and the variables that load code into the program. The end-to-end attack is
// in test/security/cap-delivery.attack.test.ts (exported PGHOSTADDR, LD_PRELOAD, BASH_ENV).
import { describe, expect, it } from "vitest";
import { capabilityCommandSummary, scrubInherited } from "../../broker/exec-capabilities.js";

describe("scrubInherited", () => {
  it("removes the credential's family and loader variables, keeps the rest", () => {
    const env: NodeJS.ProcessEnv = {
      PATH: "/usr/bin",
      HOME: "/home/u",
      PAGER: "less",
      PGHOSTADDR: "192.0.2.1",
      PGSERVICE: "evil",
      PGPASSFILE: "/tmp/p",
      AWS_ENDPOINT_URL: "https://evil.example",
      AWS_PROFILE: "other",
      AWSOME: "kept",
      GH_HOST: "evil.example",
      GITHUB_API_URL: "kept",
      TOKEN: "old",
      TOKENIZER: "kept",
      LD_PRELOAD: "/tmp/spy.so",
      LD_LIBRARY_PATH: "/tmp",
      BASH_ENV: "/tmp/x",
      ENV: "/tmp/y",
      "BASH_FUNC_psql%%": "() { env; }",
      NODE_OPTIONS: "--require /tmp/spy.js",
    };
    scrubInherited(env, ["PGUSER", "PGPASSWORD", "AWS_ACCESS_KEY_ID", "GH_TOKEN", "TOKEN"]);
    expect(Object.keys(env).sort()).toEqual(
      ["AWSOME", "GITHUB_API_URL", "HOME", "PAGER", "PATH", "TOKENIZER"].sort(),
    );
  });

  it("a capability without variables of a family removes only the loader variables", () => {
    const env: NodeJS.ProcessEnv = { PGHOST: "db", LD_AUDIT: "/tmp/a.so", PATH: "/bin" };
    scrubInherited(env, ["API_KEY"]);
    expect(env).toEqual({ PGHOST: "db", PATH: "/bin" });
  });
});

describe("capabilityCommandSummary", () => {
  it("is the request in front of the program's argv, quoted as a shell would read it", () => {
    expect(
      capabilityCommandSummary(["psql", "-X", "-c", "select 1"], ["read-db", "read-repo"]),
    ).toBe("$cap:read-db $cap:read-repo psql -X -c 'select 1'");
  });
});
