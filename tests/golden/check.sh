#!/bin/sh
# check.sh DUMP CASE.s CASE.bin EXPECTED.txt: the translation of the case
# must be what EXPECTED.txt says (a diff shows what changed).
# check.sh --write DUMP CASE.s CASE.bin EXPECTED.txt: rewrites EXPECTED.txt.
set -eu
write=false
if [ "$1" = --write ]; then write=true; shift; fi
dump=$1 case_source=$2 case_binary=$3 expected=$4
# The case's options: its line "# translate_dump: OPTIONS".
options=$(sed -n 's/^#[[:space:]]*translate_dump:[[:space:]]*//p' "$case_source" | head -n 1)
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
# shellcheck disable=SC2086  # the options are words
if ! "$dump" $options "$case_binary" > "$actual"; then
    echo "golden: translate_dump failed on $(basename "$case_source")" >&2
    exit 1
fi
if $write; then
    cp "$actual" "$expected"
    exit 0
fi
if ! diff -u "$expected" "$actual"; then
    echo "golden: the translation of $(basename "$case_source") changed (- expected, + now)." >&2
    echo "golden: if the change is intended: tests/golden/regenerate.sh BUILD_DIR, and review the diff." >&2
    exit 1
fi
