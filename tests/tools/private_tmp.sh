#!/usr/bin/env bash
# private_tmp.sh VXRUN DEEP_TMP: vxrun --tmp leaves nothing behind, whatever
# the guest built in its /tmp (DEEP_TMP: a chain of directories deeper than
# any recursion limit, unreadable directories, symlinks out to a host
# directory that must survive), whether vxrun ends normally or is killed with
# SIGKILL (its watchdog then removes the directory: polled for, up to a
# minute). Also no process of the run is left, the watchdog included.
set -u
vxrun=$1 guest=$2
tmp=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; chmod -R u+rwx "$tmp"; rm -rf "$tmp"' EXIT
mkdir "$tmp/hosttmp" "$tmp/outside"
echo keep >"$tmp/outside/keep"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# holders DIR: the processes with a descriptor open on DIR (or below it).
holders() {
    find /proc/[0-9]*/fd -maxdepth 1 -lname "$1*" 2>/dev/null | sed 's|/fd/.*||' | sort -u
}
# settles: polls until hosttmp is empty and no process holds anything in it.
settles() {
    for _ in $(seq 600); do
        [ -z "$(ls -A "$tmp/hosttmp")" ] && [ -z "$(holders "$tmp/hosttmp")" ] && return 0
        sleep 0.1
    done
    return 1
}
outside_intact() { [ "$(ls -A "$tmp/outside")" = keep ] && [ "$(cat "$tmp/outside/keep")" = keep ]; }

# A normal end: the directory is gone when vxrun returns.
out=$(TMPDIR=$tmp/hosttmp timeout 120 "$vxrun" --tmp "$guest" 600 "$tmp/outside" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = "built 600 levels" ] || fail "the guest did not build its tree: exit $rc: $out"
[ -z "$(ls -A "$tmp/hosttmp")" ] || fail "after a normal end, left in TMPDIR: $(ls -A "$tmp/hosttmp")"
settles || fail "after a normal end, still holding it: $(holders "$tmp/hosttmp")"
outside_intact || fail "the host directory the symlinks pointed to changed: $(ls -A "$tmp/outside")"

# vxrun killed with SIGKILL while its guest (two processes) waits.
TMPDIR=$tmp/hosttmp "$vxrun" --tmp "$guest" 600 "$tmp/outside" wait >"$tmp/out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1200); do grep -q ready "$tmp/out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if grep -q ready "$tmp/out"; then
    [ -n "$(ls -A "$tmp/hosttmp")" ] || fail "no private /tmp while the guest runs"
    kill -KILL $pid; wait $pid 2>/dev/null; pid=
    settles || fail "after SIGKILL, left: $(ls -A "$tmp/hosttmp"), held by: $(holders "$tmp/hosttmp")"
    outside_intact || fail "the host directory the symlinks pointed to changed: $(ls -A "$tmp/outside")"
else
    fail "the waiting guest did not get ready: $(cat "$tmp/out")"
fi

[ $failures -eq 0 ] && echo "--tmp left nothing behind, after a normal end and after SIGKILL"
exit $((failures != 0))
