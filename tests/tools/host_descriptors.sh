#!/usr/bin/env bash
# host_descriptors.sh VXRUN FD_CENSUS: every host descriptor of a running
# vxrun is either one of its guest's or out of the guest's reach, however
# vxrun's standard descriptors were left by whoever started it.
#
# For each way of starting vxrun (standard descriptors open, each closed, all
# closed, a host file inherited as descriptor 3) the guest lists what it can
# reach by trying every descriptor number (fd_census.c); the test then lists
# vxrun's own descriptors from outside (/proc/PID/fd) and checks that:
#   - a standard descriptor closed at the start is closed for the guest;
#   - the code cache's memfd is not open at all;
#   - the inherited host file is neither open in vxrun nor reachable;
#   - every host descriptor the guest can reach is one it was given;
#   - every host descriptor is close-on-exec.
set -u
vxrun=$1 census=$2
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL ($case): $*"; failures=$((failures + 1)); }

printf 'the host secret\n' >"$tmp/secret"
secret_inode=$(stat -c %i "$tmp/secret")

# check CASE CLOSED...: runs the census with the redirections of CASE; CLOSED
# lists the standard descriptors that were closed.
check() {
    case=$1; shift
    local closed=" $* "
    rm -rf "$tmp/out"; mkdir "$tmp/out"
    case $case in
    open) "$vxrun" --mount "$tmp/out:/out:rw" "$census" /out/census </dev/null >/dev/null 2>"$tmp/err" & ;;
    stdin-closed) "$vxrun" --mount "$tmp/out:/out:rw" "$census" /out/census <&- >/dev/null 2>"$tmp/err" & ;;
    stdout-closed) "$vxrun" --mount "$tmp/out:/out:rw" "$census" /out/census </dev/null >&- 2>"$tmp/err" & ;;
    stderr-closed) "$vxrun" --mount "$tmp/out:/out:rw" "$census" /out/census </dev/null >/dev/null 2>&- & ;;
    all-closed) "$vxrun" --mount "$tmp/out:/out:rw" "$census" /out/census <&- >&- 2>&- & ;;
    inherited) "$vxrun" --mount "$tmp/out:/out:rw" "$census" /out/census </dev/null >/dev/null 2>"$tmp/err" 3<"$tmp/secret" & ;;
    esac
    pid=$!
    for _ in $(seq 200); do
        grep -qx complete "$tmp/out/census" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -qx complete "$tmp/out/census" 2>/dev/null; then
        fail "the guest did not finish its census"; cat "$tmp/err" 2>/dev/null
        kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; return
    fi
    declare -A guest_inode=()
    while read -r fd inode _; do
        [ "$fd" = complete ] && continue
        guest_inode[$inode]+=" $fd"
        case $closed in *" $fd "*) fail "guest descriptor $fd is open, but vxrun's $fd was closed";; esac
    done <"$tmp/out/census"
    for std in 0 1 2; do
        case $closed in *" $std "*) continue;; esac
        grep -q "^$std " "$tmp/out/census" || fail "guest descriptor $std is closed, but vxrun's was open"
    done
    [ -n "${guest_inode[$secret_inode]+x}" ] && fail "the guest reaches the inherited host file"
    echo "$case: vxrun's descriptors:"
    for link in /proc/"$pid"/fd/*; do
        local fd=${link##*/} target inode
        target=$(readlink "$link" 2>/dev/null) || continue
        inode=$(stat -L -c %i "$link" 2>/dev/null) || continue
        case $target in *vx-code-cache*) fail "host descriptor $fd is the code cache: $target";; esac
        local flags
        flags=$(awk '/^flags:/{print $2}' "/proc/$pid/fdinfo/$fd" 2>/dev/null)
        [ -n "$flags" ] && (( (8#$flags & 8#2000000) == 0 )) && fail "host descriptor $fd ($target) is not close-on-exec"
        [ "$inode" = "$secret_inode" ] && fail "host descriptor $fd is the inherited host file"
        if [ -n "${guest_inode[$inode]+x}" ]; then
            echo "  $fd -> $target: the guest's descriptor${guest_inode[$inode]}"
        else
            echo "  $fd -> $target: not reachable from any guest descriptor number"
        fi
    done
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
}

check open
check stdin-closed 0
check stdout-closed 1
check stderr-closed 2
check all-closed 0 1 2
check inherited

if [ "$failures" -ne 0 ]; then echo "$failures failures"; exit 1; fi
echo "every host descriptor of vxrun is its guest's or unreachable, in 6 ways of starting it"
