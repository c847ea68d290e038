#!/usr/bin/env bash
# record.sh BUILD_DIR: records what each conformance program (tests/conformance/
# *.c, built in BUILD_DIR against glibc and, where tests/musl/ can build them,
# against musl) prints, exits with and leaves behind when it runs as a real
# i386 process on a real Linux kernel, into tests/conformance/expected/
# {glibc,musl}/NAME.{out,err,files,status}. compare.sh uses a recording as
# the reference where this machine cannot run i386 programs.
#
# Where this machine runs i386 programs, they run here, natively. Elsewhere
# (a kernel without IA-32 emulation) they run inside a virtual machine:
# Debian's own kernel (linux-image-amd64, downloaded into BUILD_DIR, never
# installed; built with IA-32 emulation) booted by qemu-system-x86_64 with
# software emulation (TCG) from an initramfs holding busybox (busybox-static),
# the programs and run-case.sh. The process, the kernel and its system calls
# are real; the CPU is emulated, which these programs (system calls, libc,
# signals; not instruction corner cases) do not notice. In the VM they run as
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
    command -v qemu-system-x86_64 >/dev/null || { echo "record.sh: needs qemu-system-x86_64 (Debian: qemu-system-x86; setup.sh installs it)"; exit 1; }
    busybox=/bin/busybox
    file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
        { echo "record.sh: needs a static $busybox (Debian: busybox-static; setup.sh installs it)"; exit 1; }
    vm=$build/record-vm
    mkdir -p "$vm"
    package=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
    [ -n "$package" ] || { echo "record.sh: apt-cache does not know linux-image-amd64"; exit 1; }
    if [ ! -f "$vm/$package.vmlinuz" ]; then
        (cd "$vm" && rm -f ./*.deb && apt-get download "$package" >download.log 2>&1) ||
            { echo "record.sh: cannot download $package:"; tail -3 "$vm/download.log"; exit 1; }
        dpkg-deb --fsys-tarfile "$vm"/"$package"_*.deb | tar -x -C "$vm" --wildcards './boot/vmlinuz-*' './boot/config-*'
        mv "$vm"/boot/config-* "$vm/$package.config" && mv "$vm"/boot/vmlinuz-* "$vm/$package.vmlinuz"
        rm -rf "$vm/boot" "$vm"/*.deb
    fi
    grep -q '^CONFIG_IA32_EMULATION=y' "$vm/$package.config" || { echo "record.sh: $package runs no i386 programs"; exit 1; }

    root=$stage/initramfs
    mkdir -p "$root/bin" "$root/record"
    cp "$busybox" "$root/bin/busybox"
    cp "$here/run-case.sh" "$here/list-files.sh" "$root/record/"
    mv "$stage/cases" "$root/cases"
    {
        echo '#!/bin/busybox sh'
        echo '/bin/busybox --install -s /bin; export PATH=/bin'
        echo 'mkdir -p /proc /sys /dev /tmp /results; mount -t proc proc /proc; mount -t sysfs sys /sys'
        echo 'mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp'
        echo 'echo "Linux $(uname -r) $(uname -v)" >/results/kernel'
        for set in "${sets[@]}"; do
            for program in "$root/cases/$set"/*; do
                name=$(basename "$program")
                echo "echo 'recording $set/$name'; /record/run-case.sh /results/$set/$name /cases/$set/$name$(printf ' %q' "${arguments[@]}")"
            done
        done
        echo 'stty -F /dev/ttyS1 raw -echo; { echo BEGIN-RESULTS; tar -C /results -cz . | base64; echo END-RESULTS; } >/dev/ttyS1'
        echo 'sync; poweroff -f'
    } >"$root/init"
    chmod +x "$root/init"
    (cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$stage/initramfs.gz"
    qemu=$(qemu-system-x86_64 --version | head -1)
    echo "record.sh: booting $package under $qemu (TCG); console: $stage/console.log"
    timeout 1200 qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 -nodefaults -no-reboot -display none \
        -kernel "$vm/$package.vmlinuz" -initrd "$stage/initramfs.gz" -append "console=ttyS0 panic=-1 quiet" \
        -serial "file:$stage/console.log" -serial "file:$stage/results.txt" ||
        { echo "record.sh: the VM failed:"; tail -20 "$stage/console.log"; exit 1; }
    sed -n '/^BEGIN-RESULTS/,/^END-RESULTS/p' "$stage/results.txt" | tr -d '\r' | sed '1d;$d' | base64 -d | tar -xz -C "$stage/results" ||
        { echo "record.sh: no results from the VM:"; tail -20 "$stage/console.log"; exit 1; }
    version=${qemu#QEMU emulator version }
    how="in a VM: $(cat "$stage/results/kernel"), IA-32 emulation, under qemu-system-x86_64 ${version%% *} -accel tcg (a real kernel, an emulated CPU)"
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
