#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent: safe to run again on a machine that already has them.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  gcc-multilib g++-multilib          # guest programs: gcc -m32 -static
  libzydis-dev                       # x86 decoder and encoder
  libcli11-dev                       # command lines of the tools
  libgtest-dev libgmock-dev          # unit tests
  qemu-user                          # bench/: qemu-i386 as a peer
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# Debian's own static i386 programs are test subjects (tests/debian/): their
# packages are downloaded, never installed, so the i386 index must be known.
# The security archive's i386 index has been seen to fail ("Mirror sync in
# progress?"); the main archive's is what the downloads need.
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  $sudo dpkg --add-architecture i386
  $sudo apt-get update || echo "setup.sh: apt-get update reported errors; going on (see above)"
fi

if ((${#missing[@]})); then
  $sudo apt-get update || echo "setup.sh: apt-get update reported errors; going on (see above)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
