#!/usr/bin/env bash
# check-decoders.sh DECODER_DIR [--large]: checks build-decoders.sh's
# standalone decoders against the codecs' own tools. Each NAME-standalone
# runs under qemu-i386 (i386 code runs on any x86-64 host that way), each
# NAME-x86_64 natively, on data the tools compressed: text, binary, empty,
# several levels and options, concatenated streams; the output must be the
# original, byte for byte. Then damaged inputs must give their result
# (vx/vxa_decoder.h): corrupt 1, trailing data 2, truncated 3, and a heap
# too small 4. --large adds a 50 MiB input for each codec. Exits 77 (a skip)
# when the decoders were not built.
#
# Needs qemu-user, python3, gzip, bzip2, xz-utils and zstd (setup.sh).
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != --large ]; }; then
    echo "usage: $0 DECODER_DIR [--large]" >&2
    exit 2
fi
large=${2:-}
for program in deflate-standalone deflate-x86_64 bzip2-standalone bzip2-x86_64 zstd-standalone zstd-x86_64 \
    xz-standalone xz-x86_64 runtime-test-i386 runtime-test-x86_64; do
    [ -x "$1/$program" ] || { echo "SKIP: $1/$program was not built (see the vxa.build_decoders test)"; exit 77; }
done
dir=$(cd "$1" && pwd) || exit 1
for tool in qemu-i386 python3 gzip bzip2 xz zstd; do
    command -v $tool >/dev/null || { echo "check-decoders.sh: $tool not found (setup.sh installs it)" >&2; exit 1; }
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The originals: text and binary that compress like real files, empty, and
# with --large 50 MiB of both. Deterministic (fixed seeds).
python3 - "$tmp" "$large" <<'PY' || exit 1
import random, sys, zlib
tmp, large = sys.argv[1], sys.argv[2] == "--large"
rng = random.Random(17)
words = [bytes(rng.choice(b"etaoinshrdlucmfwypvbgkqjxz") for _ in range(rng.randint(1, 9))) for _ in range(3000)]
def text(n):
    out, line = [], []
    size = 0
    while size < n:
        w = words[min(int(rng.expovariate(1 / 300)), len(words) - 1)]
        line.append(w)
        if rng.random() < 0.08:
            out.append(b" ".join(line) + b".\n")
            size += len(out[-1])
            line = []
    return b"".join(out)[:n]
def binary(n):
    out, size = [], 0
    while size < n:
        kind = rng.random()
        if kind < 0.3:
            chunk = rng.randbytes(rng.randint(1, 4096))                    # noise
        elif kind < 0.6:
            chunk = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 16))) * rng.randint(2, 300)
        elif kind < 0.8:                                                   # little-endian words
            base = rng.randint(0, 1 << 24)
            chunk = b"".join((base + 4 * i + rng.randint(0, 3)).to_bytes(4, "little") for i in range(rng.randint(1, 1024)))
        else:
            chunk = bytes(rng.randint(1, 70000))                           # zeros
        out.append(chunk)
        size += len(chunk)
    return b"".join(out)[:n]
files = {"text": text(1 << 20), "binary": binary(1 << 20), "empty": b"", "one": b"x"}
if large:
    files["large"] = b"".join(text(1 << 20) if i % 2 else binary(1 << 20) for i in range(50))
for name, data in files.items():
    open(f"{tmp}/{name}", "wb").write(data)
# Raw deflate at several levels and strategies (stored, fixed Huffman, dynamic).
for name, data in files.items():
    for label, level, strategy in (("1", 1, 0), ("6", 6, 0), ("9", 9, 0), ("0", 0, 0), ("fixed", 9, zlib.Z_FIXED)):
        if name == "large" and label != "6":
            continue
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
        open(f"{tmp}/{name}.deflate-{label}", "wb").write(c.compress(data) + c.flush())
PY

failures=0 checks=0
# The runtime's own check, on both architectures.
for test in "qemu-i386 $dir/runtime-test-i386" "$dir/runtime-test-x86_64"; do
    checks=$((checks + 1))
    # shellcheck disable=SC2086 # a command and its argument
    if ! out=$($test 2>&1) || [ "$out" != "runtime: ok" ]; then
        echo "FAIL: $test:"
        echo "    ${out//$'\n'/$'\n'    }"
        failures=$((failures + 1))
    fi
done

