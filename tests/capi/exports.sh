#!/usr/bin/env bash
# libvx.so exports the C API's functions, and nothing else: exactly the
# functions vx.h declares VX_API.
#   exports.sh LIBVX_SO VX_H
set -euo pipefail
library=$1 header=$2
declared=$(grep -oE '^VX_API [^(]*\b(vx_[a-z_0-9]+)\(' "$header" | grep -oE 'vx_[a-z_0-9]+\($' | tr -d '(' | sort)
# (the symbol version's own name is an absolute symbol: not a function)
exported=$(nm -D --defined-only "$library" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}' | sort)
if [ -z "$declared" ]; then echo "no VX_API declarations found in $header"; exit 1; fi
if [ "$declared" != "$exported" ]; then
  echo "libvx.so's exports differ from vx.h's declarations (< declared, > exported):"
  diff <(echo "$declared") <(echo "$exported") || true
  exit 1
fi
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case "$soname" in
  libvx.so.[0-9]*) ;;
  *) echo "libvx.so has no versioned SONAME: '$soname'"; exit 1 ;;
esac
echo "libvx.so ($soname) exports the $(echo "$declared" | wc -l) functions vx.h declares, and nothing else"
