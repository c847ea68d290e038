#!/usr/bin/env python3
"""Hash plug-ins under vxverify against the same C natively: each algorithm of
examples/verify hashes one file of 64 MiB

  native-i386    the standalone i386 program (examples/verify/standalone.c
                 with the plug-in's source), where this host runs i386
  native-x86_64  the same source built for x86-64: the baseline where this
                 host cannot run i386
  qemu-i386      the standalone i386 program under qemu-i386
  vxrun          the standalone i386 program under vxrun
  vxverify       the plug-in itself, called by vxverify --print (1 MiB chunks)

The standalone programs read the file from stdin in 1 MiB chunks, as
vxverify gives them to the plug-in. Runs are interleaved as bench/run.py
runs them (the order rotating every round), each timed by wall clock (the
whole process: start-up, reading the file, hashing), and by the CPU time it
took (user and system: steadier on a machine shared with other work); every
run's digest must be the baseline's. Ratios are of medians, against the
baseline.

Build first:  cmake --build build --target verify_bench
Then:         python3 bench/verify_bench.py [--rounds N] [--only sha256] [--size 64M]
"""

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Failure, can_run_i386, fmt_ms, fmt_ratio, geomean, interleaved, log  # noqa: E402

ALGORITHMS = ["sha256", "sha1", "md5", "blake2b", "blake2s"]
NATIVE_I386, NATIVE_X64, QEMU, VXRUN, VXVERIFY = "native-i386", "native-x86_64", "qemu-i386", "vxrun", "vxverify"
LABELS = {NATIVE_I386: "native i386", NATIVE_X64: "native x86-64 build (same C source)", QEMU: "qemu-i386",
          VXRUN: "vxrun (standalone)", VXVERIFY: "vxverify (plug-in)"}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd, stdin_path, timeout, cpu_times):
    """(seconds, status, digest, stderr): the digest is the first word
    printed. The run's CPU time (user and system, of the process and its
    children) goes to cpu_times."""
    start, cpu_start = time.perf_counter(), children_cpu()
    with open(stdin_path, "rb") as stdin:
        try:
            p = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return time.perf_counter() - start, None, b"", (e.stderr or b"") + b"\n[timed out]"
        except OSError as e:
            return time.perf_counter() - start, None, b"", f"cannot execute: {e}".encode()
    seconds = time.perf_counter() - start
    cpu_times.append(children_cpu() - cpu_start)
    words = p.stdout.split()
    return seconds, p.returncode, words[0] if words else p.stdout, p.stderr


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per runner (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed, checked runs per runner first (default 1)")
    ap.add_argument("--only", action="append", metavar="ALGORITHM", help="only these (repeatable, comma-separated)")
    ap.add_argument("--size", default="64M", help="bytes to hash (k, M suffixes; default 64M)")
    ap.add_argument("--build", type=Path, default=here.parent / "build", help="the CMake build directory")
    ap.add_argument("--qemu", default=shutil.which("qemu-i386"), help="qemu-i386 to use")
    ap.add_argument("--no-qemu", action="store_true", help="skip qemu-i386")
    ap.add_argument("--no-vxrun", action="store_true", help="skip the standalone program under vxrun")
    ap.add_argument("--timeout", type=float, default=300, help="seconds before a run counts as hung")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    units = {"k": 1 << 10, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    size = int(args.size[:-1]) * units[args.size[-1]] if args.size[-1] in units else int(args.size)

    build = args.build.resolve()
    standalone, plugins = build / "bench" / "verify", build / "plugins"
    vxverify, vxrun = build / "vxverify", build / "vxrun"
    algorithms = ALGORITHMS
    if args.only:
        wanted = [w for o in args.only for w in o.split(",") if w]
        unknown = [w for w in wanted if w not in ALGORITHMS]
        if unknown:
            ap.error(f"unknown algorithm(s) {', '.join(unknown)}; there are: {', '.join(ALGORITHMS)}")
        algorithms = [a for a in ALGORITHMS if a in wanted]
    missing = [str(p) for a in algorithms for p in (standalone / f"{a}_i386", standalone / f"{a}_x86_64", plugins / a)
               if not p.exists()] + [str(p) for p in (vxverify, vxrun) if not p.exists()]
    if missing:
        log("missing (build them with: cmake --build %s --target verify_bench):\n  %s" % (build, "\n  ".join(missing)))
        return 2

    native_ok, why = can_run_i386(standalone / f"{algorithms[0]}_i386")
    runners = ([NATIVE_I386] if native_ok else []) + [NATIVE_X64]
    if not args.no_qemu:
        if args.qemu and Path(args.qemu).exists():
            runners.append(QEMU)
        else:
            log("qemu-i386 not found: its column stays empty")
    if not args.no_vxrun:
        runners.append(VXRUN)
    runners.append(VXVERIFY)
    baseline = runners[0]
    log(f"native i386: {why}; baseline = {LABELS[baseline]}")

    results, cpu_results, failures = {}, {}, []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "input"
        data.write_bytes(random.Random(64).randbytes(size))
        empty = Path(tmp) / "empty"
        empty.write_bytes(b"")

        for algorithm in algorithms:
            i386, x64 = standalone / f"{algorithm}_i386", standalone / f"{algorithm}_x86_64"

            cpu = {r: [] for r in runners}

            def run(runner):
                if runner == VXVERIFY:
                    cmd = [str(vxverify), "--plugin", f"{algorithm}={plugins / algorithm}", "--print", str(data)]
                    return run_once(cmd, empty, args.timeout, cpu[runner]), cmd
                cmd = {NATIVE_I386: [str(i386)], NATIVE_X64: [str(x64)], QEMU: [args.qemu, str(i386)],
                       VXRUN: [str(vxrun), str(i386)]}[runner]
                return run_once(cmd, data, args.timeout, cpu[runner]), cmd

            try:
                results[algorithm] = interleaved(algorithm, runners, baseline, args.warmup, args.rounds, run)
                # Each runner ran once a round, the warm-up rounds first.
                cpu_results[algorithm] = {r: statistics.median(t[args.warmup:]) for r, t in cpu.items()}
                log(f"{algorithm}: " + ", ".join(f"{r} {results[algorithm][r] * 1000:.1f} ms" for r in runners))
            except Failure as f:
                log(str(f))
                failures.append(str(f).splitlines()[0])
                results[algorithm] = None

    print()
    print(f"Baseline: {LABELS[baseline]}" + ("" if native_ok else f" (this host cannot run i386 programs: {why})")
          + f". {size >> 20} MiB hashed; median of {args.rounds} interleaved run(s) per runner.")
    for title, table in (("Wall time", results), ("CPU time (user and system)", cpu_results)):
        print()
        print(f"{title}:")
        print()
        print_table(table, algorithms, runners, baseline)
    if failures:
        print(f"\n**{len(failures)} algorithm(s) FAILED** (details on stderr)")
        return 1
    return 0


def print_table(results, algorithms, runners, baseline):
    others = [r for r in runners if r != baseline]
    head = ["algorithm", "baseline ms"] + [c for r in others for c in (f"{LABELS[r]} ms", "ratio")]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    ratios = {r: [] for r in others}
    for algorithm in algorithms:
        r = results.get(algorithm)
        if r is None:
            print(f"| {algorithm} | FAILED |" + " |" * (len(head) - 2))
            continue
        cells = [algorithm, fmt_ms(r[baseline])]
        for runner in others:
            ratio = r[runner] / r[baseline] if r[baseline] > 0 else None
            if ratio is not None:
                ratios[runner].append(ratio)
            cells += [fmt_ms(r[runner]), fmt_ratio(ratio)]
        print("| " + " | ".join(cells) + " |")
    print("| " + " | ".join(["geometric mean", ""] + [c for r in others for c in ("", fmt_ratio(geomean(ratios[r])))])
          + " |")


if __name__ == "__main__":
    sys.exit(main())
