#!/usr/bin/env bash
# host_filter.sh VXRUN GUEST: vxrun runs its guest under its seccomp filter
# (mode 2 in /proc/PID/status) unless --no-host-filter says otherwise. GUEST
# reads one byte from stdin and exits 0; the test looks while vxrun serves
# that read (a host read of its copy of stdin in /proc/PID/syscall: past its
# setup).
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
echo "$failures failures"
[ $failures -eq 0 ]
