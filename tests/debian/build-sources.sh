#!/usr/bin/env bash
# build-sources.sh CACHE_DIR: builds real programs from Debian's source
# packages (apt-get source, with Debian's patches applied) as static i386
# executables, so vxrun can be tried on ordinary software compiled the way a
# user would compile it:
#
#   CACHE_DIR/bin/lua      lua5.4's interpreter (no readline)
#   CACHE_DIR/bin/bzip2    bzip2
#   CACHE_DIR/bin/xz       xz-utils' xz, liblzma linked in
#   CACHE_DIR/bin/sqlite3  sqlite3's shell, built from the amalgamation
#
# A binary reaches bin/ only once `file` calls it a static 32-bit ELF and a
# smoke test has passed under qemu-i386 (which works whether or not the host
# can run i386 code itself). A binary already in bin/ is not rebuilt. The
# programs are built independently and concurrently; one failing does not
# stop the others, each failure is reported in one line, and the exit status
# is non-zero if any failed: 77 (a skip, for ctest) when every failure was a
# source package that could not be downloaded, 1 otherwise. Logs are kept in
# CACHE_DIR/log/, and a failed build's tree in CACHE_DIR/work/ for inspection.
#
# Needs deb-src entries and the packages setup.sh installs (gcc-multilib,
# dpkg-dev, tcl, file, qemu-user).
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 CACHE_DIR" >&2
    exit 2
fi
mkdir -p "$1" && cache=$(cd "$1" && pwd) || exit 1
bin=$cache/bin log=$cache/log work=$cache/work
mkdir -p "$bin" "$log" "$work" || exit 1

# The guest code. Debian's own build flags (dpkg-buildflags: hardening, PIE,
# fortify) are deliberately not used: vxrun wants plain static ET_EXEC files.
CC32="gcc -m32"
OPT="-O2"
JOBS=2

# try WHY CMD...: runs CMD; when it fails, records WHY as the build's one-line
# reason (in $reason_file, set per build by produce) and fails.
try() {
    local why=$1; shift
    "$@" && return 0
    local rc=$?
    echo "$why (exit $rc)" >"$reason_file"
    return 1
}

