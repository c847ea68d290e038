#!/usr/bin/env bash
# busybox.sh VXRUN CACHE: Debian's busybox-static:i386, unmodified, runs
# applets under vxrun on files granted with --mount; each result is checked
# against the same applet's expected output. The package is downloaded into
# CACHE (never installed); without it the test is skipped with the reason.
set -u
vxrun=$1 cache=$2
busybox=$cache/busybox-static/bin/busybox
if [ ! -x "$busybox" ]; then
    mkdir -p "$cache" && cd "$cache" || exit 1
    if ! apt-get download busybox-static:i386 >download.log 2>&1; then
        echo "SKIP: cannot download busybox-static:i386 (is the i386 architecture added? run setup.sh):"
        tail -2 download.log
        exit 77
    fi
    dpkg-deb -x busybox-static_*_i386.deb busybox-static && rm -f busybox-static_*_i386.deb
    cd - >/dev/null || exit 1
fi

data=$(mktemp -d); trap 'rm -rf "$data"' EXIT
mkdir "$data/ro" "$data/out"
printf 'banana\napple\ncherry\napple\n' >"$data/ro/fruit.txt"
failures=0 checks=0
# check EXPECTED -- ARGS...: runs busybox ARGS with /d (read-only) and /out (read-write).
check() {
    local want=$1; shift 2
    local got
    got=$("$vxrun" --clear-env --mount "$data/ro:/d" --mount "$data/out:/out:rw" \
          --cwd /out "$busybox" "$@" 2>&1)
    checks=$((checks + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: busybox $*"; echo "  want: $want"; echo "  got:  $got"
        failures=$((failures + 1))
    fi
}

check "hello world" -- echo hello world
check "$(printf 'apple\napple\nbanana\ncherry')" -- sort /d/fruit.txt
check "$(printf 'apple\nbanana\ncherry')" -- sort -u /d/fruit.txt
check "4 /d/fruit.txt" -- wc -l /d/fruit.txt
check "$(md5sum <"$data/ro/fruit.txt" | cut -d' ' -f1)  /d/fruit.txt" -- md5sum /d/fruit.txt
check "$(sha256sum <"$data/ro/fruit.txt" | cut -d' ' -f1)  /d/fruit.txt" -- sha256sum /d/fruit.txt
check "2" -- grep -c apple /d/fruit.txt
check "/out" -- pwd
check "" -- cp /d/fruit.txt /out/copy.txt
check "$(cat "$data/ro/fruit.txt")" -- cat /out/copy.txt
check "cat: can't open '/etc/passwd': No such file or directory" -- cat /etc/passwd
# The files of the user running vxrun are the guest's own (uid/gid 1000), so
# cp -a may "keep" their owner.
check "1000 1000" -- sh -c 'cp -a /d/fruit.txt /out/kept.txt && stat -c "%u %g" /out/kept.txt' 
check "cp: can't create '/d/new': Read-only file system" -- cp /d/fruit.txt /d/new
# The shell: pipelines, subshells, command substitution, exit statuses,
# signals, traps, background jobs, redirections into the granted directory.
check "APPLE
APPLE" -- sh -c 'grep apple /d/fruit.txt | tr a-z A-Z'
check "3" -- sh -c 'sort -u /d/fruit.txt | wc -l'
check "st=3" -- sh -c '(exit 3); echo st=$?'
check "x=banana" -- sh -c 'x=$(head -1 /d/fruit.txt); echo x=$x'
check "Terminated
143" -- sh -c 'sh -c "kill \$\$"; echo $?'
check "trapped" -- sh -c 'trap "echo trapped" USR1; kill -USR1 $$'
check "y
y" -- sh -c 'yes | head -2'
check "bg done" -- sh -c 'sleep 0.1 & wait; echo bg done'
check "4" -- sh -c 'cat /d/fruit.txt > /out/f2; wc -l < /out/f2'
check "1 2 3" -- sh -c 'for i in 1 2 3; do echo $i; done | xargs echo'
check "sh: can't create /d/x: Read-only file system" -- sh -c 'echo > /d/x'
# --tmp: a private /tmp, gone afterwards with all that the guest put there,
# without following the symlinks it left pointing out.
mkdir "$data/tmpbase"
checks=$((checks + 1))
got=$(TMPDIR="$data/tmpbase" "$vxrun" --tmp "$busybox" sh -c \
      "ln -s $data/ro /tmp/out; ln -s $data/ro/fruit.txt /tmp/fruit; mkdir -p /tmp/a/b; echo x > /tmp/a/b/f; cat /tmp/a/b/f; ls /tmp/out 2>&1" 2>&1)
if [ "$got" != "x
ls: /tmp/out: No such file or directory" ] || [ -n "$(ls -A "$data/tmpbase")" ] || [ ! -f "$data/ro/fruit.txt" ]; then
    echo "FAIL: --tmp: output \"$got\", left: $(ls -A "$data/tmpbase"), ro: $(ls "$data/ro")"
    failures=$((failures + 1))
fi
check "cat: can't open '/tmp/x': No such file or directory" -- cat /tmp/x

# On a terminal (a pty from script(1)): the terminal ioctls fill exactly the
# guest's structures (a larger copy once smashed the guest's stack).
if command -v script >/dev/null; then
    reference=$busybox
    "$busybox" true 2>/dev/null || reference="qemu-i386 $busybox"
    # stty -echo sets the modes (TCSETS) that stty -a then reads back (TCGETS).
    modes="stty -echo raw; stty -a; stty sane"
    want=$(script -qec "$reference sh -c '$modes' 2>/dev/null" /dev/null)
    checks=$((checks + 1))
    got=$(script -qec "$vxrun $busybox sh -c '$modes' 2>/dev/null" /dev/null)
    if [ -z "$want" ] || [ "$got" != "$want" ] || ! grep -q -- "-echo" <<<"$got"; then
        echo "FAIL: busybox stty on a terminal"; echo "  want: $want"; echo "  got:  $got"
        failures=$((failures + 1))
    fi
else
    echo "note: script(1) is missing: the terminal check did not run"
fi
[ -f "$data/out/copy.txt" ] || { echo "FAIL: the copy is not on the host"; failures=$((failures + 1)); }

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
