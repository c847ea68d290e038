#!/usr/bin/env bash
# pressure.sh VXRUN GUEST CASE (pressure_attack.c).
# Blocking cases: the guest blocks in a host call (pause, a wait, a lock, a
# pipe, a sleep, ...) under --wall-time=1 --cpu-time=1; the run must end with
# 137 and the wall-time limit named. The outer timeout only detects a hang:
# nothing here measures how long the stop took.
# Mapping cases (--host-mappings=200): splits past the limit get ENOMEM and
# the guest goes on; writes into code pages at the limit work (the host's
# and the guest's); code that needs pages protected past the limit stops the
# run with the host-mappings limit named. vxrun never dies of a signal.
set -u
vxrun=$1 guest=$2 case=$3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

opts=(--wall-time=1 --cpu-time=1) want_status=137 want_line="^vxrun: guest( [0-9]+)? stopped: wall time limit exceeded: used "  # any process of the tree may reach it first
want_out="" tty=0
case $case in
pause|sigsuspend|sigtimedwait|wait4|futex|poll|ppoll|select|pselect6|write_pipe|nanosleep|clock_nanosleep) ;;
exec_loop) want_line="^vxrun: guest stopped: (wall|cpu) time limit exceeded: used " ;;  # it computes too: either may come first
read_pipe) ;;
read_tty) tty=1 ;;
flock|ofd_lock) opts+=(--tmp) ;;
mprotect_splits) opts=(--host-mappings=200) want_status=0 want_line="" want_out="^ENOMEM after [0-9]+ splits" ;;
code_write_at_limit) opts=(--host-mappings=200) want_status=0 want_line=""
  want_out="uname into the middle code page gave Linux; the rewritten code returns 7" ;;
# The same at the default limit (16384), well under Linux's 65530.
code_write_at_default_limit) opts=() want_status=0 want_line=""
  want_out="uname into the middle code page gave Linux; the rewritten code returns 7" ;;
protect_code_at_limit) opts=(--host-mappings=200)
  want_line="^vxrun: guest stopped: host mappings limit exceeded: used [0-9]+ of 200" ;;
*) echo "unknown case $case"; exit 2 ;;
esac
mode=${case//_/-}
[ "$case" = code_write_at_default_limit ] && mode=code-write-at-limit
[ "$case" = read_tty ] && mode=read-stdin

if [ "$tty" = 1 ]; then
  # A terminal for the guest's stdin, from script(1); nothing is ever typed.
  command -v script >/dev/null || { echo "SKIP: no script(1) to give the guest a terminal"; exit 77; }
  cmd=$(printf '%q ' "$vxrun" "${opts[@]}" "$guest" "$mode")
  # script's own input stays open (and empty): it would end the terminal's input otherwise.
  timeout 60 script -qec "$cmd 2>$tmp/err; echo status=\$? >$tmp/status" /dev/null >"$tmp/out" 2>&1 < <(sleep 60)
  got=$(sed -n 's/^status=//p' "$tmp/status" 2>/dev/null)
  got=${got:-timeout}
else
  timeout 60 "$vxrun" "${opts[@]}" "$guest" "$mode" >"$tmp/out" 2>"$tmp/err" </dev/null; got=$?
fi

problems=()
[ "$got" = "$want_status" ] || problems+=("exit status $got, not $want_status")
if [ -n "$want_line" ]; then
  grep -Eq "$want_line" "$tmp/err" || problems+=("no line on stderr matching: $want_line")
fi
if [ -n "$want_out" ]; then
  grep -Eq "$want_out" "$tmp/out" || problems+=("no line on stdout matching: $want_out")
fi
others=$(grep -Ev "^vxrun: guest( [0-9]+)? stopped: " "$tmp/err")
[ -z "$others" ] || problems+=("more on stderr: $(head -c 300 <<<"$others")")

sed 's/^/  out: /' "$tmp/out" | head -5
sed 's/^/  err: /' "$tmp/err" | head -5
if [ ${#problems[@]} -gt 0 ]; then
  printf '%s: FAILED:\n' "$case"; printf '  %s\n' "${problems[@]}"
  exit 1
fi
echo "$case: held"
