#!/usr/bin/env python3
"""Runs the vx benchmarks and prints a Markdown table.

Each benchmark (bench/guests/NAME.c) is run under every available runner:

  native-i386    the i386 guest executed directly (only if this host can run
                 i386 programs; many cannot: Exec format error)
  native-x86_64  the native x86-64 build (same C source), bench/native/
  qemu-i386      the i386 guest under qemu-i386 (user-mode emulation)
  vxrun          the i386 guest under vxrun

Runs are interleaved round-robin across runners (the order rotates every
round), each run is timed by wall clock, and the median per runner is
reported. Ratios are against the baseline: native i386 where the host can run
it, else the native x86-64 build of the same source. Every run's stdout (the
checksums) and exit status must match the baseline's, or the script reports
the difference and exits with status 1.

Build first:  cmake --build build --target bench
Then:         python3 bench/run.py [--rounds N] [--only NAME] [--build DIR]
"""

import argparse
import errno
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# argv[1] for each benchmark: sized for a few hundred ms natively on the
# machine these were written on (the guests use the same numbers when run
# without an argument). Benchmarks built but not listed here run with no
# argument, i.e. with the guest's own default.
ITERATIONS = {
    "call_direct": 150_000_000,   # looped calls to a noinline function
    "call_indirect": 150_000_000, # calls through a function-pointer table
    "fib": 1000,                  # fib(25) computations: ~243k call/ret each
    "loop": 200_000_000,          # tight pure-ALU loop
    "syscall": 200_000,           # read(0, buf, 0) + write(1, buf, 0) pairs
    "sha256": 1500,               # SHA-256 of a 64 KiB buffer
    "lzss": 150,                  # LZSS compress + decompress of 64 KiB
    "sort": 12,                   # quicksort of 256 Ki u32
}

NATIVE_I386 = "native-i386"
NATIVE_X64 = "native-x86_64"
QEMU = "qemu-i386"
VXRUN = "vxrun"

LABELS = {
    NATIVE_I386: "native i386",
    NATIVE_X64: "native x86-64 build (same C source)",
    QEMU: "qemu-i386",
    VXRUN: "vxrun",
}


