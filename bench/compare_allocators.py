#!/usr/bin/env python3
"""How shardguard compares with other allocators, and what each hardening layer
costs: every workload of bench/workloads (and bench/daemon_profile) run under
glibc, jemalloc, tcmalloc, Debian's mimalloc, Scudo, shardguard fast, balanced,
secure and each single layer on top of fast, all by LD_PRELOAD.

usage: compare_allocators.py BUILD_DIR [--threads N] [--reps N] [--quick] [--out DIR]

Runs are interleaved: in every repetition each workload runs once under every
allocator, in a fresh random order (a fixed seed, so the schedule repeats).
Time is the workload's own elapsed time (it excludes loading the program);
peak RSS is GNU time's %M of the program. Tables give medians, ratios against
shardguard fast and geometric means. Writes OUT/results.md, OUT/raw.tsv and
the PNG plots (gnuplot). Exits non-zero when a workload fails its
self-check, when shardguard itself is missing, or when the results written
are malformed. An allocator other than shardguard that is not installed is
skipped with a note.
"""
import argparse
import datetime
import glob
import json
import math
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time

import bench_report

LIBDIR = "/usr/lib/x86_64-linux-gnu"
LAYERS = ["guard_pages", "randomize", "encrypt_freelist", "double_free", "invalid_free", "canaries", "fill_check", "quarantine"]

# name, program (relative to BUILD/bench), full size, quick size, what it models.
# Full sizes take about a second each under shardguard fast on a 2-core machine.
WORKLOADS = [
    ("larson", "wl_larson", 1500000, 100000, "server simulation: threads replace blocks, pass their tables on"),
    ("xmalloc", "wl_xmalloc", 3000000, 200000, "producers allocate, consumers free: every free cross-thread"),
    ("cache-scratch", "wl_cache_scratch", 1500000, 100000, "passive false sharing"),
    ("cache-thrash", "wl_cache_thrash", 1500000, 100000, "active false sharing"),
    ("churn", "wl_churn", 8000000, 400000, "cfrac/espresso-like mixed-size churn, each thread its own"),
    ("tree", "wl_tree", 500000, 40000, "binary search tree with string names: build, walk, tear down"),
    ("realloc-grow", "wl_realloc_grow", 40, 3, "large buffers grown by realloc 64 KiB at a time to 8 MiB"),
    ("malloc-large", "wl_malloc_large", 2000, 150, "1-10 MiB blocks, 8 live at a time"),
    ("heap-requests", "wl_heap_requests", 12000, 800, "a first-class heap per request, destroyed at once"),
]
DAEMON = ("daemon", "daemon_profile", 8, 2, "busy/quiet server at steady live size: RSS over time (fixed duration)")


def find_allocators(build):
    """(name, library or '' for none, kind) for every allocator present; and notes on missing ones."""
    present, notes = [], []
    candidates = [
        ("glibc", "", "other"),
        ("jemalloc", os.path.join(LIBDIR, "libjemalloc.so.2"), "other"),
        ("tcmalloc", os.path.join(LIBDIR, "libtcmalloc_minimal.so.4"), "other"),
        ("mimalloc", os.path.join(LIBDIR, "libmimalloc.so.2"), "other"),
    ]
    scudo = sorted(glob.glob("/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.scudo_standalone-x86_64.so"))
    candidates.append(("scudo", scudo[-1] if scudo else "/usr/lib/llvm-*/.../libclang_rt.scudo_standalone-x86_64.so", "other"))
    for name, lib, kind in candidates:
        if lib and not os.path.exists(lib):
            notes.append(f"{name} skipped: {lib} is not installed")
        else:
            present.append((name, lib, kind))
    for policy in ["fast", "balanced", "secure"] + [f"only-{l}" for l in LAYERS]:
        lib = os.path.join(build, "libshardguard.so" if policy == "fast" else f"libshardguard-{policy}.so")
        label = policy if policy in ("fast", "balanced", "secure") else "+" + policy[len("only-"):]
        if os.path.exists(lib):
            present.append((label, lib, "shardguard" if not label.startswith("+") else "layer"))
        elif policy == "fast":
            sys.exit(f"compare_allocators: {lib} is missing: build shardguard first")
        else:
            notes.append(f"shardguard {label} skipped: {lib} was not built")
    return present, notes


