#!/usr/bin/env bash
# Installs moto's server (a local AWS STS/IAM endpoint that enforces IAM policies once auth is on)
# for the STS capability tests (test/broker/leases-sts.test.ts, test/security/sts.attack.test.ts,
# bench/leases.mjs). moto is not in Debian bookworm; `python3-moto` (5.2.4) is in sid. It is
# architecture-independent Python, so it is downloaded from sid with a PRIVATE apt directory (the
# system's sources are not touched) together with sid's boto3/botocore/s3transfer, and unpacked
# with `dpkg -x` into .cache/moto/root (never installed into the system). Its other dependencies
# (flask, werkzeug, responses, …) are bookworm packages, installed with apt-get for
# /usr/bin/python3. The tests run `/usr/bin/python3 .cache/moto/root/usr/bin/moto_server` with
# PYTHONPATH=.cache/moto/root/usr/lib/python3/dist-packages (test/helpers/moto.ts).
# Debian/Ubuntu as root (CI). Does nothing when it is present; says so when it cannot install it,
# and those tests then fail with that reason. HOOKPACK_NO_SYSTEM_PACKAGES=1 installs nothing; the
# STS tests then skip and say so.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="$root/.cache/moto"
site="$cache/root/usr/lib/python3/dist-packages"
deps=(python3-boto3 python3-botocore python3-flask python3-flask-cors python3-werkzeug
  python3-responses python3-xmltodict python3-jinja2 python3-cryptography python3-dateutil
  python3-yaml python3-requests)
check() {
  [ -x /usr/bin/python3 ] && [ -f "$cache/root/usr/bin/moto_server" ] &&
    PYTHONPATH="$site" /usr/bin/python3 -c 'import moto.server, flask, flask_cors, werkzeug, responses, xmltodict, jinja2, cryptography, dateutil, yaml, requests, botocore, boto3' >/dev/null 2>&1
}
if check; then
  echo "hookpack: moto $(PYTHONPATH="$site" /usr/bin/python3 -c 'import moto; print(moto.__version__)') is present in .cache/moto."
  exit 0
fi
if [ "${HOOKPACK_NO_SYSTEM_PACKAGES:-0}" = 1 ]; then
  echo "hookpack: HOOKPACK_NO_SYSTEM_PACKAGES=1: not installing moto (python3-moto from Debian sid) and its bookworm dependencies; the STS tests will be skipped and say so."
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "hookpack: cannot install moto here (needs root, apt-get and dpkg); the STS tests will fail and say why."
  exit 0
fi
lock=(-o DPkg::Lock::Timeout=600)
apt-get "${lock[@]}" update -qq
echo "hookpack: installing ${deps[*]} with apt-get for moto (the STS tests); HOOKPACK_NO_SYSTEM_PACKAGES=1 skips this."
DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq --no-install-recommends "${deps[@]}" >/dev/null
# sid, in a private apt directory: lists and downloads stay under .cache/moto/apt.
apt="$cache/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$cache/debs"
cat >"$apt/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
EOF
O=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Dir::State::Status=/dev/null
  -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
apt-get "${O[@]}" update -qq
cd "$cache/debs"
rm -f ./*.deb
# The version the tests were written against first; sid moves on, so fall back to its current one.
if ! apt-get "${O[@]}" download -qq python3-moto=5.2.4-2 >/dev/null 2>&1; then
  echo "hookpack: python3-moto 5.2.4-2 is no longer in sid; using sid's current python3-moto."
  apt-get "${O[@]}" download -qq python3-moto >/dev/null
fi
apt-get "${O[@]}" download -qq python3-botocore python3-boto3 python3-s3transfer >/dev/null
rm -rf "$cache/root.new"
mkdir -p "$cache/root.new"
for d in ./*.deb; do dpkg -x "$d" "$cache/root.new"; done
rm -rf "$cache/root"
mv "$cache/root.new" "$cache/root"
if check; then
  echo "hookpack: unpacked moto $(PYTHONPATH="$site" /usr/bin/python3 -c 'import moto; print(moto.__version__)') into .cache/moto for the STS tests."
else
  echo "hookpack: moto was unpacked into .cache/moto but does not import with /usr/bin/python3; the STS tests will fail and say why."
fi
