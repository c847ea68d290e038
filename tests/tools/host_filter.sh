#!/usr/bin/env bash
# host_filter.sh VXRUN GUEST: vxrun runs its guest under its seccomp filter
# (mode 2 in /proc/PID/status) and in its Landlock domain (named by --stats)
# unless --no-host-filter says otherwise. GUEST waits for a byte on stdin while
# the test looks.
set -u
vxrun=$1 guest=$2
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
failures=0

# seccomp_mode_of ARGS...: starts vxrun ARGS GUEST, prints the Seccomp mode of
# the vxrun process once its guest waits, then lets the guest finish.
seccomp_mode_of() {
    mkfifo "$scratch/in"
    "$vxrun" "$@" "$guest" <"$scratch/in" & local pid=$!
    exec 3>"$scratch/in"
    local mode="" i
    for i in $(seq 100); do  # until vxrun is past its setup and in the guest's read
        grep -q '^State:.*S (sleeping)' "/proc/$pid/status" 2>/dev/null &&
            mode=$(awk '/^Seccomp:/{print $2}' "/proc/$pid/status") && break
        sleep 0.05
    done
    printf x >&3; exec 3>&-
    wait "$pid" || { echo "vxrun $* exited $?"; failures=$((failures + 1)); }
    rm -f "$scratch/in"
    echo "$mode"
}

mode=$(seccomp_mode_of)
echo "by default: Seccomp mode $mode"
[ "${mode##*$'\n'}" = 2 ] || { echo "FAIL: the guest ran without the host filter"; failures=$((failures + 1)); }
mode=$(seccomp_mode_of --no-host-filter)
echo "with --no-host-filter: Seccomp mode $mode"
[ "${mode##*$'\n'}" = 0 ] || { echo "FAIL: --no-host-filter still filtered"; failures=$((failures + 1)); }

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
[ $failures -eq 0 ]
