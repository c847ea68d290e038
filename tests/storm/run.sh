#!/usr/bin/env bash
# run.sh VXRUN STORM SEEDS COUNT: runs the syscall storm for seeds 1..SEEDS,
# COUNT calls each, with a scratch directory granted read-write and stdin
# from /dev/null. Each run must either finish ("storm done", exit 0) or end
# in a guest death that vxrun diagnosed (128+N and its "guest killed by"
# line: the storm may well wreck its own memory or TLS) or in a limit
# reached (137 and its "limit exceeded" line: its processes together may map
# more than the memory limit, and each fork is charged a copy of its
# parent); a host crash, a hang or anything else fails. Most runs must finish, or the storm tested little.
# A host process beside it, and the files outside the grant, must be
# untouched.
set -u
vxrun=$1 storm=$2 seeds=$3 count=$4
scratch=$(mktemp -d); outside=$(mktemp -d)
echo untouched >"$outside/file"
sleep 120 & bystander=$!
trap 'rm -rf "$scratch" "$outside"; kill $bystander 2>/dev/null' EXIT
passed=0 failed=0 finished=0
for seed in $(seq 1 "$seeds"); do
    out=$(timeout 60 "$vxrun" --mount "$scratch:/s:rw" --cwd /s "$storm" "$seed" "$count" 2>"$scratch/../storm-$$.err" </dev/null)
    rc=$?
    if [ $rc -eq 0 ] && [ "$out" = "storm done" ]; then
        passed=$((passed + 1)) finished=$((finished + 1))
    elif [ $rc -gt 128 ] && [ $rc -lt 160 ] && grep -q "^vxrun: guest killed by SIG" "$scratch/../storm-$$.err"; then
        passed=$((passed + 1))
    elif [ $rc -eq 137 ] && grep -qE "^vxrun: guest( [0-9]+)? stopped: .* limit exceeded: " "$scratch/../storm-$$.err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: seed $seed: exit status $rc, output: $out"; tail -3 "$scratch/../storm-$$.err"
    fi
    rm -f "$scratch/../storm-$$.err"
done
echo "$finished of $seeds storms ran all their calls; the others ended in a diagnosed guest death or a limit"
[ $((finished * 10)) -ge $((seeds * 8)) ] || { echo "FAIL: too few storms finished"; failed=$((failed + 1)); }
kill -0 $bystander 2>/dev/null || { echo "FAIL: a host process beside vxrun was killed"; failed=$((failed + 1)); }
[ "$(cat "$outside/file")" = untouched ] || { echo "FAIL: a file outside the grant changed"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
