#!/usr/bin/env bash
# compare.sh VXRUN GUEST [ARGS...]: runs GUEST natively (or, where this host
# cannot run i386 code, takes its recording or runs it under qemu-i386: see
# below) and under vxrun, each in a fresh
# working directory (granted to the vxrun run read-write as /work, its
# cwd); passes when stdout, stderr, the files left in that directory and the
# exit status all agree. vxrun's own diagnostics (lines "vxrun: ...") are not
# the guest's stderr and are left out of the comparison. With VX_INPUT=DIR,
# both working directories start as copies of DIR; VX_STDIN=FILE is both
# runs' standard input (else /dev/null). Both runs get the environment vxrun
# gives by default (PATH only) and, with VX_ENV="K1 K2 ...", those host
# variables (vxrun --env K).
#
# Where native i386 cannot run, a recording of a real i386 run is the
# reference when VX_RECORDING=PREFIX names one (PREFIX.out, .err, .files and
# .status, written by tests/conformance/record.sh: see that script) and it
# fits this run: the same arguments, its source unchanged since (the
# source's sha256 in PREFIX.status), no VX_INPUT, VX_STDIN or VX_ENV. The
# files then compared are list-files.sh's listing (types, sizes, contents'
# sha256, link targets). VX_REFERENCE=native, recorded or qemu-i386 chooses.
#
# qemu-i386 is a reference only where neither can be had, and its known
# faults are named below and filtered narrowly; the output says when one
# applied:
# - it prints "qemu: uncaught target signal N (...) - core dumped" on its own
#   stderr when the guest dies of a signal: those lines are not the guest's.
# - it runs as a 64-bit process, so a filesystem with 64-bit directory
#   cookies (ext4) gives glibc's 32-bit readdir EOVERFLOW and a directory
#   reads empty: its working directory is on tmpfs (/dev/shm) where there is one.
# - it does not restore x87 registers when a signal handler returns (st0
#   reads 0): a line "st0 kept: ..." (tests/conformance/signal_fpu.c) is left
#   out of the comparison when qemu's says 0.
set -u
vxrun=$1; shift
guest=$1
[ -f "$guest" ] || { echo "no such guest program: $guest"; exit 1; }

tmp=$(mktemp -d); ref_tmp=
trap 'rm -rf "$tmp" ${ref_tmp:+"$ref_tmp"}' EXIT
mkdir "$tmp/vx" "$tmp/probe"
stdin=${VX_STDIN:-/dev/null}
guest_path=$(realpath "$guest")
here=$(dirname "$(realpath "$0")")
recording=${VX_RECORDING:-}
# recording_unfit GUEST_ARGS...: why the recording cannot be this run's
# reference (nothing printed, status 0, when it can).
recording_unfit() {
    local field value
    for field in out err files status; do
        [ -f "$recording.$field" ] || { echo "there is no $recording.$field"; return; }
    done
    [ -z "${VX_INPUT:-}${VX_STDIN:-}${VX_ENV:-}" ] || { echo "it was made with no VX_INPUT, VX_STDIN or VX_ENV"; return; }
    value=$(sed -n 's/^arguments://p' "$recording.status")
    [ "$value" = "$(printf ' %q' "${@:2}")" ] || { echo "it was made with other arguments:$value"; return; }
    read -r field value < <(sed -n 's/^source: //p' "$recording.status")
    [ -n "$field" ] && [ -f "$here/../$field" ] && [ "$(sha256sum <"$here/../$field")" = "$value  -" ] ||
        echo "$field changed since it was recorded (re-record: tests/conformance/record.sh BUILD_DIR)"
}
notes=()
if [ -z "${VX_REFERENCE:-}" ]; then
    # A host that cannot exec i386 answers 126 (Exec format error) for any program.
    { (cd "$tmp/probe" && exec "$guest_path") >/dev/null 2>&1 </dev/null; } 2>/dev/null; rc=$?
    if [ $rc -ne 126 ]; then VX_REFERENCE=native
    elif [ -z "$recording" ]; then VX_REFERENCE=qemu-i386
    elif unfit=$(recording_unfit "$@") && [ -z "$unfit" ]; then VX_REFERENCE=recorded
    else VX_REFERENCE=qemu-i386; notes+=("the recording $recording is not used: $unfit"); fi
fi
reference=$VX_REFERENCE
if [ "$VX_REFERENCE" = recorded ]; then
    unfit=$(recording_unfit "$@")
    [ -z "$unfit" ] || { echo "VX_REFERENCE=recorded, but the recording ${recording:-(no VX_RECORDING)} cannot be used: $unfit"; exit 1; }
    reference="recorded reference ($(sed -n 's/^recorded: //p' "$recording.status"))"
