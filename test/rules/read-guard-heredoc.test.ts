// sec-heredoc: the shell front end's view of a shell that reads its script from stdin or a
// descriptor (shellReads in rules/read-guard-shell.ts, the scanner fields it uses in
// rules/shell-scan.ts). The attacks through the real hook are in
// test/security/read-guard-heredoc.attack.test.ts; this pins down what each form yields.
import { describe, expect, it } from "vitest";
import { ANY, shellReads } from "../../rules/read-guard-shell.js";
import { argvOf, scanShell } from "../../rules/shell-scan.js";

const env = { home: "/h", cwd: "/p" };
const reads = (c: string) =>
  shellReads(c, env).map((o) => `${o.kind}:${o.word.replace(ANY, "*ANY*")}@${o.program}`);

describe("shell-scan: what a shell's stdin script needs", () => {
  it("records every here-document body with its descriptor, quoted or not", () => {
    const c = "cat <<A | sh 3<<'B'\nx $Y\nA\ny\nB";
    const s = scanShell(c);
    const [cat, sh] = s.commands;
    expect(cat!.heredocBodies!.map((h) => [h.fd, h.quoted, c.slice(h.start, h.end)])).toEqual([
      [0, false, "x $Y\n"],
    ]);
    expect(sh!.heredocBodies!.map((h) => [h.fd, h.quoted, c.slice(h.start, h.end)])).toEqual([
      [3, true, "y\n"],
    ]);
    expect(sh!.pipeFrom).toBe(cat);
  });
  it("a pipe keeps its producer across a newline; a compound producer is marked", () => {
    const a = scanShell("echo a |\n sh");
    expect(a.commands[1]!.pipeFrom).toBe(a.commands[0]);
    for (const c of ["(echo a) | sh", "{ echo a; } | sh", "for x in a; do echo $x; done | sh"]) {
      const s = scanShell(c);
      expect(s.commands.at(-1)!.pipeFromGroup, c).toBe(true);
    }
    expect(scanShell("echo a; sh").commands[1]!.pipeFrom).toBeUndefined();
  });
  it("a process substitution word spans from its `<(`", () => {
    const c = "bash <(echo x) y";
    const top = scanShell(c).commands.find((k) => k.level === 0)!;
    expect(argvOf(top).map((w) => c.slice(w.start, w.end))).toEqual(["bash", "<(echo x)", "y"]);
  });
});

describe("shellReads: a shell's script from stdin or a descriptor is analysed", () => {
  for (const c of [
    "sh <<EOF\ncat .env\nEOF",
    "bash <<'X'\ncat .env\nX",
    "sh <<-EOF\n\tcat .env\n\tEOF",
    'bash <<< "cat .env"',
    'F=.env; bash <<< "cat $F"',
    "echo cat .env | sh",
    "printf 'cat .env\\n' | bash",
    "cat <<EOF | sh\ncat .env\nEOF",
    "bash <(echo cat .env)",
    ". <(echo cat .env)",
    'source /dev/stdin <<< "cat .env"',
    "exec 3<<EOF\ncat .env\nEOF\nbash /dev/fd/3",
    "env bash -s <<EOF\ncat .env\nEOF",
    "cat > s.sh <<EOF\ncat .env\nEOF\nsh s.sh",
    "sh <<EOF\r\ncat .env\r\nEOF\r\n",
  ])
    it(JSON.stringify(c), () => expect(reads(c)).toContain("path:.env@cat"));

  for (const c of [
    'printf "cat .e%s" nv | bash',
    "curl -s http://127.0.0.1:9/x | sh",
    "(echo cat .env) | sh",
    "bash <(printf 'cat .e%s' nv)",
    "sh <<EOF\n$(printf x)\nEOF",
    "base64 -d x > s; bash s",
  ])
    it(`run-time script: ${JSON.stringify(c)}`, () =>
      expect(reads(c).some((r) => /^dynamic:\*ANY\*@(bash|sh)$/.test(r))).toBe(true));

  for (const c of [
    "cat > notes.md <<'EOF'\ncat .env\nEOF",
    "git commit -F - <<EOF\nstop tracking .env\nEOF",
    "sh <<EOF\nls\nEOF",
    "bash script.sh <<EOF\ncat .env\nEOF",
    "echo 'cat .env' | sh -c 'wc -l'",
    "echo 'cat .env' | grep sh",
  ])
    it(`not a script the guard must follow: ${JSON.stringify(c)}`, () => {
      expect(reads(c)).not.toContain("path:.env@cat");
      expect(reads(c).some((r) => r.startsWith("dynamic:*ANY*"))).toBe(false);
    });
});
