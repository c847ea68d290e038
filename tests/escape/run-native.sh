#!/bin/sh
# run-native.sh RESULT_DIR GUEST: runs one attack of the red-team suite
# natively, as expect.sh's native half does (a fresh working directory whose
# parent holds a secret file, a bystander process, VX_HOST_PID and VX_SECRET
# as the whole environment besides PATH, standard input /dev/null, 20 s at
# most), and writes RESULT_DIR/status (the exit status as a shell reports it:
# 128+N for a death by signal N), marker (yes when the attack printed its
# marker ESCAPED, else no), out and err (their first 2000 bytes). POSIX sh
# with coreutils or busybox alike: record-native.sh runs it natively or in
# its VM.
set -u
result=$1 guest=$2
mkdir -p "$result" || exit 1
tmp=$(mktemp -d) || exit 1
mkdir "$tmp/work"
printf '%s\n' "the host's secret $$" >"$tmp/secret"; chmod 600 "$tmp/secret"
sleep 60 & bystander=$!
(
    ulimit -c 0
    cd "$tmp/work" || exit 1
    exec timeout 20 env -i PATH=/usr/local/bin:/usr/bin:/bin VX_HOST_PID="$bystander" \
        VX_SECRET="$tmp/secret" "$guest"
) >"$tmp/out" 2>"$tmp/err" </dev/null
echo $? >"$result/status"
if grep -q ESCAPED "$tmp/out"; then echo yes; else echo no; fi >"$result/marker"
head -c 2000 "$tmp/out" >"$result/out"; head -c 2000 "$tmp/err" >"$result/err"
kill "$bystander" 2>/dev/null; wait "$bystander" 2>/dev/null
rm -rf "$tmp"
