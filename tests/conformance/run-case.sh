#!/bin/sh
# run-case.sh RESULT_DIR GUEST [ARGS...]: runs GUEST the way compare.sh runs
# its reference (a fresh working directory, standard input /dev/null, an
# environment of PATH only) and writes RESULT_DIR/out, err, status (the exit
# status as a shell reports it: 128+N for a death by signal N) and files
# (list-files.sh of the working directory afterwards). POSIX sh with
# coreutils or busybox alike: record.sh runs it natively or inside its VM.
set -u
result=$1 guest=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$result" || exit 1
work=$(mktemp -d) || exit 1
(
    ulimit -c 0
    cd "$work" || exit 1
    exec env -i PATH=/usr/local/bin:/usr/bin:/bin "$guest" "$@"
) >"$result/out" 2>"$result/err" </dev/null
echo $? >"$result/status"
"$here/list-files.sh" "$work" >"$result/files"
rm -rf "$work"
