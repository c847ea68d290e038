#!/usr/bin/env bash
# build-decoders.sh OUT_DIR CACHE_DIR: builds vxa's decoders (vx plug-ins,
# guest/include/vx/vxa_decoder.h) from Debian's source packages of the
# codecs, with Debian's patches applied:
#
#   OUT_DIR/deflate  OUT_DIR/bzip2  OUT_DIR/zstd  OUT_DIR/xz
#       the plug-ins: static i386 ELF, stripped but for vxa_decode's symbol
#   OUT_DIR/NAME-standalone
#       the same decoder as an i386 program (VXA_STANDALONE): standard input
#       to standard output, vxa_decode's result as the exit status; for
#       qemu-i386 and vxrun
#   OUT_DIR/NAME-x86_64
#       the standalone program built for x86-64: the native baseline of bench/
#   OUT_DIR/runtime-test-i386  OUT_DIR/runtime-test-x86_64
#       runtime_test.c: the runtime's string functions and allocator checked
#       (check-decoders.sh runs them)
#
# The source packages (zlib, bzip2, libzstd, xz-utils) are downloaded with
# `apt-get source --download-only` and unpacked with dpkg-source -x into
# CACHE_DIR/src/PACKAGE, once; a package whose newest version the archive
# cannot serve is taken at the newest version it can. CACHE_DIR/log/ keeps
# each decoder's log, CACHE_DIR/build/ its objects.
#
# The build is reproducible: the same sources and compiler give the same
# bytes (fixed file lists and order, no build id, no paths, no timestamps).
# OUT_DIR/.stamp records what the outputs were built from; a run that finds
# the same sources, flags and compiler there builds nothing.
#
# Each decoder is fetched and built on its own; one failing does not stop the
# others. Each failure is reported in one line, and the exit status is
# non-zero if any failed: 77 (a skip, for ctest) when every failure was a
# source package that could not be downloaded, 1 otherwise. Compiles run
# one at a time.
#
# The flags are cmake/VxPlugin.cmake's VX_PLUGIN_CFLAGS (the environment's
# VX_PLUGIN_CFLAGS when set, as guest/vxa/CMakeLists.txt passes them) plus
# what these builds need; the compiler is gcc, or $VX_PLUGIN_C_COMPILER.
#
# Needs deb-src entries, dpkg-dev (dpkg-source) and gcc-multilib: setup.sh.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 OUT_DIR CACHE_DIR" >&2
    exit 2
fi
mkdir -p "$1" "$2" || exit 1
out=$(cd "$1" && pwd) cache=$(cd "$2" && pwd) || exit 1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || exit 1
root=$(cd "$here/../.." && pwd) || exit 1 # the vx tree
sdk=$root/guest
log=$cache/log
mkdir -p "$log" "$cache/src" "$cache/download" "$cache/build" || exit 1
export LC_ALL=C

CC=${VX_PLUGIN_C_COMPILER:-gcc}
# cmake/VxPlugin.cmake's defaults; CMake passes its cache value.
read -r -a plugin_flags <<<"${VX_PLUGIN_CFLAGS:--m32 -static -nostdlib -fno-pie -no-pie -O2 -fno-stack-protector -fno-asynchronous-unwind-tables -ffreestanding -fno-builtin -Wall -Wextra}"
# The x86-64 baseline: the same flags without -m32.
native_flags=()
for flag in "${plugin_flags[@]}"; do [ "$flag" = -m32 ] || native_flags+=("$flag"); done
# What every build adds:
# -fbuiltin: -ffreestanding and -fno-builtin leave memcpy(&x, p, 4) a call;
#   the codecs read and write words that way (zstd, liblzma), so small
#   constant copies must be the compiler's moves again. Calls of the
#   library functions themselves go to the runtime (guest/vxa/runtime.c).
# Sections per function and data, collected: only what decoding reaches.
# One segment for code and read-only data: no page of padding between them.
# No build id, and the source paths mapped to fixed names: reproducible.
# shellcheck disable=SC2054 # commas inside -Wl options
common_flags=(-fbuiltin -ffunction-sections -fdata-sections -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code
    "-ffile-prefix-map=$cache/=vxa-sources/" "-ffile-prefix-map=$root/=vx/")

# The source package of each decoder.
declare -A package=([deflate]=zlib [bzip2]=bzip2 [zstd]=libzstd [xz]=xz-utils)

