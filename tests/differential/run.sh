#!/usr/bin/env bash
# run.sh VXRUN RUNNER GENERATOR SEED COUNT: generates COUNT random cases
# from SEED, runs them with RUNNER natively and under vxrun, and compares
# the results line by line. On a mismatch it shows the first differing
# cases: their assembly, their bytes disassembled, both results and the
# fields that differ. Exits 77 (skipped) where this host cannot run i386
# programs.
set -u
vxrun=$1 runner=$2 generator=$3 seed=$4 count=$5
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

summary=$(python3 "$generator" "$seed" "$count" "$tmp") || { echo "FAIL: the generator failed"; exit 1; }

# (The braces keep bash's own note of a child killed by a signal out of the output.)
{ "$runner" <"$tmp/cases.bin" >"$tmp/native.out" 2>"$tmp/native.err"; } 2>/dev/null
native_status=$?
if [ $native_status -eq 126 ]; then
    echo "skipped: this host cannot run i386 programs"
    exit 77
fi
# The high scratch region lies above 2 GiB: vxrun's default guest memory ends at 512 MiB.
"$vxrun" --memory 3G "$runner" <"$tmp/cases.bin" >"$tmp/vx.out" 2>"$tmp/vx.err"
vx_status=$?

# Known differences, not compared (see docs/SECURITY.md, "Known gaps"): the
# si_code and si_addr of a fault's signal (vx reports SEGV_MAPERR for a
# PROT_NONE page, no si_addr for SIGFPE/SIGILL/int1, TRAP_BRKPT for int3 and
# FPE_FLTINV for every floating-point exception). The signal itself, the
# faulting eip and the whole state are compared.
echo "not compared: the si_code and si_addr of faults (known differences)"
for side in native vx; do
    sed -i -E 's/^(case [0-9]+: signal [0-9]+) code [0-9]+ addr [0-9a-f]+/\1/' "$tmp/$side.out"
done

status=0
if [ $native_status -ne 0 ] || [ $vx_status -ne 0 ]; then
    echo "FAIL: exit status native $native_status, vxrun $vx_status"
    tail -3 "$tmp/native.err" "$tmp/vx.err"
    status=1
fi
if cmp -s "$tmp/native.out" "$tmp/vx.out"; then
    [ $status -eq 0 ] && echo "seed $seed: $summary compared, native and vx agree"
    exit $status
fi

differing=$(diff "$tmp/native.out" "$tmp/vx.out" | grep -c '^<')
echo "FAIL: seed $seed: $summary compared, $differing cases differ (native $(wc -l <"$tmp/native.out") lines, vx $(wc -l <"$tmp/vx.out"))"
diff "$tmp/native.out" "$tmp/vx.out" | sed -n 's/^< case \([0-9]*\):.*/\1/p' | head -3 | while read -r n; do
    echo
    awk -v n="$n" '$1 == "case" { on = ($2 == n ":") } on' "$tmp/cases.txt" | grep -v '^  bytes '
    awk -v n="$n" '$1 == "case" { on = ($2 == n ":") } on && $1 == "bytes" { print $2 }' "$tmp/cases.txt" |
        python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' >"$tmp/case.bin"
    objdump -D -b binary -mi386 -Mintel "$tmp/case.bin" | sed -n 's/^ *\([0-9a-f]*:\)/  \1/p'
    native=$(grep "^case $n:" "$tmp/native.out") vx=$(grep "^case $n:" "$tmp/vx.out")
    echo "  native: $native"
    echo "  vx:     $vx"
    echo "  fields that differ (< native, > vx):"
    diff <(tr ' ' '\n' <<<"$native") <(tr ' ' '\n' <<<"$vx") | grep '^[<>]' | sed 's/^/    /'
done
exit 1
