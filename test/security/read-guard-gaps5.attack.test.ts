// sec-gaps5: read-guard shapes left open after sec-gaps4.
//   1. the grep family searching the working directory: `grep -r PATTERN` with no file operand
//      (every spelling of "recursive"), `rgrep`, `git grep --untracked` / `--no-index`;
//   2. an interpreter's script file an earlier call wrote (`python3 x.py`, `node x.js`, `ruby x.rb`,
//      `perl x.pl`, node's preloads, `awk -f`), read at hook time and checked as interpreter code;
//   3. a relative name after a `cd` (`cd src && cat ../.env`: it was resolved from the session's cwd);
//   4. a file list longer than the guard inspected (the names past the 256th went unchecked).
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

/** Files an earlier tool call left in the project (the hook sees them on disk). */
const FILES: Record<string, string> = {
  "x.py": "print(open('.env').read())\n",
  "x.js": "console.log(require('fs').readFileSync('.env', 'utf8'))\n",
  "x.mjs":
    "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync('./.env', 'utf8'));\n",
  "x.rb": "puts File.read('.env')\n",
  "x.pl": "open(my $f, '<', '.env'); print <$f>;\n",
  "x.php": "<?php echo file_get_contents('.env');\n",
  "x.awk": 'END { while ((getline l < ".env") > 0) print l }\n',
  "pre.js": "console.log(require('fs').readFileSync('.env', 'utf8'))\n",
  "chr.py": "print(open(chr(46) + 'env').read())\n",
  "code.js":
    "const fs = require('fs');\nconsole.log(fs.readFileSync(String.fromCharCode(46) + 'env', 'utf8'));\n",
  "b64.py": "import base64\nprint(open(base64.b64decode('LmVudg==').decode()).read())\n",
  "rev.py": "print(open('vne.'[::-1]).read())\n",
  "ls.py": "import os\nfor f in os.listdir('.'):\n    print(open(f).read())\n",
  "ls.js":
    "const fs = require('fs');\nfor (const f of fs.readdirSync('.')) try { console.log(fs.readFileSync(f, 'utf8')); } catch {}\n",
  "glob.py": "import glob\nfor f in glob.glob('.e*'):\n    print(open(f).read())\n",
  "deep/up.py": "print(open('../.env').read())\n",
  "tools/show.py": "import sys\nprint(open(sys.argv[1]).read())\n",
  // Everyday scripts: computed paths, their own directory, no secret.
  "test.py":
    "import os, json\nHERE = os.path.dirname(__file__)\nwith open(os.path.join(HERE, 'src', 'a.ts')) as f:\n    print(f.read())\nprint(json.dumps({'ok': True}), f'{HERE}/x')\n",
  "build.js":
    "const fs = require('fs');\nconst path = require('path');\nconst out = path.join(__dirname, 'out');\nfs.mkdirSync(out, { recursive: true });\nfor (const f of fs.readdirSync(path.join(__dirname, 'src'))) fs.copyFileSync(path.join(__dirname, 'src', f), path.join(out, f));\nconsole.log(`built ${out}`);\n",
  "app.py":
    "import os\nfrom dotenv import load_dotenv\nload_dotenv()\nprint(os.environ.get('DEBUG', '0'))\n",
  "server.js":
    "const http = require('http');\nhttp.createServer((q, s) => s.end('ok')).listen(process.env.PORT || 3000);\n",
  "src/a.ts": "export const a = 1;\n",
  "src/main.rb": "require 'json'\nputs JSON.generate({ a: 1 })\n",
  "src/run.py": "print(open('a.ts').read())\n",
  "hello.pl": 'use strict;\nprint "hello\\n";\n',
  "README.md": "# demo\nnothing secret\n",
  "sub/deeper/notes.txt": "notes\n",
};
const PADDING = Array.from({ length: 300 }, (_, i) => `pad/f${i}.txt`);

beforeAll(async () => {
  sb = sandbox();
  await plantDotenv(sb, managedValue, tokens.github);
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(sb.project, name, ".."), { recursive: true });
    writeFileSync(join(sb.project, name), text);
  }
  for (const name of PADDING) {
    mkdirSync(join(sb.project, name, ".."), { recursive: true });
    writeFileSync(join(sb.project, name), "x\n");
  }
});
afterAll(() => sb?.cleanup());

const values = () => [managedValue, tokens.github];

const preBash = (command: string) =>
  preToolUse(
    sb,
    "Bash",
    { command },
    { session_id: "s-gaps5", tool_use_id: "toolu_g5" },
    { env: { HOOKPACK_KEY_BACKEND: "file" } },
  );

