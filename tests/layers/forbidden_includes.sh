#!/usr/bin/env bash
# Each layer's library is compiled with only the include roots it may use:
# an include across a forbidden edge must not compile, for want of the header
# (not for any other error), and one the rules allow must.
#   forbidden_includes.sh CXX LAYER=DIR:DIR... ...
set -uo pipefail
cxx=$1; shift
declare -A roots
for spec in "$@"; do roots[${spec%%=*}]=${spec#*=}; done

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failures=0 checks=0

# probe LAYER HEADER refused|compiles
probe() {
    local layer=$1 header=$2 expect=$3 flags=() dir
    IFS=: read -ra dirs <<<"${roots[$layer]}"
    for dir in "${dirs[@]}"; do [[ -n $dir ]] && flags+=(-I "$dir"); done
    printf '#include "%s"\n' "$header" >"$work/probe.cpp"
    local out
    out=$("$cxx" -std=c++20 -fsyntax-only "${flags[@]}" "$work/probe.cpp" 2>&1)
    local status=$?
    checks=$((checks + 1))
    case $expect in
    refused)
        if [[ $status -ne 0 && $out == *"$header: No such file or directory"* ]]; then
            echo "ok: $layer cannot include \"$header\""
        else
            echo "FAIL: $layer includes \"$header\" (status $status): $out"; failures=$((failures + 1))
        fi ;;
    compiles)
        if [[ $status -eq 0 ]]; then
            echo "ok: $layer includes \"$header\""
        else
            echo "FAIL: $layer cannot include \"$header\", which the rules allow: $out"; failures=$((failures + 1))
        fi ;;
    esac
}

# Core knows no engine, no instruction set, no personality.
probe core dbt/dbt_engine.h refused
probe core x86/decoder.h refused
probe core os/linux_i386/process.h refused
probe core core/engine.h compiles
# x86 knows no engine and no personality.
probe x86 dbt/translate/translator.h refused
probe x86 os/linux_i386/abi.h refused
probe x86 vx/guest_memory.h compiles
# An engine knows no personality; it uses core's engine interface and x86.
probe dbt os/linux_i386/process.h refused
probe dbt core/engine.h compiles
probe dbt x86/decoder.h compiles
# A personality knows no engine, no x86, nothing of core but its public API.
probe linux dbt/dbt_engine.h refused
probe linux x86/disassemble.h refused
probe linux core/engine.h refused
probe linux vx/sandbox.h compiles

echo "$((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
