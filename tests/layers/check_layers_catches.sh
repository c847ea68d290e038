#!/usr/bin/env bash
# scripts/check-layers.py passes on the tree, and fails on a copy of it with
# one forbidden include added in each direction the build cannot see alone.
set -uo pipefail
source_dir=$1
check=$source_dir/scripts/check-layers.py
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failures=0

if "$check" "$source_dir" >/dev/null; then echo "ok: the tree follows the rules"
else echo "FAIL: the tree itself breaks a rule:"; "$check" "$source_dir"; failures=$((failures + 1)); fi

# breaks FILE LINE: the check must name FILE once LINE is added to it.
breaks() {
    local file=$1 line=$2
    rm -rf "$work/tree"; mkdir "$work/tree"
    cp -r "$source_dir/src" "$source_dir/include" "$source_dir/tools" "$work/tree/"
    printf '%s\n' "$line" >>"$work/tree/$file"
    local out; out=$("$check" "$work/tree")
    if [[ $? -ne 0 && $out == *"$file"* ]]; then echo "ok: caught $line in $file"
    else echo "FAIL: not caught: $line in $file: $out"; failures=$((failures + 1)); fi
}
breaks src/core/sandbox.cpp '#include "dbt/dbt_engine.h"'
breaks include/vx/sandbox.h '#include "os/linux_i386/process.h"'
breaks src/os/linux_i386/process.cpp '#include "x86/disassemble.h"'
breaks src/os/linux_i386/process.cpp '#include <Zydis/Zydis.h>'
breaks src/dbt/translate/translator.cpp '#include "os/linux_i386/abi.h"'
breaks src/x86/policy.cpp '#include "dbt/translate/translator.h"'
breaks src/core/guest_memory.cpp '#include <seccomp.h>'
breaks tools/vxrun.cpp '#include "dbt/dbt_engine.h"'
breaks src/capi/vx.cpp '#include "core/run_control.h"'
breaks src/core/sandbox.cpp '#include "../dbt/dbt_engine.h"'

[[ $failures -eq 0 ]] && echo "check-layers catches every forbidden include tried"
[[ $failures -eq 0 ]]
