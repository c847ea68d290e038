#!/usr/bin/env bash
# Configures and builds vx into build/ (after installing what it needs).
#   scripts/build.sh sanitize   builds build-asan/ instead: the host code with
#                               AddressSanitizer and UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
./setup.sh
case "${1:-}" in
"")
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build ;;
sanitize)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVX_SANITIZE=ON \
        -DVX_DEBIAN_CACHE="$PWD/build/debian-cache" -DVXA_DECODER_DIR="$PWD/build/vxa-decoders" \
        -DVXA_SOURCE_CACHE="$PWD/build/vxa-sources" >/dev/null
  cmake --build build-asan ;;
*)
  echo "usage: scripts/build.sh [sanitize]" >&2; exit 2 ;;
esac
