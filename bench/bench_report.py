"""The written side of compare_allocators.py: results.md (medians, ratios
against shardguard fast, geometric means, the targets of issue 8), raw.tsv,
the gnuplot plots, and the check that what was written is well-formed."""
import math
import os
import statistics
import subprocess

BASELINE = "fast"
NA = "—"


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def fmt(v, digits=3):
    return NA if v is None else f"{v:.{digits}f}"


def group(runs, key):
    """{(workload, alloc): [values of key over the successful runs]}"""
    out = {}
    for r in runs:
        if r["ok"] and r.get(key) is not None:
            out.setdefault((r["workload"], r["alloc"]), []).append(r[key])
    return out


class Stats:
    def __init__(self, runs, workloads, allocs):
        self.workloads = workloads  # names, the daemon last
        self.timed = [w for w in workloads if w != "daemon"]
        self.allocs = allocs
        times, rss = group(runs, "time"), group(runs, "rss_mib")
        self.t_med = {k: statistics.median(v) for k, v in times.items()}
        self.t_best = {k: min(v) for k, v in times.items()}
        self.rss = {k: statistics.median(v) for k, v in rss.items()}

    def ratio(self, table, w, a):
        v, base = table.get((w, a)), table.get((w, BASELINE))
        return v / base if v is not None and base else None

    def geo(self, table, a, workloads):
        return geomean([self.ratio(table, w, a) for w in workloads])


def checksum_mismatches(runs):
    """Every allocator must compute the same checksum for a workload: the
    workloads are deterministic, so a difference is an allocator's bug."""
    seen, problems = {}, []
    for r in runs:
        if r["ok"] and r.get("checksum"):
            first = seen.setdefault(r["workload"], (r["alloc"], r["checksum"]))
            if first[1] != r["checksum"]:
                problems.append(f"{r['workload']}: checksum {r['checksum']} under {r['alloc']} "
                                f"but {first[1]} under {first[0]}")
    return problems


def ratio_table(st, table, allocs, workloads, geo_label):
    head = "| workload | " + " | ".join(allocs) + " |"
    lines = [head, "|---|" + "---:|" * len(allocs)]
    for w in workloads:
        lines.append(f"| {w} | " + " | ".join(fmt(st.ratio(table, w, a)) for a in allocs) + " |")
    lines.append(f"| **{geo_label}** | " + " | ".join(f"**{fmt(st.geo(table, a, workloads))}**" for a in allocs) + " |")
    return lines


def absolute_table(table, allocs, workloads, digits):
    lines = ["| workload | " + " | ".join(allocs) + " |", "|---|" + "---:|" * len(allocs)]
    for w in workloads:
        lines.append(f"| {w} | " + " | ".join(fmt(table.get((w, a)), digits) for a in allocs) + " |")
    return lines


def targets(st):
    """The targets of issue 8, checked against this run's medians."""
    names = set(st.allocs)
    out = []

    def line(ok, text):
        out.append(f"- {'met' if ok else 'MISSED'}: {text}")

    if "mimalloc" in names:
        g = 1 / st.geo(st.t_med, "mimalloc", st.timed)
        worst = max(st.timed, key=lambda w: 1 / st.ratio(st.t_med, w, "mimalloc"))
        wv = 1 / st.ratio(st.t_med, worst, "mimalloc")
        line(g <= 1.0, f"fast/mimalloc time, geomean {g:.3f} (target ≤ 1.00)")
        line(wv <= 1.10, f"fast/mimalloc time, worst workload {worst} {wv:.3f} (target ≤ 1.10)")
        gr = 1 / st.geo(st.rss, "mimalloc", st.workloads)
        over = [f"{w} {1 / st.ratio(st.rss, w, 'mimalloc'):.3f}" for w in st.workloads
                if st.ratio(st.rss, w, "mimalloc") and 1 / st.ratio(st.rss, w, "mimalloc") > 1.0]
        line(gr <= 1.0, f"fast/mimalloc peak RSS, geomean {gr:.3f} (target ≤ 1.00)"
             + (f"; above mimalloc on: {', '.join(over)}" if over else "; at or below mimalloc on every workload"))
    if "secure" in names:
        g = st.geo(st.t_med, "secure", st.timed)
        line(g <= 1.15, f"secure/fast time, geomean {g:.3f} (target ≤ 1.15)")
    if "secure" in names and "scudo" in names:
        slower = [f"{w} ({st.t_med[(w, 'secure')]:.3f} s vs {st.t_med[(w, 'scudo')]:.3f} s)" for w in st.timed
                  if (w, "secure") in st.t_med and (w, "scudo") in st.t_med and st.t_med[(w, "secure")] >= st.t_med[(w, "scudo")]]
        line(not slower, "secure faster than Scudo on every workload"
             + (f"; not on: {', '.join(slower)}" if slower else ""))
    return out


