#!/usr/bin/env bash
# Installs what Claude Code's Linux sandbox needs (bubblewrap and socat) so that
# test/security/sandbox.attack.test.ts can run the real client with its sandbox on.
# Debian/Ubuntu as root (CI). Does nothing when the tools are present; says so when it cannot
# install them, and the sandbox tests then report their skip. HOOKPACK_NO_SYSTEM_PACKAGES=1 installs
# nothing (the sandbox tests then skip and say so).
set -euo pipefail
[ "$(uname -s)" = Linux ] || { echo "hookpack: not Linux; Claude Code's Linux sandbox tests are skipped."; exit 0; }
missing=0
for tool in bwrap socat; do command -v "$tool" >/dev/null 2>&1 || missing=1; done
if [ "$missing" = 0 ]; then
  echo "hookpack: bubblewrap and socat are present."
  exit 0
fi
pkgs=(bubblewrap socat)
if [ "${HOOKPACK_NO_SYSTEM_PACKAGES:-0}" = 1 ]; then
  echo "hookpack: HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing ${pkgs[*]}; the sandbox tests will be skipped and say so."
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  bytes=$(apt-get install -qq --print-uris --no-install-recommends "${pkgs[@]}" 2>/dev/null | awk '{ s += $3 } END { print s + 0 }')
  echo "hookpack: installing ${pkgs[*]} with apt-get (about $(( (bytes + 524287) / 1048576 )) MB to download) for the sandbox tests; HOOKPACK_NO_SYSTEM_PACKAGES=1 skips this."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  echo "hookpack: installed bubblewrap and socat for the sandbox tests."
else
  echo "hookpack: cannot install bubblewrap and socat here (needs root and apt-get); the sandbox tests will be skipped and say so."
fi