# run PROG NAME INPUT [HEAP]: runs one decoder, output to $tmp/out, status in $status.
run() {
    local prog=$1 input=$2 heap=${3:-}
    case $prog in
        *-standalone) qemu-i386 "$prog" ${heap:+"$heap"} <"$input" >"$tmp/out" ;;
        *) "$prog" ${heap:+"$heap"} <"$input" >"$tmp/out" ;;
    esac
    status=$?
}

# expect NAME STATUS INPUT [ORIGINAL [HEAP]]: both builds of decoder NAME give
# STATUS for INPUT and, when ORIGINAL is given, write exactly it.
expect() {
    local name=$1 want=$2 input=$3 original=${4:-} heap=${5:-} prog
    for prog in "$dir/$name-standalone" "$dir/$name-x86_64"; do
        checks=$((checks + 1))
        run "$prog" "$input" "$heap"
        local what
        what="$(basename "$prog") < $(basename "$input")${heap:+ (heap $heap)}"
        if [ "$status" != "$want" ]; then
            echo "FAIL: $what: status $status, expected $want"
            failures=$((failures + 1))
        elif [ -n "$original" ] && ! cmp -s "$tmp/out" "$original"; then
            echo "FAIL: $what: the output differs from $(basename "$original")"
            failures=$((failures + 1))
        fi
    done
}

# damaged NAME COMPRESSED: the damage every codec must report: cut short
# (3), followed by garbage (2), nothing at all (3), another format (1).
damaged() {
    local name=$1 c=$2 size
    size=$(stat -c %s "$c")
    head -c $((size / 2)) "$c" >"$tmp/cut"
    expect "$name" 3 "$tmp/cut"
    head -c $((size - 1)) "$c" >"$tmp/cut1"
    expect "$name" 3 "$tmp/cut1"
    { cat "$c"; printf 'garbage\n'; } >"$tmp/trailing"
    expect "$name" 2 "$tmp/trailing"
    { cat "$c"; printf 'g'; } >"$tmp/trailing1"
    expect "$name" 2 "$tmp/trailing1"
}

originals=(text binary empty one)
[ -n "$large" ] && originals+=(large)
: >"$tmp/nothing"
printf 'not compressed data at all, just text\n' >"$tmp/plain"

# Each codec's variants run on the small originals; the large one gets the
# first (a common default) alone: its compressors are what takes time.

# deflate: one raw stream. A reserved block type is corrupt.
for f in "${originals[@]}"; do
    labels=(6 1 9 0 fixed)
    [ "$f" = large ] && labels=(6)
    for label in "${labels[@]}"; do expect deflate 0 "$tmp/$f.deflate-$label" "$tmp/$f"; done
done
gzip -9 -n -c "$tmp/text" | tail -c +11 | head -c -8 >"$tmp/text.gzip-raw"
expect deflate 0 "$tmp/text.gzip-raw" "$tmp/text"
damaged deflate "$tmp/text.deflate-6"
expect deflate 3 "$tmp/nothing"
printf '\007' >"$tmp/reserved"
expect deflate 1 "$tmp/reserved"
expect deflate 4 "$tmp/text.deflate-6" "" 1000

# bzip2: concatenated streams are one output; a damaged block fails its CRC.
for f in "${originals[@]}"; do
    levels=(9 1)
    [ "$f" = large ] && levels=(9)
    for level in "${levels[@]}"; do
        bzip2 "-$level" -c "$tmp/$f" >"$tmp/$f.bz2-$level"
        expect bzip2 0 "$tmp/$f.bz2-$level" "$tmp/$f"
    done
done
cat "$tmp/text.bz2-9" "$tmp/empty.bz2-1" "$tmp/binary.bz2-1" >"$tmp/multi.bz2"
cat "$tmp/text" "$tmp/binary" >"$tmp/text+binary"
expect bzip2 0 "$tmp/multi.bz2" "$tmp/text+binary"
damaged bzip2 "$tmp/text.bz2-9"
expect bzip2 3 "$tmp/nothing"
expect bzip2 1 "$tmp/plain"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) // 2] ^= 0x10; sys.stdout.buffer.write(d)' \
    "$tmp/text.bz2-9" >"$tmp/corrupt.bz2"
expect bzip2 1 "$tmp/corrupt.bz2"
expect bzip2 4 "$tmp/text.bz2-9" "" 1000000

