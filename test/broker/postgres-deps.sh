#!/usr/bin/env bash
# Installs PostgreSQL's server binaries (Debian package `postgresql`) for the capability/lease tests
# (test/broker/leases.test.ts, test/security/leases.attack.test.ts, bench/leases.mjs): they start a
# private cluster on 127.0.0.1 in a temp dir (test/helpers/postgres.ts), never the system's.
# Debian/Ubuntu as root (CI). Does nothing when the binaries are present; says so when it cannot
# install them, and those tests then fail with that reason. HOOKPACK_NO_SYSTEM_PACKAGES=1 installs
# nothing; the lease tests then skip and say so (test/helpers/postgres.ts POSTGRES_SKIP).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; then
  echo "hookpack: PostgreSQL server binaries are present."
  exit 0
fi
pkgs=(postgresql postgresql-client)
if [ "${HOOKPACK_NO_SYSTEM_PACKAGES:-0}" = 1 ]; then
  echo "hookpack: HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing ${pkgs[*]}; the lease tests will be skipped and say so."
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  bytes=$(apt-get install -qq --print-uris --no-install-recommends "${pkgs[@]}" 2>/dev/null | awk '{ s += $3 } END { print s + 0 }')
  echo "hookpack: installing ${pkgs[*]} with apt-get (about $(( (bytes + 524287) / 1048576 )) MB to download) for the lease tests; HOOKPACK_NO_SYSTEM_PACKAGES=1 skips this."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  # The package starts a system cluster; the tests never use it.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do pg_ctlcluster ${c%/*} ${c#*/} stop || true; done
  fi
  echo "hookpack: installed PostgreSQL for the lease tests."
else
  echo "hookpack: cannot install PostgreSQL here (needs root and apt-get); the lease tests will fail and say why."
fi