# codec NAME ARCH SRC: sets `files` (the codec's sources in SRC, in link
# order), `defines` (its flags: defines and include directories).
codec() {
    local name=$1 arch=$2 src=$3 f
    case $name in
        deflate)
            files=(inflate.c inftrees.c inffast.c adler32.c)
            defines=(-DZ_SOLO -DNO_GZIP "-I$src")
            ;;
        bzip2)
            # compress.c and blocksort.c: bzlib.c refers to them; the
            # linker drops them.
            files=(bzlib.c decompress.c huffman.c crctable.c randtable.c compress.c blocksort.c)
            defines=(-DBZ_NO_STDIO "-I$src")
            ;;
        zstd)
            files=(lib/common/entropy_common.c lib/common/error_private.c lib/common/fse_decompress.c
                lib/common/xxhash.c lib/common/zstd_common.c lib/decompress/huf_decompress.c
                lib/decompress/zstd_ddict.c lib/decompress/zstd_decompress.c
                lib/decompress/zstd_decompress_block.c)
            # x86-64 only: libzstd's BMI2 Huffman loops, as a native libzstd has.
            [ "$arch" = x86_64 ] && files+=(lib/decompress/huf_decompress_amd64.S)
            # No legacy formats (zip's method 93 is today's frame format), no
            # tracing hooks (weak symbols), no error strings (nothing prints them).
            defines=(-DZSTD_LEGACY_SUPPORT=0 -DZSTD_TRACE=0 -DZSTD_STRIP_ERROR_STRINGS
                "-I$src/lib" "-I$src/lib/common")
            ;;
        xz)
            files=()
            for f in common/common.c common/block_decoder.c common/block_header_decoder.c \
                common/block_util.c common/filter_common.c common/filter_decoder.c \
                common/filter_flags_decoder.c common/index_hash.c common/stream_decoder.c \
                common/stream_flags_common.c common/stream_flags_decoder.c common/vli_decoder.c \
                common/vli_size.c check/check.c check/crc32_fast.c check/crc32_table.c \
                check/crc64_fast.c check/crc64_table.c check/sha256.c lz/lz_decoder.c \
                lzma/lzma_decoder.c lzma/lzma2_decoder.c delta/delta_common.c delta/delta_decoder.c \
                simple/simple_coder.c simple/simple_decoder.c simple/x86.c simple/powerpc.c \
                simple/ia64.c simple/arm.c simple/armthumb.c simple/arm64.c simple/sparc.c; do
                files+=("src/liblzma/$f")
            done
            defines=(-DHAVE_CONFIG_H "-I$here/xz" "-I$src/src/common")
            for f in api common check lz rangecoder lzma delta simple; do defines+=("-I$src/src/liblzma/$f"); done
            ;;
    esac
}

decoders=(deflate bzip2 zstd xz)

# say WHY: the current decoder's one-line reason for failing.
say() { echo "$1" >"$reason_file"; }

# run CMD...: runs CMD, logged; fails (with a reason) when it does.
run() {
    echo "+ $*"
    "$@" && return 0
    say "$(basename "$1") failed (exit $?): ${*: -1}"
    return 1
}