# xz: presets, filters, checks, concatenated streams with padding.
for f in "${originals[@]}"; do
    variants=("-6" "-0" "-9e" "-6 -C crc32" "-6 -C sha256" "-6 -C none" "--x86 --lzma2=preset=6"
        "--delta=dist=4 --lzma2" "--arm64 --lzma2" "--powerpc --sparc --lzma2=preset=1" "--ia64 --arm --armthumb --lzma2")
    [ "$f" = large ] && variants=("-6")
    for options in "${variants[@]}"; do
        label=$(echo "$options" | tr -d ' =')
        # shellcheck disable=SC2086 # the options are words
        xz $options -c <"$tmp/$f" >"$tmp/$f.xz$label"
        expect xz 0 "$tmp/$f.xz$label" "$tmp/$f"
    done
done
xz -6 -c <"$tmp/text" >"$tmp/text.xz"
xz -1 -c <"$tmp/binary" >"$tmp/binary.xz"
xz -1 -c <"$tmp/empty" >"$tmp/empty.xz"
{ cat "$tmp/text.xz"; printf '\0\0\0\0'; cat "$tmp/empty.xz" "$tmp/binary.xz"; printf '\0\0\0\0\0\0\0\0'; } >"$tmp/multi.xz"
expect xz 0 "$tmp/multi.xz" "$tmp/text+binary"
damaged xz "$tmp/text.xz"
{ cat "$tmp/text.xz"; printf '\0\0\0'; } >"$tmp/badpadding.xz"
expect xz 1 "$tmp/badpadding.xz"
expect xz 3 "$tmp/nothing"
expect xz 1 "$tmp/plain"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) // 2] ^= 0x10; sys.stdout.buffer.write(d)' \
    "$tmp/text.xz" >"$tmp/corrupt.xz"
expect xz 1 "$tmp/corrupt.xz"
expect xz 4 "$tmp/text.xz" "" 1000000
# A dictionary of 1 GiB (the LZMA2 property byte 36; the block header's CRC32
# made again): more than the standalone's 256 MiB heap.
python3 - "$tmp/text.xz" "$tmp/hugedict.xz" <<'PY'
import sys, zlib
d = bytearray(open(sys.argv[1], "rb").read())
size = (d[12] + 1) * 4                      # the block header, after the 12-byte stream header
header = d[12:12 + size]
at = header.find(b"\x21\x01")               # LZMA2's filter ID and its 1-byte properties
assert at > 0
header[at + 2] = 36
header[-4:] = zlib.crc32(bytes(header[:-4])).to_bytes(4, "little")
d[12:12 + size] = header
open(sys.argv[2], "wb").write(d)
PY
expect xz 4 "$tmp/hugedict.xz"

# zstd: levels, long windows, frames with and without checksums, skippable
# frames among concatenated ones.
for f in "${originals[@]}"; do
    variants=("-3" "-1" "-19" "--ultra -22" "--no-check -3" "--long=27 -3")
    [ "$f" = large ] && variants=("-3")
    for options in "${variants[@]}"; do
        label=$(echo "$options" | tr -d ' =')
        # shellcheck disable=SC2086
        zstd -q $options -c <"$tmp/$f" >"$tmp/$f.zst$label"
        expect zstd 0 "$tmp/$f.zst$label" "$tmp/$f"
    done
done
zstd -q -3 -c <"$tmp/text" >"$tmp/text.zst"
zstd -q -1 -c <"$tmp/binary" >"$tmp/binary.zst"
zstd -q -1 -c <"$tmp/empty" >"$tmp/empty.zst"
printf '\x50\x2a\x4d\x18\x05\x00\x00\x00skip!' >"$tmp/skippable"
cat "$tmp/skippable" "$tmp/text.zst" "$tmp/empty.zst" "$tmp/skippable" "$tmp/binary.zst" "$tmp/skippable" >"$tmp/multi.zst"
expect zstd 0 "$tmp/multi.zst" "$tmp/text+binary"
damaged zstd "$tmp/text.zst"
expect zstd 3 "$tmp/nothing"
expect zstd 1 "$tmp/plain"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) // 2] ^= 0x10; sys.stdout.buffer.write(d)' \
    "$tmp/text.zst" >"$tmp/corrupt.zst"
expect zstd 1 "$tmp/corrupt.zst"
expect zstd 4 "$tmp/text.zst" "" 100000
zstd -q --long=30 -c <"$tmp/text" >"$tmp/text.zst-long30"
expect zstd 4 "$tmp/text.zst-long30"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
