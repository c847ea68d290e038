#!/usr/bin/env python3
"""Times real programs under vxrun against native i386 and qemu-i386.

The programs are the ones the tests use: lua, bzip2, xz and sqlite3 built
from Debian's source packages (tests/debian/build-sources.sh, cached in
BUILD/debian-cache/src/bin) and Debian's busybox-static:i386
(BUILD/debian-cache/busybox-static). Run the tests once (ctest -R debian) to
have them. Each workload runs in a fresh copy of its input directory, granted
to vxrun read-write as its working directory; runs are interleaved round
robin (the order rotating every round), and every run's stdout and exit
status must match the baseline's. Ratios are medians over the baseline's
median: native i386 where the host can run it, else qemu-i386.

Usage: python3 bench/programs.py [--rounds N] [--only NAME] [--build DIR]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Failure, can_run_i386, fmt_ms, fmt_ratio, geomean, interleaved, log  # noqa: E402

HERE = Path(__file__).resolve().parent

# name -> (program, arguments, stdin file or None); paths are relative to the
# working directory, which starts as a copy of the inputs (see make_inputs).
WORKLOADS = {
    "lua: calls, tables, strings": ("lua", ["bench.lua"], None),
    "bzip2 -9 of 7 MB of text": ("bzip2", ["-9", "-c", "text"], None),
    "bzip2 -d": ("bzip2", ["-dc", "text.bz2"], None),
    "xz -6 of 7 MB of text": ("xz", ["-6", "-c", "text"], None),
    "xz -d": ("xz", ["-dc", "text.xz"], None),
    "sqlite3: 200k inserts, index, join": ("sqlite3", [":memory:"], "bench.sql"),
    "busybox sha256sum of 32 MB": ("busybox", ["sha256sum", "random"], None),
    "busybox gzip -6 of 7 MB of text": ("busybox", ["gzip", "-6", "-c", "text"], None),
    "busybox sh: a 4-stage pipeline": ("busybox", ["sh", "-c", "cat text | tr a-z A-Z | sort -r | md5sum"], None),
    "busybox sh: 200 fork+exec": ("busybox", ["sh", "-c", "for i in $(seq 200); do ./busybox true; done; echo done"], None),
}


def make_inputs(directory, bins):
    text = directory / "text"
    with open(text, "w") as f:
        for i in range(1, 200001):
            f.write(f"{i} lorem ipsum dolor sit amet {i * 7919 % 10007}\n")
    with open(directory / "random", "wb") as f:
        f.write(os.urandom(32 << 20))
    for name in ("bench.lua", "bench.sql"):
        shutil.copy(HERE / "programs" / name, directory / name)
    shutil.copy(bins["busybox"], directory / "busybox")
    # The compressed inputs, made by the programs themselves (natively or not,
    # the bytes are the same).
    for program, suffix in (("bzip2", ".bz2"), ("xz", ".xz")):
        with open(str(text) + suffix, "wb") as out:
            subprocess.run(runner_prefix() + [str(bins[program]), "-c", str(text)], stdout=out, check=True)


_native = None


def runner_prefix():
    return [] if _native else ["qemu-i386"]


def main():
    global _native
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--only", action="append", metavar="TEXT", help="workloads whose name contains TEXT")
    ap.add_argument("--build", type=Path, default=HERE.parent / "build")
    ap.add_argument("--qemu", default=shutil.which("qemu-i386"))
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    build = args.build.resolve()
    cache = build / "debian-cache"
    bins = {p: cache / "src" / "bin" / p for p in ("lua", "bzip2", "xz", "sqlite3")}
    bins["busybox"] = cache / "busybox-static" / "bin" / "busybox"
    vxrun = build / "vxrun"
    missing = [str(p) for p in list(bins.values()) + [vxrun] if not p.exists()]
    if missing:
        log("missing (build vx and run `ctest --test-dir %s -R debian` first):\n  %s" % (build, "\n  ".join(missing)))
        return 2
    _native, why = can_run_i386(bins["lua"])
    runners = (["native"] if _native else []) + (["qemu-i386"] if args.qemu else []) + ["vxrun"]
    baseline = runners[0]
    log(f"native i386: {why}; baseline = {baseline}")

    names = [n for n in WORKLOADS if not args.only or any(o in n for o in args.only)]
    with tempfile.TemporaryDirectory(prefix="vx-bench-") as tmp:
        inputs = Path(tmp) / "inputs"
        inputs.mkdir()
        make_inputs(inputs, bins)

        def run(runner, name):
            program, argv, stdin = WORKLOADS[name]
            work = Path(tmp) / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(inputs, work)
            exe = str(bins[program])
            if runner == "native":
                cmd = [exe] + argv
            elif runner == "qemu-i386":
                cmd = [args.qemu, exe] + argv
            else:
                cmd = [str(vxrun), "--mount", f"{work}:/work:rw", "--cwd", "/work", exe] + argv
            # Every runner's program sees vxrun's default environment (PATH only).
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
            with open(work / stdin if stdin else os.devnull, "rb") as inp:
                start = time.perf_counter()
                p = subprocess.run(cmd, cwd=work, stdin=inp, env=env, capture_output=True, timeout=args.timeout)
                return (time.perf_counter() - start, p.returncode, p.stdout, p.stderr), cmd

        results, failures = {}, []
        for name in names:
            try:
                results[name] = interleaved(name, runners, baseline, args.warmup, args.rounds,
                                            lambda runner: run(runner, name))
                log(f"{name}: " + ", ".join(f"{r} {results[name][r] * 1000:.0f} ms" for r in runners))
            except Failure as f:
                log(str(f))
                failures.append(str(f).splitlines()[0])
                results[name] = None

    print()
    print(f"Baseline: {baseline}. Median wall time of {args.rounds} interleaved run(s) per runner.")
    print()
    others = [r for r in runners if r != baseline]
    head = ["workload", f"{baseline} ms"] + [c for r in others for c in (f"{r} ms", f"{r} ratio")]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    ratios = {r: [] for r in others}
    for name in names:
        r = results[name]
        if r is None:
            print(f"| {name} | FAILED |" + " |" * (len(head) - 2))
            continue
        cells = [name, fmt_ms(r[baseline])]
        for o in others:
            ratio = r[o] / r[baseline]
            ratios[o].append(ratio)
            cells += [fmt_ms(r[o]), fmt_ratio(ratio)]
        print("| " + " | ".join(cells) + " |")
    print("| geometric mean | |" + "".join(f" | {fmt_ratio(geomean(ratios[o]))} |" for o in others))
    if failures:
        print(f"\n**{len(failures)} workload(s) FAILED** (details on stderr)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
