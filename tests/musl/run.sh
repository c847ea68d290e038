#!/usr/bin/env bash
# run.sh VXRUN COMPARE CACHE CONFORMANCE_DIR: the conformance programs again,
# built against musl instead of glibc (Debian's musl-dev:i386, downloaded
# into CACHE, never installed), each compared with the reference run by
# COMPARE (tests/compare.sh). musl makes its system calls its own way (no
# vDSO, its own TLS setup, its own posix_spawn), so this is a second client
# of the Linux personality. Skipped, with the reason, when the download fails.
# Each is compared with its recording in CONFORMANCE_DIR/expected/musl/ where
# one fits (see compare.sh). run.sh --build-only CACHE CONFORMANCE_DIR only
# builds them (tests/conformance/record.sh does, to record them).
set -u
if [ "$1" = --build-only ]; then vxrun= compare= cache=$2 sources=$3
else vxrun=$1 compare=$2 cache=$3 sources=$4; fi
root=$cache/musl-root lib=$cache/musl-root/usr/lib/i386-linux-musl
if [ ! -f "$lib/libc.a" ]; then
    mkdir -p "$cache" && cd "$cache" || exit 1
    if ! apt-get download musl:i386 musl-dev:i386 >download.log 2>&1; then
        echo "SKIP: cannot download musl-dev:i386 (is the i386 architecture added? run setup.sh):"
        tail -2 download.log
        exit 77
    fi
    for deb in musl*_i386.deb; do dpkg-deb -x "$deb" musl-root || exit 1; done
    rm -f musl*_i386.deb
    cd - >/dev/null || exit 1
fi

mkdir -p "$cache/bin"
passed=0 failed=0
for src in "$sources"/*.c; do
    name=$(basename "$src" .c)
    out=$cache/bin/$name
    if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
        # musl's own headers and start files, the compiler's own headers and libgcc.
        if ! gcc -m32 -static -no-pie -fno-pie -O2 -nostdinc -nostdlib \
                -isystem "$root/usr/include/i386-linux-musl" -isystem "$(gcc -m32 -print-file-name=include)" \
                -o "$out" "$lib/crt1.o" "$lib/crti.o" "$src" "$lib/libc.a" \
                "$(gcc -m32 -print-libgcc-file-name)" "$lib/libc.a" "$lib/crtn.o" 2>"$cache/$name.log"; then
            echo "FAIL: $name does not build against musl:"; sed 's/^/    /' "$cache/$name.log" | head -20
            failed=$((failed + 1))
            continue
        fi
    fi
    [ -n "$vxrun" ] || { passed=$((passed + 1)); continue; }
    if result=$(VX_RECORDING=$sources/expected/musl/$name "$compare" "$vxrun" "$out" first "second arg" 2>&1); then
        passed=$((passed + 1)); echo "ok: $name (musl): $result"
    else
        failed=$((failed + 1)); echo "FAIL: $name (musl)"; echo "$result" | sed 's/^/    /'
    fi
done
if [ -n "$vxrun" ]; then echo "$passed passed, $failed failed"; else echo "$passed built, $failed failed"; fi
[ "$failed" -eq 0 ]