GNU_TIME = "/usr/bin/time"


def measure(cmd, lib, timeout):
    """Runs cmd with lib preloaded; returns a record with wall time, peak RSS
    (MiB) and the output.

    The peak RSS comes from GNU time (%M), not from this process's wait4: a
    child's ru_maxrss starts at the RSS of the process that forked it (Linux
    keeps the high-water mark across exec), which would be Python's ~17 MiB
    for every small workload. GNU time is a small process, and the allocator
    is preloaded only into the program (through env), not into time."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    tag = f"/tmp/sg-bench-{os.getpid()}"
    preload = ["env", f"LD_PRELOAD={lib}"] if lib else ["env", "-u", "LD_PRELOAD"]
    full = [GNU_TIME, "-o", tag + ".rss", "-f", "%M"] + preload + cmd
    with open(tag + ".out", "wb") as out, open(tag + ".err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(full, env=env, stdout=out, stderr=err, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
            why = None if code == 0 else f"exit status {code}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            code, why = None, f"timed out after {timeout} s"
        wall = time.perf_counter() - start
    texts = {}
    for ext in ("out", "err", "rss"):
        try:
            with open(f"{tag}.{ext}", errors="replace") as f:
                texts[ext] = f.read()
            os.unlink(f"{tag}.{ext}")
        except FileNotFoundError:
            texts[ext] = ""
    # GNU time writes "Command exited with non-zero status N" before %M then.
    rss_lines = [l for l in texts["rss"].splitlines() if l.strip().isdigit()]
    rec = {"wall": wall, "rss_mib": int(rss_lines[-1]) / 1024.0 if rss_lines else None,
           "stdout": texts["out"], "stderr": texts["err"], "status": code, "ok": code == 0}
    if why:
        rec["why"] = why
    elif rec["rss_mib"] is None:
        rec["ok"], rec["why"] = False, "no peak RSS from GNU time"
    return rec


RESULT_RE = re.compile(r"^result (\S+) threads=(\d+) size=(\d+) elapsed_s=([0-9.]+) checks=(\d+) checksum=([0-9a-f]+)$", re.M)
SAMPLE_RE = re.compile(r"^sample ([0-9.]+) ([0-9.]+) ([0-9.]+)$", re.M)


def parse_workload(rec, name):
    m = RESULT_RE.search(rec["stdout"])
    if not m or m.group(1) != name:
        rec["ok"] = False
        rec["why"] = rec.get("why") or "no result line"
        return rec
    rec["time"] = float(m.group(4))
    rec["checks"] = int(m.group(5))
    rec["checksum"] = m.group(6)
    api = re.search(r"^heap_api=(\S+)$", rec["stdout"], re.M)
    if api:
        rec["heap_api"] = api.group(1)
    return rec


def parse_daemon(rec):
    samples = [(float(t), float(r), float(l)) for t, r, l in SAMPLE_RE.findall(rec["stdout"])]
    if not samples or "summary peak_rss_mib=" not in rec["stdout"]:
        rec["ok"] = False
        rec["why"] = rec.get("why") or "no samples or summary"
    rec["samples"] = samples
    rec["time"] = None  # a fixed duration: not a timing
    return rec


def run_micro(build, allocs, quick, reps):
    """The fast-path microbenchmarks (Google Benchmark) under mimalloc and the
    shardguard policies: ns per operation, medians over reps, interleaved."""
    prog = os.path.join(build, "bench", "fast_paths")
    if not os.path.exists(prog):
        return None, "bench/micro/fast_paths was not built (Google Benchmark missing)"
    chosen = [a for a in allocs if a[0] in ("glibc", "mimalloc", "fast", "balanced", "secure")]
    min_time = "0.01" if quick else "0.2"
    ns = {}
    order = random.Random(7)
    for _ in range(reps):
        for name, lib, _kind in order.sample(chosen, len(chosen)):
            rec = measure([prog, "--benchmark_format=json", f"--benchmark_min_time={min_time}"], lib, 300)
            if not rec["ok"]:
                return None, f"fast_paths failed under {name}: {rec.get('why')}\n{rec['stderr'][-2000:]}"
            data = json.loads(rec["stdout"])
            for b in data["benchmarks"]:
                per_item = 1e9 / b["items_per_second"] if b.get("items_per_second") else None
                ns.setdefault((name, b["name"]), []).append(per_item)
    names = []
    for (_a, bname) in ns:
        if bname not in names:
            names.append(bname)
    return {"allocators": [a[0] for a in chosen], "benchmarks": names,
            "ns": {k: statistics.median(v) for k, v in ns.items()}}, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="a build directory with libshardguard*.so and bench/")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, --quick 1)")
    ap.add_argument("--quick", action="store_true", help="small sizes, one repetition, fewer allocators")
    ap.add_argument("--out", default=None, help="result directory (default bench/results/<date>)")
    ap.add_argument("--command", default=None, help="the command line to record in results.md")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    reps = a.reps or (1 if a.quick else 3)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.abspath(a.out or os.path.join(repo, "bench", "results", datetime.date.today().isoformat()))
    os.makedirs(out, exist_ok=True)

    allocs, notes = find_allocators(build)
    if a.quick:
        # Every workload and every writer, with fewer allocators: one of each kind.
        keep = {"glibc", "mimalloc", "scudo", "fast", "secure", "+canaries"}
        notes.append("--quick: allocators limited to " + ", ".join(n for n, _, _ in allocs if n in keep))
        allocs = [x for x in allocs if x[0] in keep]

    bench_dir = os.path.join(build, "bench")
    work = [(n, os.path.join(bench_dir, p), q if a.quick else s, d) for n, p, s, q, d in WORKLOADS]
    daemon_secs = DAEMON[3] if a.quick else DAEMON[2]
    missing = [p for _, p, _, _ in work if not os.path.exists(p)]
    if not os.path.exists(os.path.join(bench_dir, DAEMON[1])):
        missing.append(os.path.join(bench_dir, DAEMON[1]))
    if missing:
        sys.exit("compare_allocators: programs not built: " + " ".join(missing))
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"compare_allocators: {GNU_TIME} (GNU time, Debian package time) is needed for the peak RSS")

    runs = []  # one dict per run: workload, allocator, rep, record
    failures = []
    order = random.Random(1)
    timeout = 120 if a.quick else 600
    t_start = time.time()
    for rep in range(reps):
        for name, prog, size, _ in work:
            for alloc, lib, _kind in order.sample(allocs, len(allocs)):
                rec = parse_workload(measure([prog, str(a.threads), str(size)], lib, timeout), name)
                runs.append({"workload": name, "alloc": alloc, "rep": rep, **rec})
                if not rec["ok"]:
                    failures.append(f"{name} under {alloc}: {rec.get('why')}: {rec['stderr'].strip()[-400:]}")
        for alloc, lib, _kind in order.sample(allocs, len(allocs)):
            cmd = [os.path.join(bench_dir, DAEMON[1]), str(daemon_secs), str(a.threads), "250"]
            rec = parse_daemon(measure(cmd, lib, daemon_secs * 4 + 60))
            runs.append({"workload": "daemon", "alloc": alloc, "rep": rep, **rec})
            if not rec["ok"]:
                failures.append(f"daemon under {alloc}: {rec.get('why')}: {rec['stderr'].strip()[-400:]}")
        print(f"compare_allocators: repetition {rep + 1}/{reps} done ({time.time() - t_start:.0f} s)", file=sys.stderr)

    micro, micro_note = run_micro(build, allocs, a.quick, reps)
    if micro_note:
        notes.append(micro_note)
        if "failed" in micro_note:
            failures.append(micro_note)

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": a.command or " ".join(sys.argv),
        "threads": a.threads, "reps": reps, "quick": a.quick,
        "host": f"{platform.node()}, {os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.2f}",
        "duration_s": time.time() - t_start,
        "workloads": [(n, s, d) for n, _, s, d in work] + [(DAEMON[0], daemon_secs, DAEMON[4])],
    }
    bench_report.write_all(out, meta, allocs, runs, notes, failures, micro)
    problems = bench_report.check_written(out, allocs, [n for n, _, _, _ in work] + ["daemon"])
    for p in problems:
        print(f"compare_allocators: MALFORMED: {p}", file=sys.stderr)
    for f in failures:
        print(f"compare_allocators: FAILED: {f}", file=sys.stderr)
    print(f"compare_allocators: results in {out}/results.md ({time.time() - t_start:.0f} s)", file=sys.stderr)
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
