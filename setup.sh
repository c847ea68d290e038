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

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
