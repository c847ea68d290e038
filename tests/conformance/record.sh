#!/usr/bin/env bash
# record.sh BUILD_DIR: records what each conformance program (tests/conformance/
# *.c, built in BUILD_DIR against glibc and, where tests/musl/ can build them,
# against musl) prints, exits with and leaves behind when it runs as a real
# i386 process on a real Linux kernel, into tests/conformance/expected/
# {glibc,musl}/NAME.{out,err,files,status}. compare.sh uses a recording as
# the reference where this machine cannot run i386 programs.
#
# Where this machine runs i386 programs, they run here, natively. Elsewhere
# (a kernel without IA-32 emulation) they run inside a virtual machine
# (tests/i386-vm.sh: Debian's own kernel, built with IA-32 emulation, under
# qemu-system-x86_64 with software emulation, TCG) with the programs and
# run-case.sh. The process, the kernel and its system calls are real; the CPU
# is emulated, which these programs (system calls, libc, signals; not
# instruction corner cases) do not notice. In the VM they run as
# root (as does the one user of such a machine so far); none of them tests
# permissions. Each recording's .status names how it was made. Takes about
# a minute in the VM (plus the kernel's download, once).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
arguments=(first "second arg")  # as tests/conformance/CMakeLists.txt and tests/musl/run.sh give them
expected=$here/expected
stage=$build/record
rm -rf "$stage" && mkdir -p "$stage/cases/glibc" "$stage/cases/musl" "$stage/results"

# The programs, built as the tests build them.
sets=(glibc)
for src in "$here"/*.c; do
    name=$(basename "$src" .c)
    [ -x "$build/guests/conformance_$name" ] || { echo "no $build/guests/conformance_$name: build first (cmake --build $build)"; exit 1; }
    cp "$build/guests/conformance_$name" "$stage/cases/glibc/$name"
done
if "$here/../musl/run.sh" --build-only "$build/musl-cache" "$here"; then
    sets+=(musl)
    for src in "$here"/*.c; do name=$(basename "$src" .c); cp "$build/musl-cache/bin/$name" "$stage/cases/musl/$name"; done
else
    echo "record.sh: the musl builds are not recorded (see above)"
fi

# A host that cannot exec i386 answers 126 (Exec format error) for any program.
probe=$(mktemp -d) rc=0
(cd "$probe" && "$stage/cases/glibc/argv_env" >/dev/null 2>&1 </dev/null) 2>/dev/null || rc=$?
rm -rf "$probe"
native=$([ $rc -eq 126 ] && echo no || echo yes)

started=$(date +%s)
if [ $native = yes ]; then
    how="natively on Linux $(uname -r) ($(uname -m), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
    for set in "${sets[@]}"; do
        for program in "$stage/cases/$set"/*; do
            "$here/run-case.sh" "$stage/results/$set/$(basename "$program")" "$program" "${arguments[@]}"
        done
    done
else
    root=$stage/initramfs
    mkdir -p "$root/record"
    cp "$here/run-case.sh" "$here/list-files.sh" "$root/record/"
    mv "$stage/cases" "$root/cases"
    for set in "${sets[@]}"; do
        for program in "$root/cases/$set"/*; do
            name=$(basename "$program")
            echo "echo 'recording $set/$name'; /record/run-case.sh /results/$set/$name /cases/$set/$name$(printf ' %q' "${arguments[@]}")"
        done
    done >"$root/run.sh"
    "$here/../i386-vm.sh" "$build" "$root" "$stage/results"
    how=$(cat "$stage/results/how")
fi
echo "record.sh: ran $(find "$stage/results" -name status | wc -l) programs in $(($(date +%s) - started)) s"

for set in "${sets[@]}"; do
    rm -rf "$expected/$set" && mkdir -p "$expected/$set"
    for result in "$stage/results/$set"/*; do
        name=$(basename "$result")
        for field in out err files; do cp "$result/$field" "$expected/$set/$name.$field"; done
        libc=$([ $set = glibc ] && echo "glibc, gcc -m32 -static" || echo "musl (Debian's musl-dev:i386), tests/musl/run.sh")
        {
            echo "# The reference for tests/compare.sh: tests/conformance/$name.c ($libc), written"
            echo "# by tests/conformance/record.sh BUILD_DIR (which re-records them all)."
            echo "recorded: $how"
            echo "source: tests/conformance/$name.c $(sha256sum <"$here/$name.c" | cut -d' ' -f1)"
            echo "arguments:$(printf ' %q' "${arguments[@]}")"
            echo "status: $(cat "$result/status")"
        } >"$expected/$set/$name.status"
    done
    echo "record.sh: wrote $expected/$set/"
done
