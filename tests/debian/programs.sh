#!/usr/bin/env bash
# programs.sh VXRUN BIN COMPARE: real programs built from Debian's source
# packages (build-sources.sh puts them in BIN) run under vxrun and under the
# reference (native i386, or qemu-i386), through COMPARE (tests/compare.sh):
# stdout, stderr, the files they write and their exit status must agree.
# Skipped, with the reason, when the programs could not be built.
set -u
vxrun=$1 bin=$2 compare=$3
data=$(cd "$(dirname "$0")/data" && pwd)
for p in lua bzip2 xz sqlite3; do
    [ -x "$bin/$p" ] || { echo "SKIP: $bin/$p was not built (see the debian.build_sources test)"; exit 77; }
done

inputs=$(mktemp -d); trap 'rm -rf "$inputs"' EXIT
# Text that compresses well, and bytes that do not.
seq 1 100000 | sed 's/$/ lorem ipsum dolor sit amet/' >"$inputs/text"
head -c 2000000 /dev/urandom >"$inputs/random"
mkdir "$inputs/plain"
cp "$inputs/text" "$inputs/random" "$inputs/plain/"
cp "$data/test.lua" "$data/test.sql" "$inputs/plain/"
# Compressed inputs, made by the reference programs themselves.
reference() { if [ "${VX_REFERENCE:-}" = qemu-i386 ] || ! "$bin/lua" -e '' 2>/dev/null; then qemu-i386 "$@"; else "$@"; fi; }
reference "$bin/bzip2" -9 -c "$inputs/text" >"$inputs/text.bz2"
reference "$bin/xz" -6 -c "$inputs/text" >"$inputs/text.xz"
printf 'not compressed\n' >"$inputs/garbage.xz"
cp "$inputs/text.bz2" "$inputs/text.xz" "$inputs/garbage.xz" "$inputs/plain/"

passed=0 failed=0
# case NAME [STDIN] -- PROGRAM ARGS...: one comparison, in a directory that
# starts as a copy of the inputs.
case_() {
    local name=$1 stdin=/dev/null; shift
    if [ "$1" != -- ]; then stdin=$1; shift; fi
    shift
    local out
    if out=$(VX_INPUT="$inputs/plain" VX_STDIN="$stdin" "$compare" "$vxrun" "$@" 2>&1); then
        passed=$((passed + 1)); echo "ok: $name: $out"
    else
        failed=$((failed + 1)); echo "FAIL: $name"; echo "$out" | sed 's/^/    /'
    fi
}

case_ "lua: the language, its libraries, files"      -- "$bin/lua" test.lua
case_ "lua: a script on stdin"      "$data/test.lua" -- "$bin/lua" -
case_ "lua: a runtime error"                          -- "$bin/lua" -e 'local t = nil; print(t.x)'
case_ "bzip2 -9 -k of text (writes text.bz2)"        -- "$bin/bzip2" -9 -k -f text
case_ "bzip2 of random bytes to stdout"               -- "$bin/bzip2" -c random
case_ "bzip2 -d of a file (replaces it)"              -- "$bin/bzip2" -d -f text.bz2
case_ "bzip2 -t"                                      -- "$bin/bzip2" -t text.bz2
case_ "bzip2 -dc on stdin"          "$inputs/text.bz2" -- "$bin/bzip2" -dc
case_ "xz -k of text (writes text.xz)"                -- "$bin/xz" -k -f text
case_ "xz -7 of random bytes to stdout"             -- "$bin/xz" -7 -c random
case_ "xz -d of a file (replaces it)"                 -- "$bin/xz" -d -f text.xz
case_ "xz -l"                                         -- "$bin/xz" -l text.xz
case_ "xz -dc on stdin"             "$inputs/text.xz" -- "$bin/xz" -dc
case_ "xz -t of a file that is not xz"                -- "$bin/xz" -t garbage.xz
# sqlite3 looks for ~/.sqliterc: both runs get the same HOME, one that holds
# none (without HOME it would ask the password database, which the reference
# reads from the host and vx does not grant).
export HOME=/nonexistent VX_ENV=HOME
case_ "sqlite3: a file database"    "$data/test.sql"  -- "$bin/sqlite3" test.db
case_ "sqlite3: in memory, -json"                     -- "$bin/sqlite3" -json :memory: "select 1 as a, 'x' as b"
case_ "sqlite3: a syntax error"                       -- "$bin/sqlite3" :memory: "selec 1"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
