#!/usr/bin/env bash
# exec.sh VXRUN GUEST: runs GUEST (exec_guest.c) with itself granted at
# /bin/prog and a directory of scripts and non-programs at /scripts; the
# guest checks execve, close-on-exec and the process tree's bounds itself.
# Afterwards this script checks that a host process beside it survived.
set -u
vxrun=$1 guest=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"; kill "$bystander" 2>/dev/null' EXIT
printf '#!/bin/prog echo\n' >"$dir/script"
printf 'data\n' >"$dir/data.txt"
printf 'just text\n' >"$dir/not_a_program"
printf '#!/scripts/loop\n' >"$dir/loop"
chmod 755 "$dir/script" "$dir/not_a_program" "$dir/loop"
chmod 644 "$dir/data.txt"
sleep 60 & bystander=$!

# The fork bomb must meet the process limit (64) first: each process is
# charged some 10 MiB (its stack counts whole), so the memory limit is raised.
timeout 60 "$vxrun" --memory=1G --mount "$guest:/bin/prog" --mount "$dir:/scripts" "$guest" $$
status=$?
[ "$status" -eq 0 ] || { echo "the guest saw $status wrong results (exit status $status)"; exit 1; }
kill -0 "$bystander" 2>/dev/null || { echo "a host process beside vxrun was killed"; exit 1; }
echo "execve and the process tree held"
