// The STS provider's pure parts: SigV4 against AWS's published test vector, the AWS INI reader,
// session names, durations, the deny policy it writes on the role, and the endpoint check.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseIni, readAwsProfile } from "../../broker/providers/aws-profile.js";
import { awsEncode, signV4 } from "../../broker/providers/aws-sigv4.js";
import {
  allowedEndpoint,
  deniedSessions,
  denyPolicy,
  sessionDuration,
  sessionName,
} from "../../broker/providers/aws-sts.js";

describe("SigV4", () => {
  it("matches AWS's get-vanilla test vector (aws-sig-v4-test-suite)", () => {
    // The suite's documented example key, assembled at run time.
    const secret = ["wJalrXUtnFEMI", "K7MDENG+bPxRfiCY"].join("/") + "EXAMPLEKEY";
    const h = signV4({
      method: "GET",
      url: new URL("https://example.amazonaws.com/"),
      headers: {},
      body: "",
      region: "us-east-1",
      service: "service",
      credentials: { accessKeyId: ["AKIDEXAMPLE"].join(""), secretAccessKey: secret },
      now: new Date("2015-08-30T12:36:00Z"),
    });
    expect(h.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
    expect(h["x-amz-date"]).toBe("20150830T123600Z");
  });

  it("encodes as RFC 3986 wants (!'()* too) and signs a session token", () => {
    expect(awsEncode("a b!'()*~/")).toBe("a%20b%21%27%28%29%2A~%2F");
    const h = signV4({
      method: "POST",
      url: new URL("http://127.0.0.1:5000/"),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=GetCallerIdentity",
      region: "us-east-1",
      service: "sts",
      credentials: { accessKeyId: "ASIAX", secretAccessKey: "s", sessionToken: "tok" },
    });
    expect(h["x-amz-security-token"]).toBe("tok");
    expect(h.authorization).toContain(
      "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,",
    );
  });
});

describe("the AWS profile files", () => {
  it("parses sections, comments, nested blocks and `profile NAME` in the config file", () => {
    const ini = parseIni(
      "# c\n[default]\naws_access_key_id = A1 ; note\n  nested = x\n[profile  work]\nregion=eu-west-1\ns3 =\n  max_concurrent_requests = 5\n",
    );
    expect(ini.get("default")?.get("aws_access_key_id")).toBe("A1");
    expect(ini.get("default")?.has("nested")).toBe(false);
    expect(ini.get("profile work")?.get("region")).toBe("eu-west-1");
  });

  it("reads a profile's static keys; names what it does not read (SSO, credential_process)", () => {
    const dir = mkdtempSync(join(tmpdir(), "hookpack-awsini-"));
    try {
      writeFileSync(
        join(dir, "credentials"),
        "[work]\naws_access_key_id = K\naws_secret_access_key = S\n",
      );
      writeFileSync(
        join(dir, "config"),
        "[profile work]\nregion = eu-west-1\naws_session_token = T\n[profile sso]\nsso_session = x\n[profile proc]\ncredential_process = /bin/x\n",
      );
      const env = {
        HOME: dir,
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
        AWS_CONFIG_FILE: join(dir, "config"),
      };
      expect(readAwsProfile({ ...env, AWS_PROFILE: "work" })).toEqual({
        credentials: { accessKeyId: "K", secretAccessKey: "S", sessionToken: "T" },
        region: "eu-west-1",
      });
      expect(readAwsProfile(env, "sso").why).toMatch(/it uses SSO, which hookpack does not read/);
      expect(readAwsProfile(env, "proc").why).toMatch(/credential_process/);
      expect(readAwsProfile(env, "nope").why).toMatch(/AWS profile "nope" is not in/);
      expect(readAwsProfile(env).why).toMatch(/"default" is not in/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sessions and the role's deny", () => {
  it("session names fit STS's charset and 64 characters, whatever the agent's name", () => {
    for (const agent of [undefined, "claude-code", "a b/c:d*".repeat(10)]) {
      const n = sessionName(agent, "g_abcdefghijklmnopqrstuvwxyz", 1_800_000_000);
      expect(n).toMatch(/^[\w+=,.@-]{2,64}$/);
      expect(n.startsWith(`hp.${(1_800_000_000).toString(36)}.`)).toBe(true);
    }
  });

  it("durations are clamped to STS's 900 s minimum and 12 h maximum", () => {
    expect(sessionDuration(60_000)).toBe(900);
    expect(sessionDuration(20 * 60_000)).toBe(1200);
    expect(sessionDuration(48 * 3_600_000)).toBe(43_200);
  });

  it("the deny names each session by aws:userid and issue time, and reads back", () => {
    const doc = denyPolicy(
      ["hp.a.x.g_1.aa", "hp.b.x.g_2.bb"],
      new Date("2026-12-06T06:00:00.123Z"),
    );
    expect(JSON.parse(doc)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "HookpackRevokedSessions",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: {
            StringLike: { "aws:userid": ["*:hp.a.x.g_1.aa", "*:hp.b.x.g_2.bb"] },
            DateLessThan: { "aws:TokenIssueTime": "2026-12-06T06:00:00Z" },
          },
        },
      ],
    });
    expect(deniedSessions(doc)).toEqual(["hp.a.x.g_1.aa", "hp.b.x.g_2.bb"]);
    expect(deniedSessions("not json")).toEqual([]);
  });

  it("signed requests go only to AWS endpoints or this machine", () => {
    for (const ok of [
      "https://sts.eu-west-1.amazonaws.com",
      "https://sts.cn-north-1.amazonaws.com.cn",
      "https://vpce-1.sts.eu-west-1.vpce.amazonaws.com",
      "https://sts.eu-west-1.api.aws",
      "http://127.0.0.1:5000",
      "http://[::1]:5000",
      "http://localhost:4566",
    ])
      expect(allowedEndpoint(ok)).toBe(ok);
    for (const bad of [
      "http://sts.eu-west-1.amazonaws.com",
      "https://amazonaws.com.evil.example",
      "https://evilamazonaws.com",
      "https://user:pw@sts.us-east-1.amazonaws.com",
      "http://10.0.0.1:5000",
      "not a url",
    ])
      expect(() => allowedEndpoint(bad), bad).toThrow(/neither an AWS endpoint/);
  });
});
