#!/usr/bin/env bash
# What the phantom-token tests (test/broker/phantom.test.ts, test/security/phantom.attack.test.ts)
# need besides Node: curl, git (http-backend) and Python requests from Debian. Idempotent; without
# root or apt-get, or with HOOKPACK_NO_SYSTEM_PACKAGES=1, nothing is installed and the tests that
# need a missing client skip and say why.
set -u
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v git >/dev/null 2>&1 || need+=(git)
/usr/bin/python3 -c "import requests" >/dev/null 2>&1 || need+=(python3-requests)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "${HOOKPACK_NO_SYSTEM_PACKAGES:-0}" = 1 ]; then
  echo "hookpack: HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing ${need[*]}; the phantom-token tests for those clients will be skipped and say so."
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  bytes=$(apt-get install -qq --print-uris --no-install-recommends "${need[@]}" 2>/dev/null | awk '{ s += $3 } END { print s + 0 }')
  echo "hookpack: installing ${need[*]} with apt-get (about $(( (bytes + 524287) / 1048576 )) MB to download) for the phantom-token tests; HOOKPACK_NO_SYSTEM_PACKAGES=1 skips this."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "hookpack: cannot install ${need[*]} here (needs root and apt-get); the phantom-token tests for those clients will be skipped and say so."
fi
exit 0
