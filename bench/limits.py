#!/usr/bin/env python3
"""What the limits cost: each benchmark guest under vxrun with no limits and
with each kind of limit, runs interleaved (the order rotates every round),
medians, and each mode's ratio to --no-limits. The native i386 run of the
same guest is shown for scale where the host can run it. Every run's output
must match the no-limits run's.

    cmake --build build --target bench
    python3 bench/limits.py [--rounds N] [--only NAME ...] [--build DIR]

Modes (limits far above what the benchmarks use, so none is reached):
  no limits     --no-limits
  defaults      memory accounting (--memory 512M), 1024 files, 64 processes
  time limits   --cpu-time and --wall-time: the POSIX timers
  fuel          --instructions: every block counts its instructions
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ITERATIONS, can_run_i386, geomean, run_once  # noqa: E402

MODES = {
    "no limits": ["--no-limits"],
    "defaults": [],
    "time limits": ["--cpu-time=100000", "--wall-time=100000"],
    "fuel": ["--instructions=1000000000000000"],
}
NATIVE = "native i386"


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", action="append", metavar="NAME")
    ap.add_argument("--build", type=Path, default=here.parent / "build")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    names = [n for item in (args.only or [",".join(ITERATIONS)]) for n in item.split(",")]
    vxrun = args.build / "vxrun"
    runners = list(MODES)
    probe = args.build / "guests" / f"bench_{names[0]}"
    if can_run_i386(probe)[0]:
        runners.append(NATIVE)
    times = {(n, r): [] for n in names for r in runners}
    reference = {}
    for rnd in range(args.rounds + 1):  # round 0 is a warm-up, checked but not timed
        for name in names:
            guest = args.build / "guests" / f"bench_{name}"
            order = runners[rnd % len(runners):] + runners[:rnd % len(runners)]
            for runner in order:
                argv = [str(guest), str(ITERATIONS[name])]
                cmd = argv if runner == NATIVE else [str(vxrun), *MODES[runner], *argv]
                seconds, status, out, err = run_once(cmd, args.timeout)
                got = (status, out)
                if name not in reference:
                    reference[name] = got
                if got != reference[name]:
                    sys.stderr.write(f"{name} under {runner}: status {status}, output differs\n{err.decode()}\n")
                    return 1
                if rnd:
                    times[(name, runner)].append(seconds)
        sys.stderr.write(f"round {rnd}/{args.rounds} done\n")

    print(f"| benchmark | {' | '.join(runners)} |  (ms, medians of {args.rounds} interleaved rounds; "
          "in brackets: ratio to no limits)")
    print("|---|" + "---:|" * len(runners))
    ratios = {r: [] for r in runners}
    for name in names:
        base = statistics.median(times[(name, "no limits")])
        cells = []
        for r in runners:
            m = statistics.median(times[(name, r)])
            ratios[r].append(m / base)
            cells.append(f"{m * 1000:.1f}" + ("" if r == "no limits" else f" ({m / base:.3f})"))
        print(f"| {name} | {' | '.join(cells)} |")
    print("| geomean ratio | " + " | ".join("1.000" if r == "no limits" else f"{geomean(ratios[r]):.3f}"
                                            for r in runners) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
