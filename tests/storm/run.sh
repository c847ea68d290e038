#!/usr/bin/env bash
# run.sh VXRUN STORM SEEDS COUNT: runs the syscall storm for seeds 1..SEEDS,
# COUNT calls each, with a scratch directory granted read-write and stdin
# from /dev/null. Each run must finish ("storm done", exit 0): a host crash,
# a hang or a lost guest shows as anything else. A host process beside it,
# and the files outside the grant, must be untouched.
set -u
vxrun=$1 storm=$2 seeds=$3 count=$4
scratch=$(mktemp -d); outside=$(mktemp -d)
echo untouched >"$outside/file"
sleep 120 & bystander=$!
trap 'rm -rf "$scratch" "$outside"; kill $bystander 2>/dev/null' EXIT
passed=0 failed=0
for seed in $(seq 1 "$seeds"); do
    out=$(timeout 60 "$vxrun" --mount "$scratch:/s:rw" --cwd /s "$storm" "$seed" "$count" 2>"$scratch/../storm-$$.err" </dev/null)
    rc=$?
    if [ $rc -eq 0 ] && [ "$out" = "storm done" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: seed $seed: exit status $rc, output: $out"; tail -3 "$scratch/../storm-$$.err"
    fi
    rm -f "$scratch/../storm-$$.err"
done
kill -0 $bystander 2>/dev/null || { echo "FAIL: a host process beside vxrun was killed"; failed=$((failed + 1)); }
[ "$(cat "$outside/file")" = untouched ] || { echo "FAIL: a file outside the grant changed"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
