#!/usr/bin/env bash
# run.sh [--record] VXRUN RUNNER GENERATOR SEED COUNT: generates COUNT random
# cases from SEED, runs them with RUNNER under vxrun and compares the
# results, line by line, with a source of truth, which the output names:
#  - native: RUNNER run natively on this CPU, where this host runs i386;
#  - recorded: where it cannot, the native results recorded on a machine
#    that could, for the fixed seed set in recorded/ (next to GENERATOR):
#    each recording is replayed (its cases generated again with the CPU
#    features it was recorded with; its cases' checksum must match) and SEED
#    and COUNT are not used. With no recording this CPU can replay, the test
#    is skipped (exit 77) and says why.
# qemu-i386 is no source of truth here: it disagrees on flags and x87/SSE
# state and aborts on some cases.
# On a mismatch it shows the first differing cases: their assembly, their
# bytes disassembled, both results and the fields that differ.
#
# --record (on a machine that runs i386 natively) runs the cases natively
# and writes recorded/seed-SEED-COUNT.txt.gz; VX_DIFF_FEATURES (CPU flags,
# separated by spaces) restricts the extensions the cases use, so that
# machines without them can replay it too. For example:
#   VX_DIFF_FEATURES="sse sse2 pni ssse3 sse4_1 sse4_2 popcnt fxsr mmx" \
#     tests/differential/run.sh --record build/vxrun build/guests/differential_runner \
#     tests/differential/generate.py 1 1000
set -u
record=no
[ "${1:-}" = --record ] && { record=yes; shift; }
vxrun=$1 runner=$2 generator=$3 seed=$4 count=$5
recorded_dir=$(dirname "$generator")/recorded
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export PYTHONHASHSEED=0

# Known differences, not compared (see docs/SECURITY.md, "Known gaps"): the
# si_code and si_addr of a fault's signal (vx reports SEGV_MAPERR for a
# PROT_NONE page, no si_addr for SIGFPE/SIGILL/int1, TRAP_BRKPT for int3 and
# FPE_FLTINV for every floating-point exception). The signal itself, the
# faulting eip and the whole state are compared.
drop_si_fields() { sed -E 's/^(case [0-9]+: signal [0-9]+) code [0-9]+ addr [0-9a-f]+/\1/' "$1"; }

native_runs=yes
{ "$runner" </dev/null >/dev/null 2>&1; } 2>/dev/null
[ $? -eq 126 ] && native_runs=no

if [ $record = yes ]; then
    [ $native_runs = yes ] || { echo "FAIL: --record needs a host that runs i386 programs natively"; exit 1; }
    summary=$(python3 "$generator" "$seed" "$count" "$tmp") || { echo "FAIL: the generator failed"; exit 1; }
    "$runner" <"$tmp/cases.bin" >"$tmp/native.out" 2>"$tmp/native.err" || { echo "FAIL: the native run failed"; tail -3 "$tmp/native.err"; exit 1; }
    mkdir -p "$recorded_dir"
    out=$recorded_dir/seed-$seed-$count.txt.gz
    {
        echo "seed: $seed"
        echo "count: $count"
        echo "features: $(cat "$tmp/features")"
        echo "cases-sha256: $(sha256sum <"$tmp/cases.bin" | cut -d' ' -f1)"
        echo "recorded-on: $(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//'), Linux $(uname -r)"
        echo "---"
        cat "$tmp/native.out"
    } | gzip -9n >"$out"
    echo "recorded $summary natively into $out"
    exit 0
fi

# compare WHAT TRUTH_OUT VX_OUT: 0 when they agree; else shows the first cases that differ.
compare() {
    local what=$1 truth=$2 vx=$3
    if cmp -s "$truth" "$vx"; then return 0; fi
    local differing
    differing=$(diff "$truth" "$vx" | grep -c '^<')
    echo "FAIL: $what: $differing cases differ ($(wc -l <"$truth") lines, vx $(wc -l <"$vx"))"
    diff "$truth" "$vx" | sed -n 's/^< case \([0-9]*\):.*/\1/p' | head -3 | while read -r n; do
        echo
        awk -v n="$n" '$1 == "case" { on = ($2 == n ":") } on' "$tmp/cases.txt" | grep -v '^  bytes '
        awk -v n="$n" '$1 == "case" { on = ($2 == n ":") } on && $1 == "bytes" { print $2 }' "$tmp/cases.txt" |
            python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' >"$tmp/case.bin"
        objdump -D -b binary -mi386 -Mintel "$tmp/case.bin" | sed -n 's/^ *\([0-9a-f]*:\)/  \1/p'
        local native vxline
        native=$(grep "^case $n:" "$truth") vxline=$(grep "^case $n:" "$vx")
        echo "  truth: $native"
        echo "  vx:    $vxline"
        echo "  fields that differ (< truth, > vx):"
        diff <(tr ' ' '\n' <<<"$native") <(tr ' ' '\n' <<<"$vxline") | grep '^[<>]' | sed 's/^/    /'
    done
    return 1
}

