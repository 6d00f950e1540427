#!/usr/bin/env python3
"""Time and peak RSS of every shardguard library of a build directory against
its fast library (libshardguard.so), on the project's benchmarks, all in one
run: rounds of (library x workload), interleaved, medians, ratios, and the
geometric mean over the workloads.

usage: layer_overhead.py BUILD_DIR [--runs N] [--quick] [--only POLICY,...]

Two tables: ratios of medians, and ratios of the best (shortest) runs. On a
shared machine the noise (other tenants, CPU steal) only ever adds time, so
the best of N runs is the steadier estimate of what the code costs; the
median says what a run is likely to take.
"""
import argparse
import glob
import math
import os
import random
import statistics
import subprocess
import sys
import time

PY_WORKLOAD = (
    "import json,random\n"
    "r=random.Random(1); d={}\n"
    "for i in range(120000):\n"
    "  d[i%5000]=[str(r.random())*(1+i%7), {'k':i}]\n"
    "  if i%1000==0: s=json.dumps(list(d.values())[:500]); json.loads(s)\n"
)


def workloads(build, quick):
    b = os.path.join(build, "bench")
    scale = 0.2 if quick else 1.0
    return [
        ("alloc_st", [os.path.join(b, "alloc_st"), str(int(3000000 * scale))]),
        ("alloc_mt", [os.path.join(b, "alloc_mt"), "2", str(max(1, int(40 * scale)))]),
        ("demo", [os.path.join(b, "demo"), str(int(120000 * scale)), "3"]),
        ("python3", ["/usr/bin/python3", "-c", PY_WORKLOAD]),
    ]


def run(cmd, lib):
    env = dict(os.environ, LD_PRELOAD=lib)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if status != 0:
        sys.exit(f"FAILED: LD_PRELOAD={lib} {' '.join(cmd)} -> status {status}\n{err}")
    return elapsed, usage.ru_maxrss / 1024.0  # MiB


def policy_of(lib):
    name = os.path.basename(lib)[len("libshardguard"):-len(".so")]
    return name[1:] if name else "fast"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated policies to compare with fast (default: every library)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    libs = sorted(glob.glob(os.path.join(build, "libshardguard*.so")), key=lambda l: (policy_of(l) != "fast", policy_of(l)))
    if not libs or policy_of(libs[0]) != "fast":
        sys.exit(f"no libshardguard.so in {build}")
    if a.only:
        wanted = set(a.only.split(","))
        libs = [l for l in libs if policy_of(l) == "fast" or policy_of(l) in wanted]
    work = workloads(build, a.quick)
    times = {(l, w[0]): [] for l in libs for w in work}
    rss = {(l, w[0]): [] for l in libs for w in work}
    order = random.Random(1)  # a fixed seed: the same schedule every time
    for r in range(a.runs):
        for name, cmd in work:
            # A fresh order of the libraries in every round: the first run
            # after a change of workload must not always be the same one's.
            for lib in order.sample(libs, len(libs)):
                t, m = run(cmd, lib)
                times[(lib, name)].append(t)
                rss[(lib, name)].append(m)
        print(f"round {r + 1}/{a.runs} done", file=sys.stderr)

    fast = libs[0]
    names = [w[0] for w in work]
    for label, stat in (("Median", statistics.median), ("Best", min)):
        print(f"{label} of {a.runs} interleaved runs; time and peak RSS (ru_maxrss) as ratios against fast.\n")
        print("| library | " + " | ".join(f"{n} time | {n} RSS" for n in names) + " | geomean time | geomean RSS |")
        print("|---|" + "---|---|" * len(names) + "---|---|")
        for lib in libs:
            cells, tr, mr = [], [], []
            for n in names:
                t = stat(times[(lib, n)]) / stat(times[(fast, n)])
                m = statistics.median(rss[(lib, n)]) / statistics.median(rss[(fast, n)])
                tr.append(t)
                mr.append(m)
                cells.append(f"{t:.3f} | {m:.3f}")
            gt = math.exp(sum(map(math.log, tr)) / len(tr))
            gm = math.exp(sum(map(math.log, mr)) / len(mr))
            print(f"| {policy_of(lib)} | " + " | ".join(cells) + f" | {gt:.3f} | {gm:.3f} |")
        print(f"\nfast, absolute ({label.lower()}): " + ", ".join(
            f"{n} {stat(times[(fast, n)]):.3f} s / {statistics.median(rss[(fast, n)]):.1f} MiB" for n in names) + "\n")


if __name__ == "__main__":
    main()
