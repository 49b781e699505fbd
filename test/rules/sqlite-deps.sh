#!/usr/bin/env bash
# Installs the sqlite3 shell that hookpack uses to clean agent state kept in SQLite (Codex CLI's
# thread_history_N.sqlite) and that test/rules/state-sqlite.test.ts and
# test/security/state-sqlite.attack.test.ts use. Debian/Ubuntu as root (CI). Does nothing when it
# is present; says so when it cannot install it, and those tests then report their skip.
set -euo pipefail
if command -v sqlite3 >/dev/null 2>&1; then
  echo "hookpack: sqlite3 is present."
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sqlite3 >/dev/null
  echo "hookpack: installed sqlite3 for the SQLite state tests."
else
  echo "hookpack: cannot install sqlite3 here (needs root and apt-get); the SQLite state tests will be skipped and say so."
fi