def micro_lines(micro):
    if not micro:
        return []
    allocs = micro["allocators"]
    lines = ["## Fast-path microbenchmarks (bench/micro/fast_paths, Google Benchmark)", "",
             "Nanoseconds per operation (median over the repetitions); in brackets the ratio against fast.", "",
             "| benchmark | " + " | ".join(allocs) + " |", "|---|" + "---:|" * len(allocs)]
    for b in micro["benchmarks"]:
        base = micro["ns"].get((BASELINE, b))
        cells = []
        for a in allocs:
            v = micro["ns"].get((a, b))
            cells.append(NA if v is None else f"{v:.1f}" + (f" ({v / base:.2f})" if base else ""))
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    return lines + [""]


def write_md(out, meta, st, allocs, runs, notes, failures, micro):
    main = [a for a, _, k in allocs if k != "layer"]
    layers = [BASELINE] + [a for a, _, k in allocs if k == "layer"]
    fallback = sorted({r["alloc"] for r in runs if r.get("heap_api") == "fallback"})
    first_class = sorted({r["alloc"] for r in runs if r.get("heap_api") == "first-class"})
    L = [f"# Allocator comparison, {meta['date']}", "",
         f"Command: `{meta['command']}`", "",
         f"{meta['threads']} threads, {meta['reps']} repetition(s){' (--quick)' if meta['quick'] else ''}, "
         f"runs interleaved in a shuffled order every repetition; {meta['host']}; "
         f"{meta['duration_s']:.0f} s in all. Time is the workload's own elapsed time, peak RSS is GNU time's %M "
         "(maximum resident set) of the program; medians. Ratios are against shardguard fast (below 1: better than fast).", "",
         "## Workloads (`bench/workloads/`, `wl_NAME THREADS SIZE`; the daemon is `bench/daemon_profile SECONDS THREADS`)", "",
         "| workload | size | what it models |", "|---|---:|---|"]
    L += [f"| {n} | {s} | {d} |" for n, s, d in meta["workloads"]]
    L += ["", "## Targets", ""] + targets(st) + [""]
    L += ["## Time, ratio against shardguard fast (median)", ""]
    L += ratio_table(st, st.t_med, main, st.timed, "geomean") + [""]
    L += ["## Peak RSS, ratio against shardguard fast (median)", ""]
    L += ratio_table(st, st.rss, main, st.workloads, "geomean") + [""]
    L += ["![time ratios](time_ratio.png)", "", "![peak RSS ratios](rss_ratio.png)", "",
          "![daemon RSS over time](daemon_rss.png)", ""]
    L += ["## Cost of each hardening layer alone on top of fast: time ratio (median)", ""]
    L += ratio_table(st, st.t_med, layers, st.timed, "geomean") + [""]
    L += ["## Cost of each hardening layer: peak RSS ratio (median)", ""]
    L += ratio_table(st, st.rss, layers, st.workloads, "geomean") + [""]
    L += ["![layer time ratios](layer_time_ratio.png)", ""]
    L += [f"## Time, ratio against shardguard fast (best of {meta['reps']})", ""]
    L += ratio_table(st, st.t_best, [a for a, _, _ in allocs], st.timed, "geomean") + [""]
    L += ["## Absolute medians: time (s)", ""]
    L += absolute_table(st.t_med, [a for a, _, _ in allocs], st.timed, 3) + [""]
    L += ["## Absolute medians: peak RSS (MiB)", ""]
    L += absolute_table(st.rss, [a for a, _, _ in allocs], st.workloads, 1) + [""]
    L += micro_lines(micro)
    L += ["## Notes", "",
          f"- heap-requests used first-class heaps (mi_heap_new/mi_heap_malloc/mi_heap_destroy found by dlsym) "
          f"under: {', '.join(first_class) or 'none'}; the malloc/free fallback (each object freed by itself) "
          f"under: {', '.join(fallback) or 'none'}.",
          "- The daemon runs for a fixed time: it has an RSS column, not a time column.",
          "- Every workload checks its blocks before freeing them and every allocator must produce the "
          "same checksum for a workload; a run that fails either is reported below and left out of the medians."]
    L += [f"- {n}" for n in notes]
    if failures:
        L += ["", "## FAILURES", ""] + [f"- {f}" for f in failures]
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def write_tsv(out, runs):
    cols = ["workload", "alloc", "rep", "ok", "time", "wall", "rss_mib", "checks", "checksum", "heap_api"]
    with open(os.path.join(out, "raw.tsv"), "w") as f:
        f.write("\t".join(cols) + "\n")
        for r in runs:
            f.write("\t".join(str(r.get(c, "")) for c in cols) + "\n")


def write_histogram(out, stem, st, table, allocs, workloads, title, ylabel):
    dat = os.path.join(out, stem + ".dat")
    lowest = 1.0
    with open(dat, "w") as f:
        f.write("workload " + " ".join(f'"{a}"' for a in allocs) + "\n")
        for w in workloads + ["geomean"]:
            vals = [st.geo(table, a, workloads) if w == "geomean" else st.ratio(table, w, a) for a in allocs]
            lowest = min([lowest] + [v for v in vals if v])
            f.write(f'"{w}" ' + " ".join("NaN" if v is None else f"{v:.4f}" for v in vals) + "\n")
    # A log scale from a power of two below the smallest ratio: every bar shows.
    floor = 2.0 ** math.floor(math.log2(lowest) - 0.5)
    script = f"""set terminal pngcairo size 1400,620 font "sans,10"
set output '{stem}.png'
set title "{title}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
set yrange [{floor}:*]
set ylabel "{ylabel}"
set xtics rotate by -25 nomirror
set grid ytics
set key outside right top
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
plot for [i=2:{len(allocs) + 1}] '{stem}.dat' using i:xtic(1) title columnheader(i)
"""
    return run_gnuplot(out, stem, script)