# fetch PACKAGE: CACHE_DIR/src/PACKAGE, downloaded and unpacked once: the
# newest version the source indexes list that the archive serves (an index
# may list a security update's version whose files are not to be had, where
# `apt-get source PACKAGE` would fail), trying them newest first. As root, apt downloads as
# _apt, who cannot write here: the sandbox user is whoever runs this. The
# .dsc's signature cannot be checked without a Debian keyring (dpkg-source
# warns); apt has checked every file against the signed index.
fetch() {
    local pkg=$1 dir=$cache/src/$1 dl=$cache/download/$1
    [ -e "$dir/.unpacked" ] && return 0
    local versions version
    versions=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -u | sort_versions)
    if [ -z "$versions" ]; then
        say "apt-cache knows no source package $pkg (no deb-src entries? setup.sh adds them)"
        touch "$reason_file.download"
        return 1
    fi
    for version in $versions; do
        rm -rf "$dl" && mkdir -p "$dl" || return 1
        echo "+ apt-get source --download-only $pkg=$version"
        if (cd "$dl" && apt-get source --download-only -o APT::Sandbox::User=root "$pkg=$version"); then
            rm -rf "$dir"
            run dpkg-source -x "$dl"/*.dsc "$dir" || return 1
            echo "$version" >"$dir/.unpacked"
            rm -rf "$dl"
            return 0
        fi
    done
    local err
    err=$(grep '^E:' "$log_file" | tail -1)
    say "apt-get source $pkg failed for every version (${versions//$'\n'/ }): ${err:-see log}"
    touch "$reason_file.download"
    return 1
}

# sort_versions: standard input's Debian versions, newest first.
sort_versions() {
    local list=() v i j
    while read -r v; do list+=("$v"); done
    for ((i = 1; i < ${#list[@]}; i++)); do
        v=${list[i]}
        for ((j = i - 1; j >= 0; j--)); do
            dpkg --compare-versions "${list[j]}" lt "$v" || break
            list[j + 1]=${list[j]}
        done
        list[j + 1]=$v
    done
    ((${#list[@]})) && printf '%s\n' "${list[@]}"
}

# compile ARCH_FLAGS_NAME OBJ SRC FLAGS...: one object.
compile() {
    local -n arch_flags=$1
    local obj=$2 src=$3
    shift 3
    run "$CC" "${arch_flags[@]}" "${common_flags[@]}" "$@" -c -o "$obj" "$src"
}

# build NAME: the three programs of one decoder, in CACHE_DIR/build/NAME/.
build() {
    local name=$1 work=$cache/build/$1 src=$cache/src/${package[$1]}
    rm -rf "$work" && mkdir -p "$work/i386" "$work/x86_64" || return 1
    local ours=("$here/runtime.c" "$here/${name}_decoder.c")
    local arch flags_name files defines objs f o
    for arch in i386 x86_64; do
        flags_name=plugin_flags
        [ $arch = x86_64 ] && flags_name=native_flags
        codec "$name" $arch "$src"
        local our_flags=("-I$sdk/include" "-I$here" "${defines[@]}")
        # The codec: its own sources, its warnings not ours to fix.
        objs=()
        for f in "${files[@]}"; do
            o=$work/$arch/$(echo "$f" | tr / _).o
            compile $flags_name "$o" "$src/$f" -w "${defines[@]}" || return 1
            objs+=("$o")
        done
        local -n arch_flags=$flags_name
        if [ $arch = i386 ]; then
            # The plug-in: the SDK's runtime (binder, not-a-program _start).
            local plugin_objs=()
            for f in "${ours[@]}" "$sdk/runtime/plugin.c"; do
                o=$work/i386/plugin-$(basename "$f" .c).o
                compile plugin_flags "$o" "$f" "${our_flags[@]}" || return 1
                plugin_objs+=("$o")
            done
            run "$CC" "${arch_flags[@]}" "${common_flags[@]}" -o "$work/$name" \
                "${plugin_objs[@]}" "${objs[@]}" -lgcc || return 1
        fi
        local start=$sdk/runtime/start.S suffix=standalone
        [ $arch = x86_64 ] && start=$root/bench/native/start64.S suffix=x86_64
        local standalone_objs=()
        for f in "${ours[@]}" "$here/standalone.c" "$start"; do
            o=$work/$arch/standalone-$(basename "$f").o
            compile $flags_name "$o" "$f" -DVXA_STANDALONE "${our_flags[@]}" || return 1
            standalone_objs+=("$o")
        done
        run "$CC" "${arch_flags[@]}" "${common_flags[@]}" -o "$work/$name-$suffix" \
            "${standalone_objs[@]}" "${objs[@]}" -lgcc || return 1
    done
    # Stripped: the plug-in keeps the one symbol its host looks up
    # (vx::elf_symbol reads .symtab); no .comment (the compiler's version).
    run strip --strip-all --keep-symbol=vxa_decode -R .comment "$work/$name" || return 1
    run strip --strip-all -R .comment "$work/$name-standalone" "$work/$name-x86_64" || return 1
    check "$work/$name" || return 1
}

# check PLUGIN: a static i386 ET_EXEC whose .symtab has vxa_decode, a
# global function; no system call of its own beyond the SDK's _start.
check() {
    local kind
    kind=$(readelf -h "$1" | sed -n 's/^ *\(Class\|Type\|Machine\): *//p' | tr '\n' ' ')
    case $kind in
        "ELF32 EXEC (Executable file) Intel 80386 ") ;;
        *) say "not an i386 ET_EXEC: $kind"; return 1 ;;
    esac
    readelf -sW "$1" | grep -qE ' FUNC +GLOBAL +DEFAULT +[0-9]+ vxa_decode$' ||
        { say "vxa_decode is not a global function in .symtab"; return 1; }
    if readelf -lW "$1" | grep -q INTERP; then say "has an interpreter: not static"; return 1; fi
}

