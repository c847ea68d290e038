#!/usr/bin/env bash
# i386-vm.sh BUILD_DIR ROOT RESULTS: runs ROOT/run.sh inside a virtual machine
# whose kernel runs i386 programs, for the recorders (tests/conformance/
# record.sh, tests/escape/record-native.sh) on a machine whose own kernel
# cannot: Debian's own kernel (linux-image-amd64, downloaded into
# BUILD_DIR/record-vm, never installed; built with IA-32 emulation) booted by
# qemu-system-x86_64 with software emulation (TCG) from an initramfs made of
# ROOT plus busybox (busybox-static). run.sh runs as root under busybox sh,
# with /proc, /sys, /dev and a tmpfs /tmp mounted, and writes what it records
# under /results, which ends up in RESULTS (with RESULTS/how: the kernel and
# emulator, for a recording's header). The process, the kernel and its system
# calls are real; the CPU is emulated.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BUILD_DIR ROOT RESULTS"; exit 2; }
build=$(cd "$1" && pwd) root=$2 results=$3
command -v qemu-system-x86_64 >/dev/null || { echo "i386-vm.sh: needs qemu-system-x86_64 (Debian: qemu-system-x86; setup.sh installs it)"; exit 1; }
busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    { echo "i386-vm.sh: needs a static $busybox (Debian: busybox-static; setup.sh installs it)"; exit 1; }
[ -f "$root/run.sh" ] || { echo "i386-vm.sh: no $root/run.sh"; exit 1; }
vm=$build/record-vm
mkdir -p "$vm" "$results"
package=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
[ -n "$package" ] || { echo "i386-vm.sh: apt-cache does not know linux-image-amd64"; exit 1; }
if [ ! -f "$vm/$package.vmlinuz" ]; then
    (cd "$vm" && rm -f ./*.deb && apt-get download "$package" >download.log 2>&1) ||
        { echo "i386-vm.sh: cannot download $package:"; tail -3 "$vm/download.log"; exit 1; }
    dpkg-deb --fsys-tarfile "$vm"/"$package"_*.deb | tar -x -C "$vm" --wildcards './boot/vmlinuz-*' './boot/config-*'
    mv "$vm"/boot/config-* "$vm/$package.config" && mv "$vm"/boot/vmlinuz-* "$vm/$package.vmlinuz"
    rm -rf "$vm/boot" "$vm"/*.deb
fi
grep -q '^CONFIG_IA32_EMULATION=y' "$vm/$package.config" || { echo "i386-vm.sh: $package runs no i386 programs"; exit 1; }

mkdir -p "$root/bin"
cp "$busybox" "$root/bin/busybox"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mkdir -p /proc /sys /dev /tmp /results; mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp; ln -s /proc/self/fd /dev/fd
echo "Linux $(uname -r) $(uname -v)" >/results/kernel
sh /run.sh
stty -F /dev/ttyS1 raw -echo; { echo BEGIN-RESULTS; tar -C /results -cz . | base64; echo END-RESULTS; } >/dev/ttyS1
sync; poweroff -f
INIT
chmod +x "$root/init"
stage=$(dirname "$results")
(cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$stage/initramfs.gz"
qemu=$(qemu-system-x86_64 --version | head -1)
echo "i386-vm.sh: booting $package under $qemu (TCG); console: $stage/console.log"
# Without SMAP: QEMU 7.2's TCG makes the stack accesses of a far call, far
# return or iret from user mode as supervisor accesses, which SMAP turns into
# a kernel oops (the process is killed) where a real CPU just runs them.
timeout 1800 qemu-system-x86_64 -accel tcg -cpu max,-smap -m 1G -smp 1 -nodefaults -no-reboot -display none \
    -kernel "$vm/$package.vmlinuz" -initrd "$stage/initramfs.gz" -append "console=ttyS0 panic=-1 quiet" \
    -serial "file:$stage/console.log" -serial "file:$stage/results.txt" ||
    { echo "i386-vm.sh: the VM failed:"; tail -20 "$stage/console.log"; exit 1; }
sed -n '/^BEGIN-RESULTS/,/^END-RESULTS/p' "$stage/results.txt" | tr -d '\r' | sed '1d;$d' | base64 -d | tar -xz -C "$results" ||
    { echo "i386-vm.sh: no results from the VM:"; tail -20 "$stage/console.log"; exit 1; }
version=${qemu#QEMU emulator version }
echo "in a VM: $(cat "$results/kernel"), IA-32 emulation, under qemu-system-x86_64 ${version%% *} -accel tcg (a real kernel, an emulated CPU)" >"$results/how"
rm -f "$results/kernel"
