#!/bin/sh
# regenerate.sh BUILD_DIR: rebuilds translate_dump and the cases in
# BUILD_DIR, then rewrites tests/golden/expected/*.txt from them. Review the
# diff (git diff tests/golden/expected) before committing it.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1
here=$(cd "$(dirname "$0")" && pwd)
cmake --build "$build" --target translate_dump golden_cases
for case_source in "$here"/cases/*.s; do
    name=$(basename "$case_source" .s)
    "$here/check.sh" --write "$build/tests/golden/translate_dump" "$case_source" \
        "$build/tests/golden/cases/$name.bin" "$here/expected/$name.txt"
    echo "wrote expected/$name.txt"
done
