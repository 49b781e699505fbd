#!/usr/bin/env bash
# Installs the sqlite3 shell that hookpack uses to clean agent state kept in SQLite (Codex CLI's
# thread_history_N.sqlite) and that test/security/state-sqlite.attack.test.ts uses. Debian/Ubuntu as root (CI). Does nothing when it
# is present; says so when it cannot install it, and those tests then report their skip.
set -euo pipefail
if command -v sqlite3 >/dev/null 2>&1; then
  echo "hookpack: sqlite3 is present."
  exit 0
fi
if [ "${HOOKPACK_NO_SYSTEM_PACKAGES:-0}" = 1 ]; then
  echo "hookpack: HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing sqlite3; the SQLite state tests will be skipped and say so."
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sqlite3 >/dev/null
  echo "hookpack: installed sqlite3 for the SQLite state tests."
else
  echo "hookpack: cannot install sqlite3 here (needs root and apt-get); the SQLite state tests will be skipped and say so."
fi