class Failure(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def can_run_i386(probe):
    """Whether this host executes i386 programs: exec fails with ENOEXEC (a
    shell reports it as exit status 126) where it cannot."""
    try:
        r = subprocess.run([str(probe), "0"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    except OSError as e:
        if e.errno == errno.ENOEXEC:
            return False, "exec fails with ENOEXEC (Exec format error)"
        return False, f"exec fails: {e}"
    except subprocess.TimeoutExpired:
        return False, "the probe run timed out"
    if r.returncode == 126:
        return False, "exit status 126 (cannot execute)"
    return True, "runs natively"


def run_once(cmd, timeout):
    """Runs cmd with stdin from /dev/null; returns (seconds, status, stdout, stderr)."""
    start = time.perf_counter()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    except OSError as e:
        return time.perf_counter() - start, None, b"", f"cannot execute: {e}".encode()
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return time.perf_counter() - start, None, out, err + f"\n[timed out after {timeout} s]".encode()
    return time.perf_counter() - start, p.returncode, out, err


def describe_status(status):
    if status is None:
        return "did not run to completion"
    if status < 0:
        return f"killed by signal {-status}"
    if status > 128:
        return f"exit status {status} (signal {status - 128}?)"
    return f"exit status {status}"


def check(bench, runner, ref_runner, ref, got, cmd):
    """Raises Failure unless got (status, stdout) matches ref."""
    _, status, out, err = got
    _, ref_status, ref_out, _ = ref
    problems = []
    if status != 0:
        problems.append(describe_status(status))
    if out != ref_out or status != ref_status:
        problems.append(f"output differs from the first {ref_runner} run")
    if not problems:
        return
    lines = [f"FAIL {bench} under {runner}: {'; '.join(problems)}",
             f"  command: {' '.join(map(str, cmd))}"]
    if runner != ref_runner:
        lines.append(f"  {ref_runner} printed ({describe_status(ref_status)}):")
        lines += ["    " + l for l in ref_out.decode(errors="replace").splitlines()]
    lines.append(f"  {runner} printed:")
    lines += ["    " + l for l in out.decode(errors="replace").splitlines()] or ["    (nothing)"]
    if err.strip():
        lines.append(f"  {runner} stderr:")
        lines += ["    " + l for l in err.decode(errors="replace").splitlines()[-20:]]
    raise Failure("\n".join(lines))


def interleaved(label, runners, baseline, warmup, rounds, run):
    """Runs `run(runner)` -> ((seconds, status, stdout, stderr), cmd) for every
    runner, round after round, the order rotating so that no runner always
    goes first (the baseline goes first until it has given the output the
    others must match). Returns each runner's median time; raises Failure."""
    times = {r: [] for r in runners}
    ref = None
    for rnd in range(warmup + rounds):
        order = runners[rnd % len(runners):] + runners[:rnd % len(runners)]
        if ref is None:
            order = [baseline] + [r for r in order if r != baseline]
        for runner in order:
            got, cmd = run(runner)
            if ref is None:
                ref = got
            check(label, runner, baseline, ref, got, cmd)
            if rnd >= warmup:
                times[runner].append(got[0])
    return {r: statistics.median(t) for r, t in times.items()}


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def fmt_ms(seconds):
    return "—" if seconds is None else f"{seconds * 1000:.1f}"


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}x"


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per runner (default 5)")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="run only this benchmark (repeatable, or comma-separated; "
                    "'startup' is the startup row)")
    ap.add_argument("--build", type=Path, default=here.parent / "build",
                    help="the CMake build directory (default: %(default)s)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every iteration count by this (e.g. 0.1 for a quick check)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed (but checked) runs per runner before timing (default 1)")
    ap.add_argument("--qemu", default=shutil.which("qemu-i386"), help="qemu-i386 to use")
    ap.add_argument("--no-qemu", action="store_true", help="skip qemu-i386")
    ap.add_argument("--timeout", type=float, default=300, help="seconds before a run counts as hung")
    ap.add_argument("--no-startup", action="store_true",
                    help="skip the startup row (the loop guest with 0 iterations)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    build = args.build.resolve()
    guest_dir = build / "guests"
    native_dir = build / "bench" / "native"
    vxrun = build / "vxrun"

    built = sorted(p.name[len("bench_"):] for p in guest_dir.glob("bench_*")) if guest_dir.is_dir() else []
    sources = sorted(p.stem for p in (here / "guests").glob("*.c"))
    names = sources or built
    if args.list:
        for n in names:
            print(f"{n}\t{ITERATIONS.get(n, '(guest default)')}")
        print("startup\tloop with 0 iterations")
        return 0
    want_startup = not args.no_startup
    if args.only:
        wanted = [w for o in args.only for w in o.split(",") if w]
        want_startup = want_startup and "startup" in wanted
        unknown = [w for w in wanted if w not in names and w != "startup"]
        if unknown:
            ap.error(f"unknown benchmark(s) {', '.join(unknown)}; there are: {', '.join(names)}")
        names = [n for n in names if n in wanted]

    missing = [str(p) for n in names + (["loop"] if want_startup and "loop" not in names else [])
               for p in (guest_dir / f"bench_{n}", native_dir / f"bench_{n}") if not p.exists()]
    if not vxrun.exists():
        missing.append(str(vxrun))
    if missing:
        log("missing (build them with: cmake --build %s --target bench):\n  %s"
            % (build, "\n  ".join(missing)))
        return 2

    if not names and not want_startup:
        ap.error("nothing to run")
    native_ok, why = can_run_i386(guest_dir / f"bench_{(names or ['loop'])[0]}")
    runners = []
    if native_ok:
        runners.append(NATIVE_I386)
    runners.append(NATIVE_X64)
    if args.no_qemu:
        pass
    elif args.qemu and Path(args.qemu).exists():
        runners.append(QEMU)
    else:
        log("qemu-i386 not found: its columns stay empty (install qemu-user or pass --qemu)")
    runners.append(VXRUN)
    baseline = runners[0]
    log(f"native i386: {why}; baseline = {LABELS[baseline]}")

    # Rows: (row label, guest, argv[1:]). The startup row measures process
    # start and exit (loader, translator set-up) and stays out of the means.
    rows = []
    for name in names:
        rows.append((name, name, [str(max(1, round(ITERATIONS[name] * args.scale)))]
                     if name in ITERATIONS else []))
    startup_row = "startup (loop, 0 iterations)"
    if want_startup:
        rows.append((startup_row, "loop", ["0"]))

    def command(runner, name, argv):
        guest = guest_dir / f"bench_{name}"
        if runner == NATIVE_I386:
            return [str(guest)] + argv
        if runner == NATIVE_X64:
            return [str(native_dir / f"bench_{name}")] + argv
        if runner == QEMU:
            return [args.qemu, str(guest)] + argv
        return [str(vxrun), str(guest)] + argv

    results = {}   # name -> runner -> median seconds, or None if the benchmark failed
    failures = []
    for label, name, argv in rows:
        def run(runner):
            cmd = command(runner, name, argv)
            return run_once(cmd, args.timeout), cmd
        try:
            results[label] = interleaved(label, runners, baseline, args.warmup, args.rounds, run)
            log(f"{label}: " + ", ".join(f"{r} {results[label][r] * 1000:.1f} ms" for r in runners))
        except Failure as f:
            log(str(f))
            failures.append(str(f).splitlines()[0])
            results[label] = None

    # The table.
    base_label = LABELS[baseline]
    print()
    print(f"Baseline: {base_label}" + ("" if native_ok else f" (this host cannot run i386 programs: {why})")
          + f". Median wall time of {args.rounds} interleaved run(s) per runner"
          + (f", iteration counts scaled by {args.scale}" if args.scale != 1.0 else "") + ".")
    print()
    extra_x64 = native_ok  # with a native i386 baseline, also show the x86-64 build
    head = ["benchmark", "baseline median ms", "vxrun ms", "vxrun ratio", "qemu-i386 ms", "qemu ratio"]
    if extra_x64:
        head += ["x86-64 build ms", "x86-64 ratio"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    ratios = {VXRUN: [], QEMU: [], NATIVE_X64: []}
    for label, _, _ in rows:
        r = results.get(label)
        if r is None:
            print(f"| {label} | FAILED | | | | |" + (" | |" if extra_x64 else ""))
            continue
        base = r[baseline]
        cells = [label, fmt_ms(base)]
        for runner in (VXRUN, QEMU) + ((NATIVE_X64,) if extra_x64 else ()):
            t = r.get(runner)
            ratio = t / base if t is not None and base > 0 else None
            if ratio is not None and label != startup_row:
                ratios[runner].append(ratio)
            cells += [fmt_ms(t), fmt_ratio(ratio)]
        print("| " + " | ".join(cells) + " |")
    geo = ["geometric mean (without startup)", "", "", fmt_ratio(geomean(ratios[VXRUN])), "", fmt_ratio(geomean(ratios[QEMU]))]
    if extra_x64:
        geo += ["", fmt_ratio(geomean(ratios[NATIVE_X64]))]
    print("| " + " | ".join(geo) + " |")

    if failures:
        print()
        print(f"**{len(failures)} benchmark(s) FAILED** (details on stderr):")
        for f in failures:
            print(f"- {f}")
        log(f"\n{len(failures)} benchmark(s) FAILED: outputs or exit statuses did not match")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
