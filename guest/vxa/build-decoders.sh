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
common_flags=(-fbuiltin -ffunction-sections -fdata-sections -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code
    "-ffile-prefix-map=$cache/=vxa-sources/" "-ffile-prefix-map=$root/=vx/")

# The codecs' sources: package, directory in it, files (in link order), defines.
declare -A package=([deflate]=zlib [bzip2]=bzip2 [zstd]=libzstd [xz]=xz-utils)
zlib_files=(inflate.c inftrees.c inffast.c adler32.c)
zlib_defines=(-DZ_SOLO -DNO_GZIP)
bzip2_files=(bzlib.c decompress.c huffman.c crctable.c randtable.c compress.c blocksort.c)
bzip2_defines=(-DBZ_NO_STDIO)
zstd_files=(lib/common/entropy_common.c lib/common/error_private.c lib/common/fse_decompress.c
    lib/common/xxhash.c lib/common/zstd_common.c lib/decompress/huf_decompress.c
    lib/decompress/zstd_ddict.c lib/decompress/zstd_decompress.c lib/decompress/zstd_decompress_block.c)
# No legacy formats (zip's method 93 is today's frame format), no tracing
# hooks (weak symbols), no error strings (nothing prints them).
zstd_defines=(-DZSTD_LEGACY_SUPPORT=0 -DZSTD_TRACE=0 -DZSTD_STRIP_ERROR_STRINGS)
# x86-64 only: libzstd's BMI2 Huffman decoding loops, as a native libzstd has.
zstd_native_files=(lib/decompress/huf_decompress_amd64.S)
lz=src/liblzma
xz_files=($lz/common/common.c $lz/common/block_decoder.c $lz/common/block_header_decoder.c
    $lz/common/block_util.c $lz/common/filter_common.c $lz/common/filter_decoder.c
    $lz/common/filter_flags_decoder.c $lz/common/index_hash.c $lz/common/stream_decoder.c
    $lz/common/stream_flags_common.c $lz/common/stream_flags_decoder.c $lz/common/vli_decoder.c
    $lz/common/vli_size.c $lz/check/check.c $lz/check/crc32_fast.c $lz/check/crc32_table.c
    $lz/check/crc64_fast.c $lz/check/crc64_table.c $lz/check/sha256.c $lz/lz/lz_decoder.c
    $lz/lzma/lzma_decoder.c $lz/lzma/lzma2_decoder.c $lz/delta/delta_common.c
    $lz/delta/delta_decoder.c $lz/simple/simple_coder.c $lz/simple/simple_decoder.c
    $lz/simple/x86.c $lz/simple/powerpc.c $lz/simple/ia64.c $lz/simple/arm.c
    $lz/simple/armthumb.c $lz/simple/arm64.c $lz/simple/sparc.c)
xz_defines=(-DHAVE_CONFIG_H "-I$here/xz")
for d in api common check lz rangecoder lzma delta simple; do xz_defines+=("-I@SRC@/$lz/$d"); done
xz_defines+=("-I@SRC@/src/common")
declare -A files_of=([deflate]=zlib_files [bzip2]=bzip2_files [zstd]=zstd_files [xz]=xz_files)
declare -A defines_of=([deflate]=zlib_defines [bzip2]=bzip2_defines [zstd]=zstd_defines [xz]=xz_defines)
declare -A includes_of=([deflate]=. [bzip2]=. [zstd]="lib lib/common" [xz]=$lz/api)
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
    say "apt-get source $pkg failed for every version ($(echo $versions)): ${err:-see log}"
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

# build NAME: the three programs of one decoder into $build/NAME/.
build() {
    local name=$1 pkg=${package[$1]}
    local src=$cache/src/$pkg work=$cache/build/$1
    local -n files=${files_of[$1]}
    local -n defines_raw=${defines_of[$1]}
    local defines=() inc d
    for d in "${defines_raw[@]}"; do defines+=("${d//@SRC@/$src}"); done
    for inc in ${includes_of[$1]}; do defines+=("-I$src/$inc"); done
    rm -rf "$work" && mkdir -p "$work/i386" "$work/x86_64" || return 1
    local ours=("$here/runtime.c" "$here/${name}_decoder.c")
    local our_flags=("-I$sdk/include" "-I$here" "${defines[@]}")
    local arch objs f o
    for arch in i386 x86_64; do
        local flags_name=plugin_flags
        [ $arch = x86_64 ] && flags_name=native_flags
        # The codec: its own sources, its warnings not ours to fix.
        objs=()
        local codec_files=("${files[@]}")
        if [ "$name" = zstd ] && [ $arch = x86_64 ]; then codec_files+=("${zstd_native_files[@]}"); fi
        for f in "${codec_files[@]}"; do
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
        cp "$cache/build/$name/$f" "$out/.$f.tmp" && mv "$out/.$f.tmp" "$out/$f" ||
            { say "installing $f failed"; return 1; }
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
        cp "$work/runtime-test-$arch" "$out/.runtime-test-$arch.tmp" &&
            mv "$out/.runtime-test-$arch.tmp" "$out/runtime-test-$arch" || { say "installing failed"; return 1; }
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
