#!/usr/bin/env python3
"""A/B: two vxrun builds on the same benchmark guests, runs interleaved,
medians and the ratio new/old. For checking that a change did not slow vx
down when the machine is too noisy for run.py's ratios against native.

    python3 bench/ab.py OLD_VXRUN NEW_VXRUN [--rounds N] [--only NAME ...]
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ITERATIONS  # noqa: E402  (the same iteration counts as run.py)


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", action="append", metavar="NAME")
    ap.add_argument("--build", type=Path, default=here.parent / "build")
    args = ap.parse_args()
    names = args.only or list(ITERATIONS)
    times = {(n, k): [] for n in names for k in ("old", "new")}
    for rnd in range(args.rounds):
        for name in names:
            guest = args.build / "guests" / f"bench_{name}"
            order = ("old", "new") if rnd % 2 == 0 else ("new", "old")
            for which in order:
                vxrun = args.old if which == "old" else args.new
                start = time.perf_counter()
                subprocess.run([str(vxrun), str(guest), str(ITERATIONS[name])], stdout=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, check=True)
                times[(name, which)].append(time.perf_counter() - start)
    print(f"| benchmark | old ms | new ms | new/old |  ({args.rounds} interleaved rounds, medians)")
    print("|---|---:|---:|---:|")
    for name in names:
        old = statistics.median(times[(name, "old")]) * 1000
        new = statistics.median(times[(name, "new")]) * 1000
        print(f"| {name} | {old:.1f} | {new:.1f} | {new / old:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