fi
quirks=()
ref_dir=$tmp/ref
if [ "$VX_REFERENCE" = qemu-i386 ] && [ -d /dev/shm ] && [ -w /dev/shm ] && ref_tmp=$(mktemp -d -p /dev/shm 2>/dev/null); then
    ref_dir=$ref_tmp/ref
fi
mkdir "$ref_dir" || exit 1
if [ -n "${VX_INPUT:-}" ]; then cp -a "$VX_INPUT/." "$ref_dir/" && cp -a "$VX_INPUT/." "$tmp/vx/" || exit 1; fi
shift
guest_env=(PATH=/usr/local/bin:/usr/bin:/bin)  # vxrun's default
env_options=()
for name in ${VX_ENV:-}; do
    [ -n "${!name+set}" ] && guest_env+=("$name=${!name}")
    env_options+=(--env "$name")
done
if [ "$VX_REFERENCE" = recorded ]; then
    cp "$recording.out" "$tmp/ref.out" && cp "$recording.err" "$tmp/ref.err" || exit 1
    want=$(sed -n 's/^status: //p' "$recording.status")
else
    # (The braces keep bash's own note of a child killed by a signal out of the output.)
    { (
        cd "$ref_dir" || exit 1
        if [ "$VX_REFERENCE" = native ]; then exec env -i "${guest_env[@]}" "$guest_path" "$@"
        else exec env -i "${guest_env[@]}" "$(command -v qemu-i386)" "$guest_path" "$@"; fi
    ) >"$tmp/ref.out" 2>"$tmp/ref.err" <"$stdin"; } 2>/dev/null
    want=$?
fi
"$vxrun" "${env_options[@]}" --mount "$tmp/vx:/work:rw" --cwd /work "$guest_path" "$@" >"$tmp/vx.out" 2>"$tmp/vx.all-err" <"$stdin"
got=$?
grep -v '^vxrun: ' "$tmp/vx.all-err" >"$tmp/vx.err"

if [ "$VX_REFERENCE" = qemu-i386 ]; then
    [ -n "$ref_tmp" ] && quirks+=("avoided: its working directory is on tmpfs (on ext4 its readdir fails: 64-bit directory cookies)")
    qemu_line='^qemu: uncaught target signal [0-9]+ \([A-Za-z ]+\) - core dumped$'
    if grep -qE "$qemu_line" "$tmp/ref.err"; then
        grep -vE "$qemu_line" "$tmp/ref.err" >"$tmp/ref.err.filtered"; mv "$tmp/ref.err.filtered" "$tmp/ref.err"
        quirks+=("filtered: its own \"qemu: uncaught target signal\" lines removed from stderr")
    fi
    st0_line='^st0 kept: '
    if grep -qx 'st0 kept: 0\.00000' "$tmp/ref.out"; then
        for side in ref vx; do grep -v "$st0_line" "$tmp/$side.out" >"$tmp/$side.out.filtered"; mv "$tmp/$side.out.filtered" "$tmp/$side.out"; done
        quirks+=("filtered: \"st0 kept:\" not compared (it loses x87 registers across a signal handler)")
    fi
fi

status=0
if ! cmp -s "$tmp/ref.out" "$tmp/vx.out"; then
    echo "stdout differs from the $reference run:"; diff "$tmp/ref.out" "$tmp/vx.out" | head -40
    status=1
fi
if ! cmp -s "$tmp/ref.err" "$tmp/vx.err"; then
    echo "stderr differs from the $reference run:"; diff "$tmp/ref.err" "$tmp/vx.err" | head -20
    status=1
fi
if [ "$VX_REFERENCE" = recorded ]; then
    "$here/conformance/list-files.sh" "$tmp/vx" >"$tmp/vx.files" && diff "$recording.files" "$tmp/vx.files" >"$tmp/files.diff"
else
    diff -r "$ref_dir" "$tmp/vx" >"$tmp/files.diff"
fi || { echo "the files written differ from the $reference run:"; head -20 "$tmp/files.diff"; status=1; }
if [ "$want" != "$got" ]; then
    echo "exit status: $reference $want, vxrun $got"; cat "$tmp/vx.all-err"
    status=1
fi
for note in ${notes[@]+"${notes[@]}"}; do echo "$note"; done
for quirk in ${quirks[@]+"${quirks[@]}"}; do echo "qemu-i386 was the reference; its quirk $quirk"; done
[ $status -eq 0 ] && echo "same output, files and exit status ($got) as $reference: $(wc -l <"$tmp/vx.out") lines, $(find "$tmp/vx" -type f | wc -l) files"
exit $status
