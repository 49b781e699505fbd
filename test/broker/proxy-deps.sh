#!/usr/bin/env bash
# What the phantom-token tests (test/broker/phantom.test.ts, test/security/phantom.attack.test.ts)
# need besides Node: curl, git (http-backend) and Python requests from Debian. Idempotent; without
# root or apt-get the tests that need a missing client skip and say why.
set -u
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v git >/dev/null 2>&1 || need+=(git)
/usr/bin/python3 -c "import requests" >/dev/null 2>&1 || need+=(python3-requests)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "hookpack: cannot install ${need[*]} here (needs root and apt-get); the phantom-token tests for those clients will be skipped and say so."
fi
exit 0
