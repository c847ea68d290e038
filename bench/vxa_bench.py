#!/usr/bin/env python3
"""vxa against the native decoders, side by side in one run (medians of
interleaved runs, wall clock):

  per codec (deflate, bzip2, xz, zstd), one member of --size bytes (text and
  binary data mixed):
    native        the codec's own tool decoding the same data to /dev/null
                  (gzip -dc, bzip2 -dc, xz -dc, zstd -dc): the baseline
    decoder-x86_64 vxa's decoder (the same C) built for x86-64, stdin to stdout
    qemu-i386     vxa's i386 decoder as a standalone program under qemu-i386
    vxa test      the archive's own decoder in its sandbox, its CRC-32 and
                  SHA-256 checked, nothing written
  10,000 small files (100 B to 4 KiB, in 100 directories), deflate:
    unzip         unzip -qq into a fresh directory: the baseline
    vxa extract   into a fresh directory

and the archive overhead of each codec's decoder (its deflated size).

Build first:  cmake --build build --target vxa vxa-decoders
Then:         python3 bench/vxa_bench.py [--rounds N] [--size 64M] [--json FILE]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODECS = {
    "deflate": (["gzip", "-c", "-6"], ["gzip", "-dc"]),
    "bzip2": (["bzip2", "-c", "-9"], ["bzip2", "-dc"]),
    "xz": (["xz", "-c", "-6"], ["xz", "-dc"]),
    "zstd": (["zstd", "-c", "-3", "-q"], ["zstd", "-dc", "-q"]),
}


def size_value(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def timed(cmd, stdin=None, cwd=None):
    start = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as source:
        result = subprocess.run(cmd, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))}: exit {result.returncode}: {result.stderr.decode()[-400:]}")
    return seconds


def medians(runners, rounds, prepare=None):
    """runners: {name: () -> seconds}; interleaved, the order rotating."""
    names = list(runners)
    times = {name: [] for name in names}
    for round_number in range(rounds + 1):  # the first round warms up
        order = names[round_number % len(names):] + names[:round_number % len(names)]
        for name in order:
            if prepare:
                prepare()
            seconds = runners[name]()
            if round_number:
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def make_data(path, size):
    rng = random.Random(1)
    words = [bytes(rng.choice(b"etaoinshrdlucmfw") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    with open(path, "wb") as f:
        written = 0
        while written < size:
            text = b" ".join(rng.choice(words) for _ in range(20000))
            block = text + rng.randbytes(len(text) // 8)
            f.write(block[:size - written])
            written += len(block)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=size_value, default=64 << 20)
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    build = Path(args.build)
    vxa = build / "vxa"
    decoders = build / "vxa-decoders"
    qemu = shutil.which("qemu-i386")
    work = Path(tempfile.mkdtemp(prefix="vxa-bench-"))
    results = {"codecs": {}, "small_files": {}, "decoder_sizes": {}}
    print(f"# vxa bench: {args.size >> 20} MiB per codec, {args.rounds} rounds; baseline: the codec's own tool")
    print(f"{'row':<10} {'native':>9} {'dec-x86_64':>11} {'qemu-i386':>10} {'vxa test':>9}  vxa/native")
    try:
        data = work / "data"
        make_data(data, args.size)
        for codec, (compress, decompress) in CODECS.items():
            compressed = work / f"data.{codec}"
            with open(data, "rb") as source, open(compressed, "wb") as out:
                subprocess.run(compress, stdin=source, stdout=out, check=True)
            archive = work / f"{codec}.zip"
            subprocess.run([vxa, "create", archive, "--codec", codec, "data"], cwd=work, check=True)
            raw = compressed
            if codec == "deflate":  # the decoder reads raw deflate: the gzip wrapper taken off
                raw = work / "data.raw-deflate"
                raw.write_bytes(compressed.read_bytes()[10:-8])
            runners = {
                "native": lambda: timed(decompress, stdin=compressed),
                "decoder-x86_64": lambda: timed([decoders / f"{codec}-x86_64"], stdin=raw),
                "vxa test": lambda: timed([vxa, "test", "-q", archive]),
            }
            if qemu:
                runners["qemu-i386"] = lambda: timed([qemu, decoders / f"{codec}-standalone"], stdin=raw)
            got = medians(runners, args.rounds)
            results["codecs"][codec] = got
            print(f"{codec:<10} {got['native'] * 1000:>7.0f}ms {got['decoder-x86_64'] * 1000:>9.0f}ms "
                  f"{got.get('qemu-i386', 0) * 1000:>8.0f}ms {got['vxa test'] * 1000:>7.0f}ms  "
                  f"{got['vxa test'] / got['native']:.2f}x")
            program = (decoders / codec).read_bytes()
            deflated = subprocess.run(["gzip", "-9", "-c"], input=program, capture_output=True, check=True).stdout
            results["decoder_sizes"][codec] = {"elf": len(program), "deflated": len(deflated) - 18}

        small = work / "small"
        rng = random.Random(2)
        for i in range(10000):
            directory = small / f"dir{i % 100:02d}"
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"file{i:05d}.txt").write_bytes(rng.randbytes(rng.randint(50, 2000)).hex().encode())
        archive = work / "small.zip"
        subprocess.run([vxa, "create", archive, "--codec", "deflate", "small"], cwd=work, check=True)
        out = work / "out"

        def fresh():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()

        got = medians({"unzip": lambda: timed(["unzip", "-qq", archive, "-d", out, "-x", ".vxa/*"]),
                       "vxa extract": lambda: timed([vxa, "extract", "-q", archive, "-C", out])},
                      args.rounds, prepare=fresh)
        results["small_files"] = got
        print(f"{'10k files':<10} {got['unzip'] * 1000:>7.0f}ms {'':>11} {'':>10} {got['vxa extract'] * 1000:>7.0f}ms  "
              f"{got['vxa extract'] / got['unzip']:.2f}x (baseline: unzip)")
        print("decoder overhead per archive (deflated ELF): " +
              ", ".join(f"{c} {s['deflated'] / 1024:.1f} KiB" for c, s in results["decoder_sizes"].items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
