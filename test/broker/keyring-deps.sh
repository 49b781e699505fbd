#!/usr/bin/env bash
# Installs a headless Secret Service (gnome-keyring on a private D-Bus session) so that
# test/broker/keychain.test.ts can store hookpack's data key in a real OS keychain.
# Debian/Ubuntu as root (CI). Does nothing when the tools are present; says so when it cannot
# install them, and the keychain test then reports its skip.
set -euo pipefail
need=(dbus-run-session dbus-send gnome-keyring-daemon secret-tool)
missing=0
for tool in "${need[@]}"; do command -v "$tool" >/dev/null 2>&1 || missing=1; done
if [ "$missing" = 0 ]; then
  echo "hookpack: Secret Service test tools are present."
  exit 0
fi
pkgs=(gnome-keyring dbus dbus-bin libsecret-tools)
if [ "${HOOKPACK_NO_SYSTEM_PACKAGES:-0}" = 1 ]; then
  echo "hookpack: HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing ${pkgs[*]}; the keychain test will be skipped and say so."
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  # Say what is about to be installed, and how big the download is, before doing it.
  bytes=$(apt-get install -qq --print-uris --no-install-recommends "${pkgs[@]}" 2>/dev/null | awk '{ s += $3 } END { print s + 0 }')
  echo "hookpack: installing ${pkgs[*]} with apt-get (about $(( (bytes + 524287) / 1048576 )) MB to download) for the keychain test; HOOKPACK_NO_SYSTEM_PACKAGES=1 skips this."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  echo "hookpack: installed ${pkgs[*]} for the keychain test."
else
  echo "hookpack: cannot install gnome-keyring here (needs root and apt-get); the keychain test will be skipped and say so."
fi
