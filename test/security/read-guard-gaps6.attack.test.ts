// sec-gaps6: an interpreter's script file is read at hook time and its literals checked
// (sec-gaps5), but the local code it runs was not: a file it executes (`exec(open('y').read())`,
// two levels down) or a module next to it (`import helper` / `from .lib import x` /
// `require('./helper')` / `import … from './helper.mjs'`) that opens `.env`. The guard now follows
// local code two levels (bounded: the 32-file, 1 MiB-a-file limits of script files).
// Every attempt goes through the real hook process (`hookpack hook claude-code`, dist/) in a
// project whose `.env` holds a GitHub-token-shaped value (built at run time) and a managed value.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { preToolUse } from "../helpers/hook-run.js";
import { managedValue as randomManagedValue, plantDotenv } from "../helpers/dotenv-fixture.js";
import { sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

const tokens = fakeTokens(45);
const managedValue = randomManagedValue();
let sb: Sandbox;

const FILES: Record<string, string> = {
  // exec / runpy two levels down: a.py → y → z, which opens .env.
  "a.py": "exec(open('y').read())\n",
  y: "exec(open('z').read())\n",
  z: "print(open('.env').read())\n",
  "b.py": "import runpy\nrunpy.run_path('z')\n",
  "c.py": "exec(compile(open('lvl1.txt').read(), 'x', 'exec'))\n",
  "lvl1.txt": "exec(open('z').read())\n",
  // Python imports of a module beside the script.
  "tools/main.py": "import helper\nhelper.show()\n",
  "tools/helper.py": "def show():\n    print(open('.env').read())\n",
  "pkg/run.py": "from .lib import show\nshow()\n",
  "pkg/lib.py": "def show():\n    print(open('.env').read())\n",
  "imp.py": "import os, json, leak\n",
  "leak.py": "print(open('.env').read())\n",
  "deep.py": "import mid\n",
  "mid.py": "import leak\n",
  // node: require / import of a local module.
  "m.js": "const h = require('./h');\nh();\n",
  "h.js": "module.exports = () => console.log(require('fs').readFileSync('.env', 'utf8'));\n",
  "m.mjs": "import { show } from './h2.mjs';\nshow();\n",
  "h2.mjs":
    "import { readFileSync } from 'node:fs';\nexport const show = () => console.log(readFileSync('.env', 'utf8'));\n",
  "lib/index.js": "console.log(require('fs').readFileSync('.env', 'utf8'));\n",
  "d.js": "require('./lib');\n",
  // Ruby / Perl.
  "r.rb": "require_relative 'rh'\n",
  "rh.rb": "puts File.read('.env')\n",
  "p.pl": "do './ph.pl';\n",
  "ph.pl": "open(my $f, '<', '.env'); print <$f>;\n",
  // Everyday code: imports of installed packages and of harmless local modules.
  "app.py":
    "import os, sys, json\nfrom pathlib import Path\nimport util\nprint(util.add(1, 2), json.dumps({'ok': True}))\n",
  "util.py": "def add(a, b):\n    return a + b\n",
  "server.js":
    "const http = require('http');\nconst { add } = require('./add');\nhttp.createServer((q, s) => s.end(String(add(1, 2)))).listen(process.env.PORT || 3000);\n",
  "add.js": "exports.add = (a, b) => a + b;\n",
  "many.py": `${Array.from({ length: 60 }, (_, i) => `import mod${i}`).join("\n")}\nprint('ok')\n`,
  "run_cfg.py": "exec(open('config.py').read())\nprint(NAME)\n",
  "config.py": "NAME = 'demo'\n",
};

beforeAll(async () => {
  sb = sandbox();
  await plantDotenv(sb, managedValue, tokens.github);
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(sb.project, name, ".."), { recursive: true });
    writeFileSync(join(sb.project, name), text);
  }
});
afterAll(() => sb?.cleanup());

const preBash = (command: string) =>
  preToolUse(
    sb,
    "Bash",
    { command },
    { session_id: "s-gaps6", tool_use_id: "toolu_g6" },
    { env: { HOOKPACK_KEY_BACKEND: "file" } },
  );

const ATTACKS: Record<string, string[]> = {
  "code run two levels down": [
    "python3 a.py",
    "python3 b.py",
    "python3 c.py",
    "cat a.py | python3",
  ],
  "local module import": [
    "python3 tools/main.py",
    "python3 -m pkg.run",
    "python3 imp.py",
    "python3 deep.py",
    "node m.js",
    "node m.mjs",
    "node d.js",
    "ruby r.rb",
    "perl p.pl",
  ],
};

describe("attack: local code an interpreter's script runs reads .env", () => {
  for (const [family, commands] of Object.entries(ATTACKS)) {
    const t = tally(`read-guard-gaps6/${family}`);
    for (const command of commands)
      it(`${family}: ${command}`, async () => {
        const { r, decision } = await preBash(command);
        const denied = decision?.permissionDecision === "deny";
        const leaked = [managedValue, tokens.github].some(
          (v) => r.stdout.includes(v) || r.stderr.includes(v),
        );
        t.attempt(denied && !leaked);
        expect(leaked).toBe(false);
        expect(decision?.permissionDecision, `${command}\n${r.stdout}${r.stderr}`).toBe("deny");
        expect(decision?.permissionDecisionReason).toMatch(/\.env/);
      });
  }
});

describe("no false alarms: everyday scripts and their modules", () => {
  for (const command of [
    "python3 app.py",
    "node server.js",
    "python3 many.py",
    "python3 run_cfg.py",
    "python3 util.py",
  ])
    it(`allowed: ${command}`, async () => {
      const { r, decision } = await preBash(command);
      expect(decision?.permissionDecision, `${command}\n${r.stdout}${r.stderr}`).toBeUndefined();
      expect(r.exitCode, r.stderr).toBe(0);
    });
});