# run_vx: runs the cases in $tmp/cases.bin under vxrun into $tmp/vx.out; 0 when it exits 0.
run_vx() {
    # The high scratch region lies above 2 GiB: vxrun's default guest memory ends at 512 MiB.
    "$vxrun" --memory 3G "$runner" <"$tmp/cases.bin" >"$tmp/vx.raw" 2>"$tmp/vx.err"
    local status=$?
    drop_si_fields "$tmp/vx.raw" >"$tmp/vx.out"
    [ $status -eq 0 ] || { echo "FAIL: vxrun exited $status"; tail -3 "$tmp/vx.err"; }
    return $status
}

echo "not compared: the si_code and si_addr of faults (known differences)"
if [ $native_runs = yes ]; then
    summary=$(python3 "$generator" "$seed" "$count" "$tmp") || { echo "FAIL: the generator failed"; exit 1; }
    { "$runner" <"$tmp/cases.bin" >"$tmp/native.raw" 2>"$tmp/native.err"; } 2>/dev/null
    native_status=$?
    drop_si_fields "$tmp/native.raw" >"$tmp/native.out"
    status=0
    [ $native_status -eq 0 ] || { echo "FAIL: the native run exited $native_status"; tail -3 "$tmp/native.err"; status=1; }
    run_vx || status=1
    compare "seed $seed against native" "$tmp/native.out" "$tmp/vx.out" || exit 1
    [ $status -eq 0 ] && echo "source of truth: native i386 on this CPU; seed $seed: $summary compared, native and vx agree"
    exit $status
fi

host_flags=" $(grep -m1 '^flags' /proc/cpuinfo | sed 's/^[^:]*://') "
replayed=0 status=0 reasons=()
for recording in "$recorded_dir"/seed-*.txt.gz; do
    [ -f "$recording" ] || continue
    name=$(basename "$recording" .txt.gz)
    zcat "$recording" | sed '/^---$/q' >"$tmp/header"
    zcat "$recording" | sed '1,/^---$/d' >"$tmp/recorded.raw"
    field() { sed -n "s/^$1: //p" "$tmp/header"; }
    missing=""
    for flag in $(field features); do [[ $host_flags == *" $flag "* ]] || missing+=" $flag"; done
    if [ -n "$missing" ]; then reasons+=("$name: this CPU lacks$missing"); continue; fi
    summary=$(VX_DIFF_FEATURES="$(field features)" python3 "$generator" "$(field seed)" "$(field count)" "$tmp") ||
        { echo "FAIL: the generator failed"; exit 1; }
    if [ "$(sha256sum <"$tmp/cases.bin" | cut -d' ' -f1)" != "$(field cases-sha256)" ]; then
        echo "FAIL: $name: the generator no longer makes the recorded cases; re-record it (see run.sh)"
        status=1; continue
    fi
    drop_si_fields "$tmp/recorded.raw" >"$tmp/recorded.out"
    run_vx || status=1
    if compare "$name against its recording" "$tmp/recorded.out" "$tmp/vx.out"; then
        echo "source of truth: native results recorded on $(field recorded-on); $name: $summary compared, the recording and vx agree"
    else
        status=1
    fi
    replayed=$((replayed + 1))
done
if [ $replayed -eq 0 ] && [ $status -eq 0 ]; then
    echo "SKIP: no source of truth here: this host cannot run i386 programs, qemu-i386 is no reference for"
    echo "CPU state, and $recorded_dir holds no recording this CPU can replay${reasons[*]:+ (${reasons[*]})}."
    echo "Record one on a machine that runs i386 natively: tests/differential/run.sh --record (see its header)."
    exit 77
fi
exit $status