const READ_ATTACKS: Record<string, string[]> = {
  "grep searching the working directory": [
    "grep -r GH_TOKEN",
    "grep -R GH_TOKEN",
    "grep -rn GH_TOKEN",
    "grep -nri token",
    "egrep -r 'GH_|DEPLOY'",
    "fgrep -r GH_TOKEN",
    "grep --recursive GH_TOKEN",
    "grep --recur GH_TOKEN",
    "grep --dereference-recursive GH_TOKEN",
    "grep -d recurse GH_TOKEN",
    "grep -drecurse GH_TOKEN",
    "grep --directories=recurse GH_TOKEN",
    "grep --directories recurse GH_TOKEN",
    "grep GH_TOKEN -r",
    "grep -r -e GH_TOKEN",
    "grep -re GH_TOKEN",
    "grep -r --include='.e*' =",
    "grep -rh -A3 APP",
    "rgrep GH_TOKEN",
    "grep -r GH_TOKEN --",
    "git grep --untracked GH_TOKEN",
    "git grep --no-index GH_TOKEN",
    "git grep --no-index -e GH_TOKEN -- .",
    "git -C . grep --untracked -n TOKEN",
    "git -c grep.fallbackToNoIndex=true grep GH_TOKEN",
    "cd src && grep -r GH_TOKEN ..",
  ],
  "interpreter script file written by an earlier call": [
    "python3 x.py",
    "python x.py",
    "python3 -u x.py",
    "python3 -W ignore x.py",
    "env python3 x.py",
    "node x.js",
    "node --no-warnings x.js",
    "node x.mjs",
    "node -r ./pre.js server.js",
    "node --require=./pre.js server.js",
    "node --import ./pre.js server.js",
    "bun x.js",
    "bun run x.js",
    "deno run --allow-read x.js",
    "ruby x.rb",
    "ruby -r json x.rb",
    "ruby -v x.rb",
    "perl x.pl",
    "perl -w x.pl",
    "php x.php",
    "php -f x.php",
    "awk -f x.awk README.md",
    "python3 chr.py",
    "node code.js",
    "python3 b64.py",
    "python3 rev.py",
    "python3 ls.py",
    "node ls.js",
    "python3 glob.py",
    "cd deep && python3 up.py",
    "python3 tools/show.py .env",
    "cp x.py t.py; python3 t.py",
    "cp x.py test.py && python3 test.py",
    "echo \"print(open('.env').read())\" > y.py; python3 y.py",
    "printf '%s' 'puts File.read(\".env\")' > y.rb && ruby y.rb",
    'cd "$D" && python3 x.py',
    "tar xf update.tar; python3 test.py",
    "python3 < x.py",
    "python3 - < x.py",
    "cat x.py | python3",
    "cat x.js | node",
    "node < x.js",
    "ruby < x.rb",
    "perl < x.pl",
    "python3 /dev/stdin < chr.py",
    "cat ls.py | python3 -",
    "python3 -m x",
    "python3 -u -m x",
    "python3 -Wmodule x.py",
    "node x",
    `${"python3 test.py; ".repeat(40)}python3 x.py`,
  ],
  "relative name after a cd": [
    "cd src && cat ../.env",
    "cd src; head -n 5 ../.env",
    "pushd src && cat ../.env",
    "cd sub && cd deeper && cat ../../.env",
    "cd src && cd .. && cat .env",
    "cd sub/deeper; tail ../../.env",
    'cd "$D" && cat .env',
    "cd src && python3 ../x.py",
  ],
  "a file list longer than the guard inspected": [
    `cat ${PADDING.join(" ")} .env`,
    `head -n 99 ${PADDING.join(" ")} .env`,
    "cat pad/*.txt .env",
  ],
};

describe("attack: reads the guard did not follow (real hook process)", () => {
  for (const [family, commands] of Object.entries(READ_ATTACKS)) {
    const t = tally(`read-guard-gaps5/${family}`);
    for (const command of commands) {
      it(`${family}: ${command.length > 120 ? `${command.slice(0, 60)}…${command.slice(-40)}` : command}`, async () => {
        const { r, decision } = await preBash(command);
        const leaked = values().some((v) => (r.stdout + r.stderr).includes(v));
        const denied = decision?.permissionDecision === "deny";
        t.attempt(denied && !leaked);
        expect(leaked).toBe(false);
        expect(denied, `${command.slice(0, 200)}\n${r.stdout}${r.stderr}`).toBe(true);
      });
    }
  }
});

/** Everyday commands in the same shapes: none may be stopped. */
const EVERYDAY = [
  "grep -rn foo src",
  "grep -r export src/a.ts",
  "grep -rn --include='*.ts' export src",
  "grep -r -e foo src",
  "grep foo README.md",
  "grep -c demo README.md",
  "git grep foo",
  "git grep -n export -- src",
  "git grep --untracked export src",
  "rg foo",
  "python3 test.py",
  "python3 -m pytest",
  "python3 -m http.server --help",
  "node build",
  "python3 -c 'print(1)'",
  "python3 app.py",
  "python3 src/run.py",
  "python3 < test.py",
  "echo 'print(1)' | python3",
  "cat build.js | node",
  "cd src && python3 run.py",
  "node build.js",
  "node server.js",
  "node -e 'console.log(1)'",
  "ruby src/main.rb",
  "perl hello.pl",
  "cd src && ls",
  "cd src && cat a.ts",
  "cd sub/deeper && cat notes.txt",
  "cd /tmp && ls",
  "cd .. && ls",
  "pushd src && ls && popd",
  "npm test",
  "cat README.md",
  `cat ${PADDING.slice(0, 50).join(" ")}`,
  "cat pad/*.txt",
];

describe("no false alarms: everyday commands of the same shapes", () => {
  const allowed = { n: 0 };
  afterAll(() => {
    process.stdout.write(`everyday read-guard-gaps5: ${allowed.n}/${EVERYDAY.length} allowed\n`);
  });
  for (const command of EVERYDAY) {
    it(`allowed: ${command.length > 120 ? `${command.slice(0, 60)}…` : command}`, async () => {
      const { r, decision } = await preBash(command);
      const ok = decision?.permissionDecision === undefined && r.exitCode === 0;
      if (ok) allowed.n++;
      expect(decision?.permissionDecision, `${command}\n${r.stdout}${r.stderr}`).toBeUndefined();
      expect(r.exitCode, r.stderr).toBe(0);
    });
  }
});
