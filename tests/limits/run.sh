#!/usr/bin/env bash
# run.sh VXRUN GUEST CASE: one resource attack (attack.c) under its limit, or
# a run that stays just under it. Each CASE below says how vxrun is run and
# how it must end:
#   want    the exit status (137: stopped by a limit)
#   limit   for 137, the limit vxrun's one line on stderr must name
#           ("vxrun: guest stopped: LIMIT limit exceeded: used X of Y");
#           X must be within 10% of `near` bytes
#   stdout  when set, a line stdout must hold
# Whatever the case, afterwards: a bystander host process is alive, no
# process of the guest's tree is left, vxrun's private /tmp is gone, and no
# more than the output limit reached vxrun's stdout (nor the file-size limit
# the host directory granted as /tmp).
set -u
vxrun=$1 guest=$2 case=$3
MiB=$((1 << 20))

tmp=$(mktemp -d); bystander=
cleanup() { [ "$BASHPID" = "$$" ] || return 0; [ -n "$bystander" ] && kill "$bystander" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/hosttmp" "$tmp/granted" "$tmp/sync"
token="vx-limits-$$-$RANDOM"  # in the command line of every process of the tree
tree="^$vxrun --env TOKEN=$token "  # (and of `timeout`, which this leaves out)

opts=() args=() want=0 limit="" near=0 stdout="" output_limit="" file_limit="" lines=1 min_mib=0
case $case in
# output: every byte written to a descriptor counts, and exactly the limit may be written
output_flood) opts=(--output=1M); args=(output write 0); want=137 limit=output near=$MiB output_limit=$MiB ;;
output_flood_writev) opts=(--output=1M); args=(output writev 0); want=137 limit=output near=$MiB output_limit=$MiB ;;
output_flood_file) opts=(--output=1M --tmp); args=(output-file write /tmp/flood 0); want=137 limit=output near=$MiB ;;
output_flood_pwrite) opts=(--output=1M --tmp); args=(output-file pwrite /tmp/flood 0); want=137 limit=output near=$MiB ;;
output_flood_sendfile) opts=(--output=1M --tmp); args=(output-file sendfile /tmp/flood 0); want=137 limit=output near=$MiB ;;
output_across_exec) opts=(--output=1M); args=(output-exec 600000); want=137 limit=output near=$MiB output_limit=$MiB ;;
output_one_byte_over) opts=(--output=1048575); args=(output write $MiB); want=137 limit=output near=$MiB output_limit=1048575 ;;
output_just_under) opts=(--output=1M); args=(output write $MiB); want=0 output_limit=$MiB ;;
# four processes flooding at once share the limit (the first to reach it ends them all, in one line)
output_flood_tree) opts=(--output=1M); args=(output-tree 4); want=137 limit=output near=$MiB output_limit=$MiB ;;
# file size: writes and truncates beyond it stop the guest
file_growth) opts=(--file-size=1M --mount "$tmp/granted:/tmp:rw"); args=(grow write /tmp/big 0); want=137 limit="file size" near=$MiB file_limit=$MiB ;;
file_growth_pwrite) opts=(--file-size=1M --mount "$tmp/granted:/tmp:rw"); args=(grow pwrite /tmp/big 0); want=137 limit="file size" near=$MiB file_limit=$MiB ;;
file_growth_append) opts=(--file-size=1M --mount "$tmp/granted:/tmp:rw"); args=(grow append /tmp/big 0); want=137 limit="file size" near=$MiB file_limit=$MiB ;;
file_growth_truncate) opts=(--file-size=1M --mount "$tmp/granted:/tmp:rw"); args=(grow ftruncate /tmp/big 0); want=137 limit="file size" near=$MiB file_limit=$MiB ;;
file_just_under) opts=(--file-size=1M --mount "$tmp/granted:/tmp:rw"); args=(grow write /tmp/big $MiB); want=0 file_limit=$MiB ;;
# open files: EMFILE at the limit, which the guest sees for itself (exit 0)
fd_exhaustion) opts=(--open-files=100); args=(fds 100); want=0 stdout="EMFILE after 100 descriptors (97 opened); RLIMIT_NOFILE 100/100; dup2 at it EBADF, F_DUPFD at it EINVAL, dup2 below it 99" ;;
fd_just_under) opts=(--open-files=100); args=(fds-upto 100); want=0 ;;
# processes: a fork bomb fills the tree and gets EAGAIN (see below)
fork_bomb) opts=(--processes=8 --mount "$tmp/sync:/sync:rw"); args=(fork 8 /sync); want=0 stdout="peak 8 (8 stopped forking), then EAGAIN" ;;
# memory: 1 MiB at a time, touched, until the limit; 48 MiB fit beside the
# image, the engine's data and the stack (counted as it grows: more than 56
# MiB are had, which a stack counted whole, 8 MiB, would not leave)
brk_bomb) opts=(--memory=64M); args=(brk 0); want=137 limit=memory near=$((64 * MiB)) ;;
brk_bomb_reach) opts=(--memory=64M); args=(brk-count 0); want=137 limit=memory near=$((64 * MiB)) min_mib=57 ;;
mmap_bomb) opts=(--memory=64M); args=(mmap 0); want=137 limit=memory near=$((64 * MiB)) ;;
# three children taking 24 MiB each at once share the limit: 72 MiB do not
# fit in 64, whatever the rest costs; the first child stopped ends the whole
# run, with what they took near the limit
memory_bomb_tree) opts=(--memory=64M); args=(memory-tree 3 24); want=137 limit=memory near=$((64 * MiB)) ;;
brk_just_under) opts=(--memory=64M); args=(brk 48 64); want=0 ;;
mmap_just_under) opts=(--memory=64M); args=(mmap 48 64); want=0 ;;
# the stack's growth is admitted like a brk: 7 MiB of recursion beside a
# 10 MiB heap passes 16 MiB, and is stopped in the recursion (the heap was had);
# 5 MiB beside 7 fit (some 14 MiB in all: not with the stack counted 8 MiB whole)
stack_bomb) opts=(--memory=16M); args=(stack 10 7); want=137 limit=memory near=$((16 * MiB)) stdout="heap 10 MiB touched" ;;
stack_just_under) opts=(--memory=16M); args=(stack 7 5); want=0 stdout="heap 7 MiB touched" ;;
*) echo "unknown case $case"; exit 2 ;;
esac

