#!/usr/bin/env bash
# expect.sh HALF VXRUN GUEST SOURCE [PROBE]: one attack of the red-team suite,
# HALF "vx" (the attack under vxrun) or "native" (the proof that it works, or
# is refused, without vx: the attack alone).
#
# SOURCE declares, each on its own line:
#   vx-expect: STATUS [TEXT]   how vxrun must end it: the exit status, and TEXT
#                              somewhere in vxrun's diagnosis
#   vx-expect-without FLAG: STATUS [TEXT]
#                              replaces vx-expect on a machine whose
#                              /proc/cpuinfo lacks FLAG (what vx refuses can
#                              depend on what the CPU and kernel enable)
#   vx-native: escapes         run natively (unconfined) the attack works: it
#                              prints the marker ESCAPED and exits 99, so the
#                              test is not vacuous
#   vx-native: STATUS          the CPU or kernel refuses it natively too, with
#                              this exit status (no marker)
#   vx-qemu: no REASON         (C attacks) qemu-i386 cannot show it working
#   vx-vm: no REASON           record-native.sh's VM cannot show it (its
#                              emulated CPU differs here): not recorded there
#   vx-args: ARGS...           optional vxrun options
# Under vxrun the marker must never appear, the status must be the one
# declared (never 99, an escape's own status), and a bystander host process
# and a secret file outside the guest's grants must come through untouched.
#
# The native half runs the attack natively where the host runs i386
# programs (PROBE is any i386 program, to find out). Where it cannot, it
# checks the attack's recorded native run (native-recorded.txt, written by
# record-native.sh BUILD_DIR natively or in a VM whose kernel runs i386) as
# a live run is checked, if there is one for this very source (its sha256).
# Else a C attack (system calls through glibc) runs under qemu-i386, which
# passes the guest's calls to the host kernel, unless it declares vx-qemu:
# no; anything else is skipped (exit 77) with the reason.
#
# What an attack may aim at, handed over in its environment (and nothing else
# of the host's: vxrun --env passes exactly these):
#   VX_HOST_PID  a host process that is not part of the guest's tree
#   VX_SECRET    the absolute host path of a file outside every grant
# It starts in a fresh working directory, granted to it read-only as /work (and
# its cwd), whose parent holds the secret; an attack that needs to write adds
# `vx-args: --mount .:/work/w:rw`, the same directory granted writable.
set -u
half=$1 vxrun=$2 guest=$3 source=$4 probe=${5:-$3}
case $half in vx|native) ;; *) echo "the first argument is vx or native, not $half"; exit 1 ;; esac

field() { grep -m1 -o "$1:.*" "$source" | sed -e "s|^$1:[[:space:]]*||" -e "s|[[:space:]]*\*/.*||" -e 's|[[:space:]]*$||'; }
expect_line=$(field vx-expect); native_line=$(field vx-native); vx_args=$(field vx-args); qemu_line=$(field vx-qemu)
[ -n "$expect_line" ] || { echo "no vx-expect line in $source"; exit 1; }
[ -n "$native_line" ] || { echo "no vx-native line in $source"; exit 1; }
conditional=$(grep -m1 -oE 'vx-expect-without [a-z0-9_]+:.*' "$source" | sed -e 's|[[:space:]]*\*/.*||' -e 's|[[:space:]]*$||')
if [ -n "$conditional" ]; then
  flag=$(sed -E 's/^vx-expect-without ([a-z0-9_]+):.*/\1/' <<<"$conditional")
  if ! grep -m1 '^flags' /proc/cpuinfo | grep -qw -- "$flag"; then
    expect_line=$(sed -E 's/^[^:]*:[[:space:]]*//' <<<"$conditional")
    [ "$half" = vx ] && echo "this machine's /proc/cpuinfo lacks $flag: expecting $expect_line"
  fi
fi
read -r want text <<<"$expect_line"

