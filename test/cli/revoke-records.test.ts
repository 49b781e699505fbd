// `hookpack revoke` takes its rotation steps from the detection rule records (issue 17 item 7):
// by the stored value's shape, else by the record's suggested name.
import { afterEach, describe, expect, it } from "vitest";
import { RULES } from "../../rules/detect.js";
import { fakeFor } from "../helpers/fake-secrets.js";
import { run, sandbox, setSecret, type Sandbox } from "../broker/helpers.js";

let sb: Sandbox | undefined;
afterEach(() => sb?.cleanup());

describe("revoke's rotation steps come from the records", () => {
  it("by value shape (a stored Anthropic key under an unrelated name) and by name (DD_API_KEY)", () => {
    sb = sandbox();
    const ant = RULES.find((r) => r.id === "anthropic-api-key")!;
    setSecret(sb, "MY_LLM_KEY", fakeFor(ant, 3));
    const r = run(sb, ["revoke", "MY_LLM_KEY", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { rotation: { issuer: string; steps: string[] } };
    expect(j.rotation.issuer).toBe("anthropic-api-key");
    expect(j.rotation.steps[0]).toContain(ant.rotate.steps);
    expect(r.stdout).not.toContain(fakeFor(ant, 3));

    const dd = RULES.find((x) => x.id === "datadog-api-key")!;
    setSecret(sb, "DD_API_KEY", "0123abcd".repeat(4));
    const d = JSON.parse(run(sb, ["revoke", "DD_API_KEY", "--json"]).stdout) as {
      rotation: { issuer: string; steps: string[] };
    };
    expect(d.rotation.issuer).toBe("datadog-api-key");
    expect(d.rotation.steps[0]).toContain(dd.rotate.steps);
  });
});
