#!/usr/bin/env bash
# expect.sh VXRUN GUEST SOURCE: runs GUEST under vxrun and checks the outcome
# the source declares on a line "vx-expect: STATUS [TEXT]": the exit status,
# TEXT in vxrun's diagnosis, and never the marker ESCAPED on stdout.
set -u
vxrun=$1 guest=$2 source=$3
line=$(grep -m1 -o "vx-expect:.*" "$source" | sed "s|[[:space:]]*\*/.*||") || { echo "no vx-expect line in $source"; exit 1; }
read -r _ want text <<<"$line"
out=$(mktemp); err=$(mktemp); trap 'rm -f "$out" "$err"' EXIT
timeout 20 "$vxrun" "$guest" >"$out" 2>"$err" </dev/null
got=$?
status=0
if grep -q ESCAPED "$out"; then echo "the guest printed its escape marker"; status=1; fi
if [ "$got" -ne "$want" ]; then echo "exit status $got, expected $want"; status=1; fi
if [ -n "$text" ] && ! grep -qF "$text" "$err"; then echo "diagnosis lacks \"$text\""; status=1; fi
if [ $status -ne 0 ]; then echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; fi
[ $status -eq 0 ] && echo "exit $got as expected: $(head -c 200 "$err")"
exit $status
