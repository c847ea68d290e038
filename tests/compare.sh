#!/usr/bin/env bash
# compare.sh VXRUN GUEST [ARGS...]: runs GUEST natively (or under qemu-i386
# where this host cannot run i386 code) and under vxrun, each in a fresh
# working directory (granted to the vxrun run read-write as /work, its
# cwd); passes when stdout, stderr, the files left in that directory and the
# exit status all agree. vxrun's own diagnostics (lines "vxrun: ...") are not
# the guest's stderr and are left out of the comparison. With VX_INPUT=DIR,
# both working directories start as copies of DIR; VX_STDIN=FILE is both
# runs' standard input (else /dev/null). Both runs get the environment vxrun
# gives by default (PATH only) and, with VX_ENV="K1 K2 ...", those host
# variables (vxrun --env K).
set -u
vxrun=$1; shift
guest=$1
[ -f "$guest" ] || { echo "no such guest program: $guest"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/ref" "$tmp/vx" "$tmp/probe"
if [ -n "${VX_INPUT:-}" ]; then cp -a "$VX_INPUT/." "$tmp/ref/" && cp -a "$VX_INPUT/." "$tmp/vx/" || exit 1; fi
stdin=${VX_STDIN:-/dev/null}
guest_path=$(realpath "$guest")
if [ -z "${VX_REFERENCE:-}" ]; then
    # A host that cannot exec i386 answers 126 (Exec format error) for any program.
    { (cd "$tmp/probe" && exec "$guest_path") >/dev/null 2>&1 </dev/null; } 2>/dev/null; rc=$?
    if [ $rc -eq 126 ]; then VX_REFERENCE=qemu-i386; else VX_REFERENCE=native; fi
fi
shift
guest_env=(PATH=/usr/local/bin:/usr/bin:/bin)  # vxrun's default
env_options=()
for name in ${VX_ENV:-}; do
    [ -n "${!name+set}" ] && guest_env+=("$name=${!name}")
    env_options+=(--env "$name")
done
# (The braces keep bash's own note of a child killed by a signal out of the output.)
{ (
    cd "$tmp/ref" || exit 1
    if [ "$VX_REFERENCE" = native ]; then exec env -i "${guest_env[@]}" "$guest_path" "$@"
    else exec env -i "${guest_env[@]}" "$(command -v qemu-i386)" "$guest_path" "$@"; fi
) >"$tmp/ref.out" 2>"$tmp/ref.err" <"$stdin"; } 2>/dev/null
want=$?
"$vxrun" "${env_options[@]}" --mount "$tmp/vx:/work:rw" --cwd /work "$guest_path" "$@" >"$tmp/vx.out" 2>"$tmp/vx.all-err" <"$stdin"
got=$?
grep -v '^vxrun: ' "$tmp/vx.all-err" >"$tmp/vx.err"

status=0
if ! cmp -s "$tmp/ref.out" "$tmp/vx.out"; then
    echo "stdout differs from the $VX_REFERENCE run:"; diff "$tmp/ref.out" "$tmp/vx.out" | head -40
    status=1
fi
if ! cmp -s "$tmp/ref.err" "$tmp/vx.err"; then
    echo "stderr differs from the $VX_REFERENCE run:"; diff "$tmp/ref.err" "$tmp/vx.err" | head -20
    status=1
fi
if ! diff -r "$tmp/ref" "$tmp/vx" >"$tmp/files.diff"; then
    echo "the files written differ from the $VX_REFERENCE run:"; head -20 "$tmp/files.diff"
    status=1
fi
if [ $want -ne $got ]; then
    echo "exit status: $VX_REFERENCE $want, vxrun $got"; cat "$tmp/vx.all-err"
    status=1
fi
[ $status -eq 0 ] && echo "same output, files and exit status ($got) as $VX_REFERENCE: $(wc -l <"$tmp/vx.out") lines, $(find "$tmp/vx" -type f | wc -l) files"
exit $status
