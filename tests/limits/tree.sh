#!/usr/bin/env bash
# tree.sh VXRUN GUEST CASE: an attack on a limit by a tree of processes
# (tree_attack.c) that no process makes alone. Every case must end the whole
# run with exit status 137 and exactly one line on stderr naming the limit
# ("vxrun: guest[ PID] stopped: LIMIT limit exceeded: used X of Y"), with X
# at least Y; the guest's "survived" (printed when the attack was let
# through) must not appear; and no process of the tree may be left. Each case
# then checks what its limit bounds (see below). A case that is no attack
# (expect_fit) must run to its end: exit 0, "fits", nothing on stderr.
set -u
vxrun=$1 guest=$2 case=$3
MiB=$((1 << 20))

tmp=$(mktemp -d)
cleanup() { [ "$BASHPID" = "$$" ] || return 0; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/granted"
token="vx-tree-$$-$RANDOM"
tree="^$vxrun --env TOKEN=$token "

opts=() args=() limit="" expect_fit="" fuel_budget="" fuel_chunk="" output_limit="" file_limit=""
case $case in
# CPU time is the tree's: children one after another, or all at once, share it
cpu_sequential) opts=(--cpu-time=0.2); args=(cpu-sequential 8 0.2); limit="cpu time" ;;
cpu_concurrent) opts=(--cpu-time=0.2); args=(cpu-concurrent 8); limit="cpu time" ;;
# fuel: 4 children running chunks of 2*50000+1 instructions (a "d" after
# each); what they ran in all is at most the budget, and most of it
fuel_tree) opts=(--instructions=40000000); args=(fuel 4 50000); limit=instruction fuel_budget=40000000 fuel_chunk=100001 ;;
# ... and 8 children one after another, each running a quarter of the budget
fuel_sequential) opts=(--instructions=40000000); args=(fuel-sequential 8 100 50000); limit=instruction fuel_budget=40000000 fuel_chunk=100001 ;;
# memory: a 40 MiB heap, then 12 children rewriting it (copy-on-write pages
# cost the host when written): stopped at the first fork
memory_cow) opts=(--memory=64M); args=(cow 12 40); limit=memory ;;
# pages no process can write are one host copy, however many hold them: 6
# children holding 40 MiB fit in 128 MiB (each also costs its own pages);
# but that copy is still counted when its first owner lets go of it, and
# once a child makes it writable
memory_shared_fits) opts=(--memory=128M); args=(shared 6 40 hold); expect_fit=1 ;;
memory_shared_remap) opts=(--memory=128M); args=(shared 2 70 remap); limit=memory ;;
memory_shared_write) opts=(--memory=128M); args=(shared 2 70 write); limit=memory ;;
# what a child killed with SIGKILL shared (it could not say it let go) is let
# go of for it when it is reaped: 20 such children of a 10 MiB process fit
memory_killed_children) opts=(--memory=64M); args=(killed 20 10); expect_fit=1 ;;
# file size: one process moves the shared position to 64 GiB while three
# write; eight append 1 MiB at once through one O_APPEND descriptor
file_seek_race) opts=(--file-size=1M --mount "$tmp/granted:/out:rw"); args=(file-seek /out/big); limit="file size" file_limit=$MiB ;;
file_append_race) opts=(--file-size=1M --mount "$tmp/granted:/out:rw"); args=(file-append 8 /out/big); limit="file size" file_limit=$MiB ;;
# output: sendfile from a file another process truncates and grows again
sendfile_race) opts=(--output=1M --tmp); args=(sendfile /tmp/in); limit=output output_limit=$MiB ;;
# a child's breach ends the parent too, blocked in wait or spinning
child_breach_waiting) opts=(--output=1M); args=(child-output 1); limit=output output_limit=$MiB ;;
child_breach_spinning) opts=(--output=1M); args=(child-output 0); limit=output output_limit=$MiB ;;
*) echo "unknown case $case"; exit 2 ;;
esac

timeout 60 "$vxrun" --env "TOKEN=$token" "${opts[@]}" "$guest" "${args[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null
got=$?

problems=()
if [ -n "$expect_fit" ]; then
  # Not an attack: what the tree costs the host fits the limit, and it runs.
  [ "$got" -eq 0 ] || problems+=("exit status $got, not 0")
  grep -q '^fits$' "$tmp/out" || problems+=("no \"fits\" on stdout")
  [ -s "$tmp/err" ] && problems+=("stderr: $(head -c 300 "$tmp/err")")
else
  [ "$got" -eq 137 ] || problems+=("exit status $got, not 137")
  count=$(wc -l <"$tmp/err")
  [ "$count" -eq 1 ] || problems+=("$count lines on stderr, not 1")
  line=$(grep -m1 -E "^vxrun: guest( [0-9]+)? stopped: $limit limit exceeded: used " "$tmp/err")
fi
if [ -n "$expect_fit" ]; then
  :
elif [ -z "$line" ]; then
  problems+=("no line naming the $limit limit")
else
  echo "$case: $line"
  # "used X UNIT of Y UNIT": X is at least Y (units are the same or X's larger)
  read -r used used_unit maximum max_unit <<<"$(sed -E 's/.* used ([0-9.]+) ?([A-Za-z]*) of ([0-9.]+) ?([A-Za-z]*)$/\1 \2 \3 \4/' <<<"$line")"
  scale() { case $1 in KiB) echo 1024 ;; MiB) echo 1048576 ;; GiB) echo 1073741824 ;; *) echo 1 ;; esac; }
  ok=$(awk -v u="$used" -v us="$(scale "$used_unit")" -v m="$maximum" -v ms="$(scale "$max_unit")" \
    'BEGIN { print (u * us >= m * ms) ? 1 : 0 }')
  [ "$ok" = 1 ] || problems+=("used $used $used_unit, less than the limit $maximum $max_unit")
fi
grep -q survived "$tmp/out" && problems+=("the guest survived the attack")

for _ in $(seq 40); do pgrep -f -- "$tree" >/dev/null || break; sleep 0.05; done
left=$(pgrep -f -- "$tree" | tr '\n' ' ')
# shellcheck disable=SC2086 # a list of pids
[ -z "$left" ] || { problems+=("processes left after vxrun: $left"); kill -KILL $left; }

if [ -n "$output_limit" ]; then
  size=$(stat -c %s "$tmp/out")
  echo "$case: $size bytes reached stdout"
  [ "$size" -le "$output_limit" ] || problems+=("$size bytes reached stdout, over $output_limit")
fi
if [ -n "$file_limit" ]; then
  size=$(stat -c %s "$tmp/granted/big" 2>/dev/null || echo 0)
  echo "$case: the file is $size bytes"
  [ "$size" -le "$file_limit" ] || problems+=("the file grew to $size bytes, over $file_limit")
fi
if [ -n "$fuel_budget" ]; then
  chunks=$(tr -cd d <"$tmp/out" | wc -c)
  ran=$((chunks * fuel_chunk))
  echo "$case: $chunks chunks done, at least $ran instructions of $fuel_budget"
  [ "$ran" -le "$fuel_budget" ] || problems+=("the children ran $ran instructions, over $fuel_budget")
  [ "$ran" -ge $((fuel_budget * 9 / 10)) ] || problems+=("the children ran $ran instructions, not within 10% of $fuel_budget")
fi

if [ ${#problems[@]} -gt 0 ]; then
  printf '%s: FAILED:\n' "$case"; printf '  %s\n' "${problems[@]}"
  echo "stderr:"; head -c 1000 "$tmp/err"
  exit 1
fi
echo "$case: held"