def write_daemon_plot(out, runs, allocs):
    """RSS over time of the last successful daemon run of each allocator."""
    last = {}
    for r in runs:
        if r["workload"] == "daemon" and r["ok"] and r.get("samples"):
            last[r["alloc"]] = r["samples"]
    names = [a for a, _, k in allocs if k != "layer" and a in last]
    dat = os.path.join(out, "daemon_rss.dat")
    with open(dat, "w") as f:
        for a in names:
            f.write(f'"{a}"\n')
            for t, rss, _live in last[a]:
                f.write(f"{t:.2f} {rss:.1f}\n")
            f.write("\n\n")
    script = f"""set terminal pngcairo size 1100,560 font "sans,10"
set output 'daemon_rss.png'
set title "daemon profile: resident set over time (busy and quiet phases)"
set xlabel "seconds"
set ylabel "RSS (MiB)"
set grid
set key outside right top
plot for [i=0:{max(len(names) - 1, 0)}] 'daemon_rss.dat' index i using 1:2 with lines lw 2 title columnheader(1)
"""
    return run_gnuplot(out, "daemon_rss", script)


def run_gnuplot(out, stem, script):
    gp = os.path.join(out, stem + ".gp")
    with open(gp, "w") as f:
        f.write(script)
    try:
        # Run in `out` with relative names, so the scripts kept there work anywhere.
        p = subprocess.run(["gnuplot", os.path.basename(gp)], cwd=out, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return f"gnuplot is not installed: {stem}.png not drawn"
    if p.returncode != 0:
        return f"gnuplot failed on {stem}.gp: {p.stderr.strip()[-300:]}"
    return None


def write_all(out, meta, allocs, runs, notes, failures, micro):
    failures += checksum_mismatches(runs)
    workloads = [n for n, _, _ in meta["workloads"]]
    st = Stats(runs, workloads, [a for a, _, _ in allocs])
    main = [a for a, _, k in allocs if k != "layer"]
    layers = [BASELINE] + [a for a, _, k in allocs if k == "layer"]
    for problem in (
        write_histogram(out, "time_ratio", st, st.t_med, main, st.timed,
                        "time against shardguard fast (median; lower is better)", "time / fast"),
        write_histogram(out, "rss_ratio", st, st.rss, main, st.workloads,
                        "peak RSS against shardguard fast (median; lower is better)", "peak RSS / fast"),
        write_histogram(out, "layer_time_ratio", st, st.t_med, layers, st.timed,
                        "each hardening layer alone on top of fast: time (median)", "time / fast"),
        write_daemon_plot(out, runs, allocs),
    ):
        if problem:
            failures.append(problem)
    write_tsv(out, runs)
    write_md(out, meta, st, allocs, runs, notes, failures, micro)


def check_written(out, allocs, workloads):
    """What `scripts/shardguard test` relies on: results.md has every table
    with a row per workload, a number in every ratio cell of fast's own
    column, consistent column counts; every PNG is a PNG."""
    problems = []
    md = os.path.join(out, "results.md")
    if not os.path.exists(md):
        return [f"{md} was not written"]
    with open(md) as f:
        text = f.read()
    tables, cur = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            tables.append(cur)
            cur = []
    if cur:
        tables.append(cur)
    if len(tables) < 9:
        problems.append(f"results.md has {len(tables)} tables, expected at least 9")
    for t in tables:
        width = t[0].count("|")
        for row in t:
            if row.count("|") != width:
                problems.append(f"results.md: row with {row.count('|') - 1} cells under a header of {width - 1}: {row[:80]}")
    for t in tables:
        header = [c.strip() for c in t[0].strip("|").split("|")]
        if header[0] != "workload" or BASELINE not in header:
            continue
        col = header.index(BASELINE)
        rows = {r.strip("|").split("|")[0].strip(): r.strip("|").split("|") for r in t[2:]}
        for w in workloads:
            if w == "daemon" and "daemon" not in rows:
                continue  # time tables have no daemon row
            if w not in rows:
                problems.append(f"results.md: a table has no row for {w}: {t[0][:80]}")
                continue
            try:
                float(rows[w][col].strip().strip("*"))
            except ValueError:
                problems.append(f"results.md: no number for {w} under fast: {rows[w][col]!r}")
    for png in ("time_ratio.png", "rss_ratio.png", "layer_time_ratio.png", "daemon_rss.png"):
        p = os.path.join(out, png)
        if not os.path.exists(p):
            problems.append(f"{png} missing")
            continue
        with open(p, "rb") as f:
            head = f.read(8)
        if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(p) < 2000:
            problems.append(f"{png} is not a plausible PNG")
    if "## FAILURES" in text:
        problems.append("results.md lists failures")
    return problems
