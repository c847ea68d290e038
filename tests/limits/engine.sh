#!/usr/bin/env bash
# engine.sh VXRUN GUEST CASE: one attack on a limit the engine enforces
# (engine_attack.c), or a run that stays within one. For a stopped case:
# exit status 137, one line on stderr naming the limit, and the amount used:
# exactly the limit for fuel; for memory within 10% above it; for time at
# least the limit (how far past it a stop lands depends on the machine's
# load, so only the mechanism's promise, never stopping early, is checked;
# a limit that does not stop the guest at all ends in `timeout`'s 124). For
# the code-cache cases also what --stats=json says of the cache and of
# writes to code, with fuel as the limit so that how much is translated
# does not depend on the machine's speed. Afterwards a bystander host
# process is still alive.
set -u
vxrun=$1 guest=$2 case=$3

tmp=$(mktemp -d); bystander=
cleanup() { [ -n "$bystander" ] && kill "$bystander" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

opts=() args=() limit="" near="" exact="" stats_check=""
case $case in
spin_cpu) opts=(--cpu-time=0.5); args=(spin); limit="cpu time" near=0.5 ;;
spin_wall) opts=(--wall-time=1); args=(spin); limit="wall time" near=1 ;;
rep_movs_cpu) opts=(--cpu-time=0.5); args=(rep-movs); limit="cpu time" near=0.5 ;;
rep_movs_host_cpu) opts=(--cpu-time=0.5); args=(rep-movs-host); limit="cpu time" near=0.5 ;;
blocked_read_wall) opts=(--wall-time=1); args=(blocked-read); limit="wall time" near=1 ;;
sleep_wall) opts=(--wall-time=1); args=(sleep); limit="wall time" near=1 ;;
spin_fuel) opts=(--instructions=20000000); args=(spin); limit=instruction exact=20000000 ;;
# Some 33000 instructions to start, then about nine a rewrite: some 5000 rewrites.
rewrite_fuel) opts=(--instructions=80000 --stats=json); args=(rewrite); limit=instruction exact=80000
  stats_check='d["code_writes"] >= 1000' ;;
straight_line_memory) opts=(--memory=16M); args=(straight-line); limit=memory near=16 ;;  # it and its translations take some 22 MiB
branch_targets_memory) opts=(--memory=24M); args=(branch-targets); limit=memory near=24 ;;
# The code cache fills, is flushed (the first flush comes with the guest's
# TLS, so at least 2) and stays within its size; fuel ends the translating:
# 8 M instructions are the writing of 1 Mi distinct instructions (3 MiB of
# code) and a pass and more through them; 2 Mi are four calls of each of
# 256 Ki functions. (Here: some 10 flushes each.)
straight_line_cache) opts=(--code-cache=1M --instructions=8000000 --stats=json); args=(straight-line); limit=instruction exact=8000000
  stats_check='d["code_cache_peak_bytes"] <= 1 << 20 and d["code_cache_flushes"] >= 2' ;;
branch_targets_cache) opts=(--code-cache=1M --instructions=2097152 --stats=json); args=(branch-targets); limit=instruction exact=2097152
  stats_check='d["code_cache_peak_bytes"] <= 1 << 20 and d["code_cache_flushes"] >= 2' ;;
rewrite_cpu) opts=(--cpu-time=0.5 --stats=json); args=(rewrite); limit="cpu time" near=0.5
  stats_check='d["code_writes"] >= 1' ;;
# Fuel is exact both ways: a run given what it needs finishes, one short stops.
count_fuel_exact) ;;
*) echo "unknown case $case"; exit 2 ;;
esac

sleep 60 & bystander=$!
problems=()
if [ "$case" = count_fuel_exact ]; then
  "$vxrun" --instructions=1000000000000 --stats=json "$guest" count 100000 2>"$tmp/stats" || problems+=("the count run failed")
  needed=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["instructions"])' "$tmp/stats")
  "$vxrun" --instructions="$needed" "$guest" count 100000 2>"$tmp/err"; got=$?
  [ "$got" -eq 0 ] || problems+=("given exactly $needed instructions: exit status $got, not 0")
  "$vxrun" --instructions=$((needed - 1)) "$guest" count 100000 2>"$tmp/err"; got=$?
  [ "$got" -eq 137 ] || problems+=("given $((needed - 1)) instructions: exit status $got, not 137")
  grep -qx "vxrun: guest stopped: instruction limit exceeded: used $((needed - 1)) of $((needed - 1))" "$tmp/err" ||
    problems+=("stderr: $(head -c 300 "$tmp/err")")
  echo "$case: the run needs $needed instructions; one fewer stops it"
else
  timeout 60 "$vxrun" "${opts[@]}" "$guest" "${args[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null; got=$?
  [ "$got" -eq 137 ] || problems+=("exit status $got, not 137")
  line=$(grep -m1 "^vxrun: guest stopped: $limit limit exceeded: used " "$tmp/err")
  if [ -z "$line" ]; then
    problems+=("no line naming the $limit limit")
  else
    echo "$case: $line"
    read -r amount <<<"$(sed -E 's/.* used ([0-9.]+).*/\1/' <<<"$line")"
    if [ -n "$exact" ]; then
      [ "$amount" = "$exact" ] || problems+=("used $amount instructions, not exactly $exact")
    elif [ "$limit" = memory ]; then
      ok=$(awk -v a="$amount" -v n="$near" 'BEGIN { print (a >= n && a <= 1.1 * n) ? 1 : 0 }')
      [ "$ok" = 1 ] || problems+=("used $amount, not between $near and 10% over it")
    else
      ok=$(awk -v a="$amount" -v n="$near" 'BEGIN { print (a >= n) ? 1 : 0 }')
      [ "$ok" = 1 ] || problems+=("used $amount, stopped before the limit $near")
    fi
  fi
  others=$(grep -v "^vxrun: guest stopped: " "$tmp/err" | grep -v '^{')
  [ -z "$others" ] || problems+=("more on stderr: $(head -c 300 <<<"$others")")
  if [ -n "$stats_check" ]; then
    json=$(grep '^{' "$tmp/err")
    python3 -c "import json,sys; d = json.loads(sys.argv[1]); sys.exit(0 if ($stats_check) else 1)" "$json" ||
      problems+=("--stats=json does not show $stats_check: $json")
  fi
fi
kill -0 "$bystander" 2>/dev/null || problems+=("the bystander process died")

if [ ${#problems[@]} -gt 0 ]; then
  printf '%s: FAILED:\n' "$case"; printf '  %s\n' "${problems[@]}"
  exit 1
fi
echo "$case: held"
