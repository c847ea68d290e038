#!/usr/bin/env python3
"""How close the memory limit's count is to what a guest tree really costs.

For each workload (a mode of the tree attack guest, tests/limits/tree_attack.c):

  counted   the least --memory (to 1 MiB) under which the run ends normally:
            the tree's peak as the limit counts it
  kernel    the peak, sampled every 20 ms during a run without a limit, of
            the Pss of the tree's vxrun processes in anonymous and memfd
            mappings (guest pages, the code cache, vxrun's heap), leaving
            out the file mappings of vxrun and its libraries, which the
            limit does not count
  ratio     counted / kernel (1.0 is exact; above it, the limit is stricter
            than the memory the tree really holds)

    cmake --build build
    python3 bench/memory_count.py [--build DIR] [--only NAME ...]
"""
import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

WORKLOADS = {
    # a 40 MiB heap written, and a child that only holds it for a second
    "heap alone": ["shared", "1", "40", "hold"],
    # the same, read-only, and 6 children holding it at once
    "read-only, 6 children": ["shared", "6", "40", "hold"],
    # a 40 MiB heap and 2 children that each rewrite all of it
    "cow, 2 children": ["cow", "2", "40"],
    # a 1 MiB heap and 24 children that each rewrite it: small processes
    "small, 24 children": ["cow", "24", "1"],
}


def tree_of(root):
    """Host pids of root and its descendants."""
    pids, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    frontier += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return pids


def anonymous_pss(pid):
    """KiB of Pss in the mappings of pid that no file backs (memfd counts)."""
    total, counting = 0, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split(None, 6)
                if "-" in head[0] and not head[0].endswith(":"):
                    path = head[5].strip() if len(head) > 5 else ""
                    counting = path == "" or path.startswith("/memfd:") or path in ("[heap]", "[stack]")
                elif counting and head[0] == "Pss:":
                    total += int(head[1])
    except OSError:
        pass
    return total


def kernel_peak(command):
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(anonymous_pss(pid) for pid in tree_of(proc.pid)))
        time.sleep(0.02)
    return peak * 1024, proc.returncode


def fits(vxrun, guest, args, mib):
    run = subprocess.run([vxrun, f"--memory={mib}M", guest, *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, timeout=120)
    return run.returncode == 0


def least_memory(vxrun, guest, args):
    low, high = 1, 2048  # low does not fit (or is untried), high fits
    if not fits(vxrun, guest, args, high):
        return None
    while high - low > 1:
        mid = (low + high) // 2
        if fits(vxrun, guest, args, mid):
            high = mid
        else:
            low = mid
    return high << 20


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=here.parent / "build")
    ap.add_argument("--only", action="append", metavar="NAME")
    opts = ap.parse_args()
    vxrun, guest = opts.build / "vxrun", opts.build / "guests" / "limits_tree_attack"
    for needed in (vxrun, guest):
        if not needed.exists():
            sys.exit(f"{needed} is missing: build first (cmake --build {opts.build})")
    print("| workload | counted (MiB) | kernel: Pss (MiB) | ratio |")
    print("|---|---:|---:|---:|")
    for name, args in WORKLOADS.items():
        if opts.only and name not in opts.only:
            continue
        kernel, status = kernel_peak([str(vxrun), "--memory=2G", str(guest), *args])
        counted = least_memory(str(vxrun), str(guest), args)
        if status != 0 or counted is None:
            print(f"| {name} | failed (status {status}) | | |")
            continue
        print(f"| {name} | {counted / 2**20:.0f} | {kernel / 2**20:.1f} | {counted / kernel:.2f} |", flush=True)


if __name__ == "__main__":
    main()
