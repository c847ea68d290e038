#!/usr/bin/env bash
# host_filter.sh VXRUN GUEST: vxrun runs its guest under its seccomp filter
# (mode 2 in /proc/PID/status) and in its Landlock domain (named by --stats)
# unless --no-host-filter says otherwise. GUEST reads one byte from stdin and
# exits 0; the test looks while vxrun serves that read (a host read of its
# copy of stdin in /proc/PID/syscall: past its setup).
set -u
vxrun=$1 guest=$2
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
failures=0
trap "" PIPE  # a vxrun that is gone by the time the byte is written is reported, not fatal

# check_seccomp_mode WANT ARGS...: starts vxrun ARGS GUEST, reads the Seccomp
# mode of the vxrun process once it waits in the guest's read of stdin, lets
# the guest finish, and counts a failure unless the mode is WANT and vxrun
# exited 0.
check_seccomp_mode() {
    local want=$1; shift
    mkfifo "$scratch/in"
    "$vxrun" "$@" "$guest" <"$scratch/in" & local pid=$!
    exec 3>"$scratch/in"
    local mode="" i
    for i in $(seq 200); do
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$vxrun")" ] &&
            read -r number fd _ <"/proc/$pid/syscall" 2>/dev/null && [ "$number" = 0 ] &&
            [ "$(readlink "/proc/$pid/fd/$((fd))")" = "$(readlink "/proc/$pid/fd/0")" ]; then
            mode=$(awk '/^Seccomp:/{print $2}' "/proc/$pid/status"); break
        fi
        sleep 0.05
    done
    printf x >&3 2>/dev/null; exec 3>&-
    wait "$pid"; local status=$?
    rm -f "$scratch/in"
    echo "vxrun $*: Seccomp mode ${mode:-unknown (never seen waiting in the read)}, exit status $status"
    [ "$mode" = "$want" ] || { echo "FAIL: want Seccomp mode $want"; failures=$((failures + 1)); }
    [ "$status" -eq 0 ] || { echo "FAIL: want exit status 0"; failures=$((failures + 1)); }
}

check_seccomp_mode 2
check_seccomp_mode 0 --no-host-filter

# confinement_of ARGS...: the "host confinement" line of --stats, and whether
# vxrun said its confinement was weaker than it should be.
confinement_of() {
    local err
    err=$(printf x | "$vxrun" --stats "$@" "$guest" 2>&1 >/dev/null)
    printf '%s\n' "$err" | sed -n 's/^  host confinement *//p'
    printf '%s\n' "$err" | grep -q '^vxrun: host confinement weaker' && echo weaker
}
confinement=$(confinement_of)
echo "by default: $confinement"
case "$confinement" in
"seccomp filter, Landlock ABI "[6-9]*|"seccomp filter, Landlock ABI "[1-9][0-9]*)
    [ "$(printf '%s\n' "$confinement" | sed -n 2p)" = "" ] ||
        { echo "FAIL: a full Landlock ABI, yet vxrun said its confinement was weaker"; failures=$((failures + 1)); } ;;
"seccomp filter, "*weaker) echo "(this kernel's Landlock is missing or older than ABI 6: said so, as it should)" ;;
*) echo "FAIL: --stats does not name the confinement, or a weaker one went unsaid"; failures=$((failures + 1)) ;;
esac
confinement=$(confinement_of --no-host-filter)
echo "with --no-host-filter: $confinement"
[ "$confinement" = none ] || { echo "FAIL: --no-host-filter still confined"; failures=$((failures + 1)); }
echo "$failures failures"
[ $failures -eq 0 ]