# fetch SOURCE_PACKAGE: downloads the source package into a fresh
# $work/SOURCE_PACKAGE and unpacks it, Debian patches applied, into its src/.
# As root, apt downloads as the _apt user, who cannot write into a directory
# owned by root, and warns; the sandbox user is set to root so that the
# download is done as whoever runs this (a no-op for other users).
# `apt-get source` would unpack too, but into a directory named after the
# upstream version; dpkg-source -x is given a fixed name instead. It warns
# that it cannot check the .dsc's signature (no Debian keyring installed):
# apt has already checked every file against the archive's signed index, so
# the warning is only logged.
fetch() {
    local pkg=$1 dir=$work/$1
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    if ! (cd "$dir" && apt-get source --download-only -o APT::Sandbox::User=root "$pkg"); then
        local err
        err=$(grep '^E:' "$log_file" | tail -1)
        case $err in *deb-src*) err="$err (setup.sh adds them)" ;; esac
        echo "apt-get source $pkg failed: ${err:-see log}" >"$reason_file"
        touch "$reason_file.download"
        return 1
    fi
    try "dpkg-source -x failed for $pkg" dpkg-source -x "$dir"/*.dsc "$dir/src"
}

# Lua: Debian's Makefile builds through a libtool it generates with
# autoreconf, twice (C and C++), and links the interpreter against a shared
# liblua. The interpreter is just lua.c plus the library sources, so they are
# compiled directly. LUA_USE_POSIX without LUA_USE_DLOPEN: a static program
# cannot load C modules built for the shared liblua anyway.
build_lua() {
    fetch lua5.4 || return 1
    local src=$work/lua5.4/src/src
    # luaconf.h, as patched by Debian, includes this header, which
    # debian/rules writes at configure time.
    echo '#define DEB_HOST_MULTIARCH "i386-linux-gnu"' >"$src/lua5.4-deb-multiarch.h"
    try "make lua failed" make -C "$src" -j"$JOBS" -f - lua <<MAKEFILE
CC = $CC32 -std=gnu99
CFLAGS = $OPT -Wall -DLUA_COMPAT_5_3 -DLUA_USE_POSIX
lua: \$(patsubst %.c,%.o,\$(filter-out luac.c,\$(wildcard *.c)))
	\$(CC) -static -o \$@ \$^ -lm
MAKEFILE
    built=$src/lua
}

smoke_lua() {
    [ "$(qemu-i386 "$1" -e 'print(1+1)')" = 2 ]
}

# bzip2: Debian's Makefile links bzip2 against libbz2.so; its own rules are
# used for the objects and the static archive, and the link is done here.
build_bzip2() {
    fetch bzip2 || return 1
    local src=$work/bzip2/src
    try "make libbz2.a failed" make -C "$src" -j"$JOBS" CC="$CC32" \
        CFLAGS="$OPT -D_FILE_OFFSET_BITS=64" libbz2.a bzip2.o || return 1
    # shellcheck disable=SC2086 # $CC32 is a command with its options
    try "linking bzip2 failed" $CC32 -static -o "$src/bzip2" "$src/bzip2.o" "$src/libbz2.a" || return 1
    built=$src/bzip2
}

# roundtrip PROG: compresses and decompresses a small file through pipes.
roundtrip() {
    local data
    data=$(seq 1 2000)
    [ "$(printf '%s\n' "$data" | qemu-i386 "$1" -c | qemu-i386 "$1" -dc)" = "$data" ]
}

smoke_bzip2() { roundtrip "$1"; }

# xz: autotools. --host makes configure treat this as a cross build, since
# it cannot run the i386 test programs it would otherwise try to run. Only
# liblzma (static only) and xz are built: no docs, translations, scripts or
# the other tools. libtool drops a plain -static for system libraries;
# -all-static is its spelling of a fully static link.
build_xz() {
    fetch xz-utils || return 1
    local src=$work/xz-utils/src
    (cd "$src" && try "configure failed" ./configure --host=i686-linux-gnu \
        CC="$CC32" CFLAGS="$OPT" --disable-shared --disable-nls --disable-doc \
        --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links \
        --disable-scripts --disable-dependency-tracking) || return 1
    try "make liblzma failed" make -C "$src/src/liblzma" -j"$JOBS" || return 1
    try "make xz failed" make -C "$src/src/xz" -j"$JOBS" LDFLAGS=-all-static || return 1
    built=$src/src/xz/xz
}

smoke_xz() { roundtrip "$1"; }

# sqlite3: the source package is the full tree, not the amalgamation.
# Debian's patches change configure.ac, which would need an autoreconf; the
# tree's configure-less main.mk generates sqlite3.c and shell.c instead (with
# tclsh, and lemon and other generators built for and run on this host), and
# those two files are all the shell needs. Features roughly follow Debian's
# build, minus extension loading (dlopen in a static program). Without
# configure, the HAVE_* flags tell sqlite what glibc has.
build_sqlite3() {
    command -v tclsh >/dev/null || { echo "tclsh not found (package tcl; run setup.sh)" >"$reason_file"; return 1; }
    fetch sqlite3 || return 1
    local src=$work/sqlite3/src amal=$work/sqlite3/amalgamation
    mkdir -p "$amal" || return 1
    try "generating the amalgamation failed" make -C "$amal" -j"$JOBS" -f "$src/main.mk" \
        TOP="$src" BCC="gcc -O2" TCC="$CC32" sqlite3.c shell.c || return 1
    local defs=(-DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=1
        -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS4
        -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_DBSTAT_VTAB
        -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_SECURE_DELETE -DSQLITE_USE_URI=1
        -DHAVE_USLEEP=1 -DHAVE_LOCALTIME_R=1 -DHAVE_GMTIME_R=1 -DHAVE_FDATASYNC=1
        -DHAVE_STRCHRNUL=1 -DHAVE_ISNAN=1)
    # The two objects are compiled in parallel: sqlite3.c alone is most of the
    # whole script's time.
    try "compiling sqlite3 failed" make -C "$amal" -j"$JOBS" -f - sqlite3 <<MAKEFILE
CC = $CC32
CFLAGS = $OPT ${defs[*]}
sqlite3: shell.o sqlite3.o
	\$(CC) -static -o \$@ \$^ -lm
MAKEFILE
    built=$amal/sqlite3
}

smoke_sqlite3() {
    [ "$(echo 'select 1+1;' | qemu-i386 "$1")" = 2 ]
}

# verify NAME PROG: is PROG what bin/NAME must be?
verify() {
    local name=$1 prog=$2 kind
    kind=$(file -b "$prog")
    case $kind in
        # "executable", not "pie executable": vxrun loads ET_EXEC only.
        "ELF 32-bit LSB executable, Intel 80386"*"statically linked"*) ;;
        *) echo "not a static i386 ET_EXEC: $kind" >"$reason_file"; return 1 ;;
    esac
    command -v qemu-i386 >/dev/null || { echo "qemu-i386 not found (package qemu-user)" >"$reason_file"; return 1; }
    "smoke_$name" "$prog" || { echo "smoke test under qemu-i386 failed" >"$reason_file"; return 1; }
}

# produce NAME: builds, verifies and installs bin/NAME, its output going to
# log/NAME.log and the reason it failed, if it does, to log/NAME.reason.
produce() {
    local name=$1 built=""
    reason_file=$log/$name.reason log_file=$log/$name.log
    rm -f "$reason_file" "$reason_file.download"
    { "build_$name" && verify "$name" "$built"; } >"$log_file" 2>&1 || return 1
    # Through a temporary name, so that bin/NAME, which means "done", is
    # never a partial copy.
    try "installing failed" cp "$built" "$bin/.$name.tmp" || return 1
    try "installing failed" mv "$bin/.$name.tmp" "$bin/$name" || return 1
    # The trees are only needed to look into a failure.
    rm -rf "${work:?}/${source_of[$name]}"
}

declare -A source_of=([lua]=lua5.4 [bzip2]=bzip2 [xz]=xz-utils [sqlite3]=sqlite3)
programs=(lua bzip2 xz sqlite3)
# All four are built at once: downloads and configure scripts overlap with
# compiling. Compiling sqlite3.c is one compiler process of about 40 s, as
# long as the other three builds together, so it alone keeps normal priority
# and gets a core to itself while the others share what is left; on the
# project's 2-core machines that made a full build about a third faster than
# the same concurrency at equal priority.
declare -A niceness=([lua]=10 [bzip2]=10 [xz]=10 [sqlite3]=0)
start=$SECONDS
declare -A pid
for name in "${programs[@]}"; do
    if [ -x "$bin/$name" ]; then
        continue
    fi
    (renice -n "${niceness[$name]}" -p "$BASHPID" >/dev/null; produce "$name") &
    pid[$name]=$!
done

failed=()
for name in "${programs[@]}"; do
    if [ -z "${pid[$name]:-}" ]; then
        echo "$name: cached ($bin/$name)"
    elif wait "${pid[$name]}"; then
        echo "$name: built ($bin/$name)"
    else
        reason=$(cat "$log/$name.reason" 2>/dev/null)
        echo "$name: FAILED: ${reason:-unknown reason} (log: $log/$name.log)"
        failed+=("$name")
    fi
done
echo "build-sources.sh: $((SECONDS - start))s"
if ((${#failed[@]})); then
    echo "build-sources.sh: failed: ${failed[*]}"
    for name in "${failed[@]}"; do
        [ -e "$log/$name.reason.download" ] || exit 1
    done
    echo "SKIP: only downloads failed (no deb-src entries or no archive: run setup.sh)"
    exit 77
fi