tmp=$(mktemp -d); bystander=
# Only the script itself cleans up: a bystander killed before it became
# `sleep` is still a copy of this shell, with this trap.
cleanup() { [ "$BASHPID" = "$$" ] || return 0; [ -n "$bystander" ] && kill "$bystander" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
secret_text="the host's secret $$"

# run_attack MODE: runs the guest once (MODE native, qemu-i386 or vx) in a
# fresh working directory with a fresh bystander; sets got, and checks what
# the attack must not have harmed when MODE is vx.
run_attack() {
  local mode=$1
  rm -rf "$tmp/work" "$tmp/secret"; mkdir "$tmp/work"
  printf '%s\n' "$secret_text" >"$tmp/secret"; chmod 600 "$tmp/secret"
  sleep 60 & bystander=$!
  export VX_HOST_PID=$bystander VX_SECRET=$tmp/secret
  if [ "$mode" = native ]; then
    (cd "$tmp/work" && exec timeout 20 env -i PATH=/usr/local/bin:/usr/bin:/bin VX_HOST_PID="$VX_HOST_PID" \
       VX_SECRET="$VX_SECRET" "$guest") >"$tmp/out" 2>"$tmp/err" </dev/null
  elif [ "$mode" = qemu-i386 ]; then
    (cd "$tmp/work" && exec timeout 20 env -i PATH=/usr/local/bin:/usr/bin:/bin VX_HOST_PID="$VX_HOST_PID" \
       VX_SECRET="$VX_SECRET" "$(command -v qemu-i386)" "$guest") >"$tmp/out" 2>"$tmp/err" </dev/null
  else
    # shellcheck disable=SC2086 # vx-args is a list of options
    # The guest is handed what it aims at explicitly, not through vxrun's own environment.
    (cd "$tmp/work" && exec timeout 20 "$vxrun" --mount "$tmp/work:/work" --cwd /work \
        --env "VX_HOST_PID=$VX_HOST_PID" --env "VX_SECRET=$VX_SECRET" $vx_args "$guest") \
      >"$tmp/out" 2>"$tmp/err" </dev/null
  fi
  got=$?
  harmed=""
  if [ "$mode" = vx ]; then
    kill -0 "$bystander" 2>/dev/null || harmed+=" the bystander process died;"
    [ "$(cat "$tmp/secret" 2>/dev/null)" = "$secret_text" ] || harmed+=" the secret file changed;"
    grep -qF "$secret_text" "$tmp/out" "$tmp/err" && harmed+=" the secret was read;"
  fi
  kill "$bystander" 2>/dev/null; wait "$bystander" 2>/dev/null; bystander=
}

show() { echo "--- stdout"; head -c 2000 "$tmp/out"; echo "--- stderr"; head -c 2000 "$tmp/err"; }
status=0

if [ "$half" = native ]; then
  recordings=$(dirname "$source")/native-recorded.txt name=$(basename "${source%.*}")
  recorded=$(grep -m1 "^$name " "$recordings" 2>/dev/null)
  vm_line=$(field vx-vm)
  if [ -n "$recorded" ] && [ "$(cut -d' ' -f4 <<<"$recorded")" != "$(sha256sum <"$source" | cut -d' ' -f1)" ]; then
    no_recording="its recording in $recordings is of an older source (re-record: tests/escape/record-native.sh BUILD_DIR)"
  elif [ -z "$recorded" ] && [ -n "$vm_line" ]; then
    no_recording="it is not recorded (vx-vm: $vm_line)"
  elif [ -z "$recorded" ]; then
    no_recording="it is not recorded in $recordings"
  fi
  { (cd "$tmp" && exec "$probe") >/dev/null 2>&1 </dev/null; } 2>/dev/null
  if [ $? -ne 126 ]; then
    mode=native
  elif [ -z "${no_recording-}" ]; then
    mode="recorded native run ($(sed -n 's/^recorded: //p' "$recordings"))"
  elif [ "${source##*.}" != c ]; then
    echo "SKIP: this host cannot run i386 programs, $no_recording, and qemu-i386 is no proof of what a CPU does"; exit 77
  elif [ -n "$qemu_line" ]; then
    echo "SKIP: this host cannot run i386 programs, $no_recording, and under qemu-i386: $qemu_line"; exit 77
  elif ! command -v qemu-i386 >/dev/null; then
    echo "SKIP: this host cannot run i386 programs, $no_recording, and it has no qemu-i386"; exit 77
  else
    mode=qemu-i386
  fi
  if [ "$mode" = native ] || [ "$mode" = qemu-i386 ]; then
    run_attack "$mode"
    marker=$(grep -q ESCAPED "$tmp/out" && echo yes || echo no)
  else
    read -r _ got marker _ <<<"$recorded"
    : >"$tmp/out"; echo "(a recording keeps no output)" >"$tmp/err"
  fi
  if [ "$native_line" = escapes ]; then
    if [ "$marker" = yes ]; then
      echo "$mode: the attack works: it printed its marker (exit $got)"
    else
      echo "$mode: the attack did not work (exit $got), so the vx half proves nothing"; show; status=1
    fi
  elif [ "$got" -ne "$native_line" ] || [ "$marker" = yes ]; then
    echo "$mode: exit $got, expected $native_line without the marker"; show; status=1
  else
    echo "$mode: refused as declared: exit $got"
  fi
  exit $status
fi

run_attack vx
if grep -q ESCAPED "$tmp/out"; then echo "under vxrun the guest printed its escape marker"; status=1; fi
if [ "$got" -eq 99 ]; then echo "under vxrun the guest exited 99, an escape's status"; status=1; fi
if [ "$got" -ne "$want" ]; then echo "under vxrun: exit status $got, expected $want"; status=1; fi
if [ -n "$text" ] && ! grep -qF "$text" "$tmp/err"; then echo "vxrun's diagnosis lacks \"$text\""; status=1; fi
[ -n "$harmed" ] && { echo "under vxrun:$harmed"; status=1; }
[ $status -ne 0 ] && show
[ $status -eq 0 ] && echo "under vxrun: exit $got as expected: $(head -c 200 "$tmp/err")"
exit $status