sleep 60 & bystander=$!
TMPDIR=$tmp/hosttmp timeout 60 "$vxrun" --env "TOKEN=$token" "${opts[@]}" "$guest" "${args[@]}" \
  >"$tmp/out" 2>"$tmp/err" </dev/null &
vx=$!
if [ "$case" = fork_bomb ]; then
  # While the guest holds its peak, the host counts the tree's processes.
  for _ in $(seq 200); do grep -q '^peak' "$tmp/out" && break; sleep 0.05; done
  alive=$(pgrep -f -c -- "$tree")
  touch "$tmp/sync/go"
fi
wait "$vx"; got=$?

problems=()
[ "$got" -eq "$want" ] || problems+=("exit status $got, not $want")
if [ -n "$limit" ]; then
  count=$(wc -l <"$tmp/err")
  if [ "$lines" = any ]; then  # one line for each process stopped, all naming the limit
    others=$(grep -cv -E "^vxrun: guest( [0-9]+)? stopped: $limit limit exceeded: " "$tmp/err")
    [ "$others" -eq 0 ] || problems+=("$others other lines on stderr")
  else
    [ "$count" -eq 1 ] || problems+=("$count lines on stderr, not 1")
  fi
  line=$(grep -m1 -E "^vxrun: guest( [0-9]+)? stopped: $limit limit exceeded: used [0-9.]+ (bytes|KiB|MiB) of " "$tmp/err")
  if [ -z "$line" ]; then
    problems+=("no line naming the $limit limit")
  else
    read -r amount unit <<<"$(sed -E 's/.* used ([0-9.]+) (bytes|KiB|MiB) of .*/\1 \2/' <<<"$line")"
    used=$(awk -v a="$amount" -v u="$unit" 'BEGIN { m = u == "MiB" ? 1048576 : u == "KiB" ? 1024 : 1; printf "%.0f", a * m }')
    within=$(awk -v u="$used" -v n="$near" 'BEGIN { print (u >= 0.9 * n && u <= 1.1 * n) ? 1 : 0 }')
    [ "$within" = 1 ] || problems+=("used $used bytes, not within 10% of $near")
    echo "$case: $line"
  fi
elif [ -s "$tmp/err" ]; then
  problems+=("stderr: $(head -c 300 "$tmp/err")")
fi
if [ -n "$stdout" ]; then
  grep -qxF -- "$stdout" "$tmp/out" || problems+=("stdout is not \"$stdout\" but \"$(head -c 300 "$tmp/out")\"")
fi
if [ "$case" = memory_bomb_tree ]; then
  mib=$(tr -cd m <"$tmp/out" | wc -c)
  echo "$case: the 3 children allocated $mib MiB in all"
  [ "$mib" -lt 72 ] || problems+=("the children got all of their $mib MiB")
  [ "$mib" -ge 52 ] || problems+=("the children got only $mib MiB of the 64 MiB limit (not within 10%, beside what the four processes cost themselves)")
  grep -q 'children stopped' "$tmp/out" && problems+=("the parent went on after a child was stopped")
fi
if [ "$min_mib" -gt 0 ]; then
  mib=$(tr -cd m <"$tmp/out" | wc -c)
  echo "$case: $mib MiB allocated"
  [ "$mib" -ge "$min_mib" ] || problems+=("$mib MiB allocated, not at least $min_mib")
fi
if [ "$case" = fork_bomb ]; then
  echo "$case: $alive processes alive at the peak; $(cat "$tmp/out")"
  [ "$alive" -eq 8 ] || problems+=("$alive processes alive at the peak, not 8")
fi

# The host is unharmed.
kill -0 "$bystander" 2>/dev/null || problems+=("the bystander process died")
for _ in $(seq 40); do pgrep -f -- "$tree" >/dev/null || break; sleep 0.05; done
left=$(pgrep -f -- "$tree" | tr '\n' ' ')
# shellcheck disable=SC2086 # a list of pids
[ -z "$left" ] || { problems+=("processes left after vxrun: $left"); kill -KILL $left; }
[ -z "$(ls -A "$tmp/hosttmp")" ] || problems+=("vxrun's private /tmp is still there: $(ls -A "$tmp/hosttmp")")
size=$(stat -c %s "$tmp/out")
[ -z "$output_limit" ] || [ "$size" -le "$output_limit" ] || problems+=("$size bytes reached stdout, over $output_limit")
if [ -n "$file_limit" ] && [ -e "$tmp/granted/big" ]; then
  big=$(stat -c %s "$tmp/granted/big")
  [ "$big" -le "$file_limit" ] || problems+=("the file grew to $big bytes, over $file_limit")
fi

if [ ${#problems[@]} -gt 0 ]; then
  printf '%s: FAILED:\n' "$case"; printf '  %s\n' "${problems[@]}"
  echo "stderr:"; head -c 1000 "$tmp/err"
  exit 1
fi
echo "$case: held (exit status $got)"
