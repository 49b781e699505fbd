#!/usr/bin/env bash
# Installs PostgreSQL's server binaries (Debian package `postgresql`) for the capability/lease tests
# (test/broker/leases.test.ts, test/security/leases.attack.test.ts, bench/leases.mjs): they start a
# private cluster on 127.0.0.1 in a temp dir (test/helpers/postgres.ts), never the system's.
# Debian/Ubuntu as root (CI). Does nothing when the binaries are present; says so when it cannot
# install them, and those tests then fail with that reason.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; then
  echo "hookpack: PostgreSQL server binaries are present."
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
  # The package starts a system cluster; the tests never use it.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do pg_ctlcluster ${c%/*} ${c#*/} stop || true; done
  fi
  echo "hookpack: installed PostgreSQL for the lease tests."
else
  echo "hookpack: cannot install PostgreSQL here (needs root and apt-get); the lease tests will fail and say why."
fi
