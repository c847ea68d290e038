#!/usr/bin/env bash
# compare.sh VXRUN GUEST [ARGS...]: runs GUEST natively (or under qemu-i386
# where this host cannot run i386 code) and under vxrun; passes when stdout and
# the exit status agree.
set -u
vxrun=$1; shift
guest=$1
[ -f "$guest" ] || { echo "no such guest program: $guest"; exit 1; }

if [ -z "${VX_REFERENCE:-}" ]; then
    # A host that cannot exec i386 answers 126 (Exec format error) for any program.
    "$guest" >/dev/null 2>&1 </dev/null; rc=$?
    if [ $rc -eq 126 ]; then VX_REFERENCE=qemu-i386; else VX_REFERENCE=native; fi
fi

expected=$(mktemp); actual=$(mktemp); trap 'rm -f "$expected" "$actual"' EXIT
if [ "$VX_REFERENCE" = native ]; then "$@" >"$expected" 2>/dev/null </dev/null; else qemu-i386 "$@" >"$expected" 2>/dev/null </dev/null; fi
want=$?
"$vxrun" "$@" >"$actual" 2>/tmp/vx-compare-stderr.$$ </dev/null
got=$?
status=0
if ! cmp -s "$expected" "$actual"; then
    echo "stdout differs from the $VX_REFERENCE run:"; diff "$expected" "$actual" | head -40
    status=1
fi
if [ $want -ne $got ]; then
    echo "exit status: $VX_REFERENCE $want, vxrun $got"; cat /tmp/vx-compare-stderr.$$
    status=1
fi
rm -f /tmp/vx-compare-stderr.$$
[ $status -eq 0 ] && echo "same output and exit status ($got) as $VX_REFERENCE: $(wc -l <"$actual") lines"
exit $status
