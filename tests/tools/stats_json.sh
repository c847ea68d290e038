#!/usr/bin/env bash
# stats_json.sh VXRUN HELLO: vxrun --stats=json is one line of JSON that
# python3's json module reads, with every field the report has always had,
# and the program's path in it escaped whatever it holds: quotes,
# backslashes, control characters, a newline, bytes that are not UTF-8.
set -u
vxrun=$1 hello=$2
command -v python3 >/dev/null || { echo "SKIP: no python3 to read the JSON with"; exit 77; }
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

fields='instructions cpu_time_s wall_time_s translations code_cache_flushes code_cache_bytes
        code_cache_peak_bytes memory_bytes memory_peak_bytes code_writes host_mappings host_mappings_peak
        host_confinement syscalls program'

# check NAME: runs hello copied to $scratch/NAME with --stats=json and checks
# the JSON against that path (the path as python3 reads its argv).
check() {
    local path=$scratch/$1
    cp "$hello" "$path" || { fail "cannot copy hello to $(printf %q "$path")"; return; }
    "$vxrun" --stats=json --instructions=100000000 "$path" >"$scratch/out" 2>"$scratch/err"
    local status=$?
    [ "$status" -eq 0 ] || fail "$(printf %q "$1"): exit status $status: $(head -c 300 "$scratch/err")"
    [ "$(wc -l <"$scratch/err")" -eq 1 ] || fail "$(printf %q "$1"): the report is not one line: $(head -c 500 "$scratch/err")"
    python3 -m json.tool <"$scratch/err" >/dev/null ||
        fail "$(printf %q "$1"): python3 -m json.tool does not read it: $(head -c 500 "$scratch/err")"
    python3 - "$scratch/err" "$path" $fields <<'PY' || fail "$(printf %q "$1"): $(head -c 500 "$scratch/err")"
import json, os, sys
report, path, fields = sys.argv[1], os.fsencode(sys.argv[2]), sys.argv[3:]
with open(report, encoding="utf-8") as f:
    d = json.load(f)
missing = [name for name in fields if name not in d]
if missing:
    sys.exit(f"fields missing: {missing}")
try:
    expected = path.decode("utf-8")
except UnicodeDecodeError:  # a byte that is no UTF-8 is written as U+FFFD
    expected = path.decode("utf-8", errors="replace")
if d["program"] != expected:
    sys.exit(f"program is {d['program']!r}, not {expected!r}")
if not isinstance(d["instructions"], int) or d["instructions"] <= 0 or d["syscalls"].get("write") != 1:
    sys.exit("the counts are not what hello does")
PY
}

check 'plain'
check 'with "quotes" and \back\slashes\'
check $'control\001\002\037 tab\t bell\a newline\n end'
check $'not utf-8 \xff\xfe and utf-8 \xc3\xa9'
check '{"program": "injected"}, "x": "'

echo "$failures failures"
[ "$failures" -eq 0 ]