# produce NAME: fetches, builds and installs one decoder's programs, its
# output in log/NAME.log, the reason it failed, if it did, in log/NAME.reason.
produce() {
    local name=$1
    reason_file=$log/$name.reason log_file=$log/$name.log
    rm -f "$reason_file" "$reason_file.download"
    { fetch "${package[$name]}" && build "$name"; } >"$log_file" 2>&1 || return 1
    local f
    for f in "$name" "$name-standalone" "$name-x86_64"; do
        # Through a temporary name: OUT_DIR/NAME is never half a copy.
        if ! cp "$cache/build/$name/$f" "$out/.$f.tmp" || ! mv "$out/.$f.tmp" "$out/$f"; then
            say "installing $f failed"
            return 1
        fi
    done
}

# build_runtime_test: runtime_test.c for both architectures, into $out.
build_runtime_test() {
    local work=$cache/build/runtime-test arch
    rm -rf "$work" && mkdir -p "$work" || return 1
    for arch in i386 x86_64; do
        local flags_name=plugin_flags start=$sdk/runtime/start.S
        [ $arch = x86_64 ] && flags_name=native_flags start=$root/bench/native/start64.S
        local objs=() f o
        for f in "$here/runtime.c" "$here/runtime_test.c" "$start"; do
            o=$work/$arch-$(basename "$f").o
            compile $flags_name "$o" "$f" -DVXA_STANDALONE "-I$sdk/include" "-I$here" || return 1
            objs+=("$o")
        done
        local -n arch_flags=$flags_name
        run "$CC" "${arch_flags[@]}" "${common_flags[@]}" -o "$work/runtime-test-$arch" "${objs[@]}" -lgcc || return 1
        run strip --strip-all -R .comment "$work/runtime-test-$arch" || return 1
        if ! cp "$work/runtime-test-$arch" "$out/.runtime-test-$arch.tmp" ||
            ! mv "$out/.runtime-test-$arch.tmp" "$out/runtime-test-$arch"; then
            say "installing failed"
            return 1
        fi
    done
}

# stamp: what the outputs are made of: this directory's sources, the SDK's
# parts linked in, the packages' versions, the flags and the compiler.
stamp() {
    {
        (cd "$root" && cat guest/vxa/*.sh guest/vxa/*.c guest/vxa/*.h guest/vxa/xz/*.h \
            guest/include/vx/*.h guest/include/vxguest.h guest/runtime/plugin.c \
            guest/runtime/start.S bench/native/start64.S)
        local pkg
        for pkg in zlib bzip2 libzstd xz-utils; do cat "$cache/src/$pkg/.unpacked" 2>/dev/null || echo none; done
        echo "${plugin_flags[*]} | ${common_flags[*]}"
        "$CC" --version
        strip --version | head -1
    } | sha256sum | cut -d' ' -f1
}

start=$SECONDS
before=$(stamp)
if [ -e "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$before" ]; then
    for name in "${decoders[@]}"; do echo "$name: up to date ($out/$name)"; done
    exit 0
fi
rm -f "$out/.stamp"
failed=()
for name in "${decoders[@]}"; do
    if produce "$name"; then
        echo "$name: built ($out/$name, $(stat -c %s "$out/$name") bytes)"
    else
        echo "$name: FAILED: $(cat "$log/$name.reason" 2>/dev/null || echo unknown reason) (log: $log/$name.log)"
        failed+=("$name")
    fi
done
reason_file=$log/runtime-test.reason log_file=$log/runtime-test.log
rm -f "$reason_file"
if build_runtime_test >"$log_file" 2>&1; then
    echo "runtime-test: built ($out/runtime-test-i386, $out/runtime-test-x86_64)"
else
    echo "runtime-test: FAILED: $(cat "$reason_file" 2>/dev/null || echo unknown reason) (log: $log_file)"
    failed+=(runtime-test)
fi
echo "build-decoders.sh: $((SECONDS - start))s"
if ((${#failed[@]})); then
    echo "build-decoders.sh: failed: ${failed[*]}"
    for name in "${failed[@]}"; do
        [ -e "$log/$name.reason.download" ] || exit 1
    done
    echo "SKIP: only downloads failed (no deb-src entries or no archive: run setup.sh)"
    exit 77
fi
# The sources are all there now: the stamp names their versions.
stamp >"$out/.stamp"
