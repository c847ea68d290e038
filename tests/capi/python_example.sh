#!/usr/bin/env bash
# examples/python/call_plugin.py calls the plug-in through libvx.so with
# ctypes: its results, the fault that ends one call, the call after it, and
# a pool's next tenant finding nothing of the last.
#   python_example.sh CALL_PLUGIN_PY LIBVX_SO PLUGIN
set -uo pipefail
script=$1 library=$2 plugin=$3
if ! command -v python3 >/dev/null; then echo "skipped: no python3 on this machine"; exit 77; fi
output=$(VX_LIBRARY=$library python3 "$script" "$plugin" 2>&1)
status=$?
echo "$output"
[ $status -eq 0 ] || { echo "call_plugin.py exited with $status"; exit 1; }
for expected in 'add(40, 2) = 42' 'sum(1..100) = 5050' \
                'write_null stopped: write_null: fault: page fault at eip 0x' 'add(2, 3) = 5' \
                "a tenant's sum = 0" "the next tenant's sum(1..100) = 5050"; do
  grep -qF "$expected" <<<"$output" || { echo "missing from the output: $expected"; exit 1; }
done
