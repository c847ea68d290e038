#!/usr/bin/env bash
# record-native.sh BUILD_DIR: records the native half of every attack of the
# red-team suite (tests/escape/*.S and *.c, built in BUILD_DIR): what it does
# as a real i386 process on a real Linux kernel, run by run-native.sh as
# expect.sh runs it, into tests/escape/native-recorded.txt, one line per
# attack: NAME STATUS MARKER SHA256 (the exit status, yes when it printed
# ESCAPED, the sha256 of its source). expect.sh's native half uses a
# recording whose source is unchanged where this machine cannot run i386.
#
# Where this machine runs i386 programs, the attacks run here, natively.
# Elsewhere they run inside a virtual machine (tests/i386-vm.sh: Debian's own
# kernel, built with IA-32 emulation, under qemu-system-x86_64 TCG), as root.
# The kernel and its system calls are real; the CPU is emulated, and an
# emulated CPU may differ from a real one in what the attacks probe (UMIP,
# PKRU, AVX-512, alignment checks, faults): an attack that declares
# `vx-vm: no REASON` is not run in the VM, and a result that differs from
# the attack's vx-native line is listed at the end (recorded as it came: the
# test then fails until the attack is looked at, and declares vx-vm: no if
# the VM is the cause).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
recording=$here/native-recorded.txt
stage=$build/record-native
rm -rf "$stage" && mkdir -p "$stage/attacks" "$stage/results"

field() { grep -m1 -o "$1:.*" "$2" | sed -e "s|^$1:[[:space:]]*||" -e "s|[[:space:]]*\*/.*||" -e 's|[[:space:]]*$||'; }
sources=()
for src in "$here"/*.S "$here"/*.c; do
    name=$(basename "${src%.*}")
    [ -x "$build/guests/escape_$name" ] || { echo "no $build/guests/escape_$name: build first (cmake --build $build)"; exit 1; }
    sources+=("$src")
done

# A host that cannot exec i386 answers 126 (Exec format error) for any program.
probe=$(mktemp -d) rc=0
(cd "$probe" && "$build/guests/hello" >/dev/null 2>&1 </dev/null) 2>/dev/null || rc=$?
rm -rf "$probe"
native=$([ $rc -eq 126 ] && echo no || echo yes)

started=$(date +%s) skipped=()
if [ $native = yes ]; then
    how="natively on Linux $(uname -r) ($(uname -m), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
    for src in "${sources[@]}"; do
        name=$(basename "${src%.*}")
        "$here/run-native.sh" "$stage/results/$name" "$build/guests/escape_$name"
    done
else
    root=$stage/initramfs
    mkdir -p "$root/record" "$root/attacks"
    cp "$here/run-native.sh" "$root/record/"
    for src in "${sources[@]}"; do
        name=$(basename "${src%.*}")
        if [ -n "$(field vx-vm "$src")" ]; then skipped+=("$name: vx-vm: $(field vx-vm "$src")"); continue; fi
        cp "$build/guests/escape_$name" "$root/attacks/$name"
        echo "echo 'recording $name'; /record/run-native.sh /results/$name /attacks/$name"
    done >"$root/run.sh"
    "$here/../i386-vm.sh" "$build" "$root" "$stage/results"
    how=$(cat "$stage/results/how")
fi
echo "record-native.sh: ran $(find "$stage/results" -name status | wc -l) attacks in $(($(date +%s) - started)) s"

differs=()
{
    echo "# The native halves of the red-team suite where this machine cannot run i386"
    echo "# programs (tests/escape/expect.sh native), written by"
    echo "# tests/escape/record-native.sh BUILD_DIR (which re-records them all)."
    echo "recorded: $how"
    echo "# NAME STATUS MARKER SHA256-OF-SOURCE"
    for src in "${sources[@]}"; do
        name=$(basename "${src%.*}") result=$stage/results/$(basename "${src%.*}")
        [ -f "$result/status" ] || continue
        status=$(cat "$result/status") marker=$(cat "$result/marker")
        declared=$(field vx-native "$src")
        if [ "$declared" = escapes ]; then [ "$marker" = yes ] || differs+=("$name: exit $status without the marker, declared escapes")
        elif [ "$status" != "$declared" ] || [ "$marker" = yes ]; then differs+=("$name: exit $status, marker $marker, declared $declared")
        fi
        echo "$name $status $marker $(sha256sum <"$src" | cut -d' ' -f1)"
    done
} >"$recording"
echo "record-native.sh: wrote $recording ($(grep -vc '^#\|^recorded:' "$recording") attacks)"
for line in "${skipped[@]}"; do echo "not run in the VM: $line"; done
for line in "${differs[@]}"; do echo "DIFFERS from its vx-native line: $line (output in $stage/results)"; done
