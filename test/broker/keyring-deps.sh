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
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnome-keyring dbus dbus-bin libsecret-tools >/dev/null
  echo "hookpack: installed gnome-keyring, dbus and libsecret-tools for the keychain test."
else
  echo "hookpack: cannot install gnome-keyring here (needs root and apt-get); the keychain test will be skipped and say so."
fi
