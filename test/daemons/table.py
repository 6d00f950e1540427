"""Prints the table of test/daemons/daemons.sh from its results.tsv.

Per workload and allocator: the median throughput and the median peak RSS
(VmHWM) over the rounds that passed, and both as ratios against glibc and
against mimalloc when those columns were measured in the same run.
Throughput ratio above 1: faster than the reference; RSS ratio below 1:
less memory than the reference.
"""
import csv
import statistics
import sys

NOTES = {
    "redis": "Debian's redis-server links libjemalloc.so.2 and calls the plain malloc/free/realloc/"
    "malloc_usable_size names: without a preload ('glibc' column) it runs on jemalloc; with one, its "
    "allocations go to the preloaded library (mallctl/nallocx are still answered by jemalloc).",
}


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    workloads, allocators = [], []
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
        if r["allocator"] not in allocators:
            allocators.append(r["allocator"])
    cells = {}
    for w in workloads:
        for a in allocators:
            mine = [r for r in rows if r["workload"] == w and r["allocator"] == a]
            ok = [r for r in mine if r["status"] == "ok"]
            cells[w, a] = {
                "rate": statistics.median(float(r["rate"]) for r in ok) if ok else None,
                "hwm": statistics.median(float(r["hwm_kib"]) for r in ok if r["hwm_kib"]) if ok else None,
                "unit": ok[0]["unit"] if ok else "",
                "runs": len(ok),
                "failed": len(mine) - len(ok),
            }
    refs = [a for a in ("glibc", "mimalloc") if a in allocators]

    def ratio(w, a, ref, key):
        x, y = cells[w, a][key], cells[w, ref][key]
        return f"{x / y:.2f}" if x is not None and y else "-"

    header = ["workload", "allocator", "throughput", "unit", "VmHWM MiB", "runs"]
    for ref in refs:
        header += [f"tput/{ref}", f"RSS/{ref}"]
    table = [header]
    for w in workloads:
        for a in allocators:
            c = cells[w, a]
            rate = "FAILED" if c["rate"] is None else (f"{c['rate']:.0f}" if c["rate"] >= 100 else f"{c['rate']:.3f}")
            hwm = "-" if c["hwm"] is None else f"{c['hwm'] / 1024:.1f}"
            runs = f"{c['runs']}" + (f" ({c['failed']} failed)" if c["failed"] else "")
            line = [w, a, rate, c["unit"], hwm, runs]
            for ref in refs:
                line += [ratio(w, a, ref, "rate"), ratio(w, a, ref, "hwm")]
            table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print()
    last = None
    for i, r in enumerate(table):
        if i > 1 and r[0] != last:
            print()
        print("  ".join(c.ljust(widths[j]) if j < 2 or j == 3 else c.rjust(widths[j]) for j, c in enumerate(r)))
        if i == 0:
            print("  ".join("-" * x for x in widths))
        last = r[0]
    print()
    print("throughput: redis/nginx/memcached requests/s (redis: all requests over the time of all tests),")
    print("python: rounds of alloc_heavy.py per second, gxx: compiles per second. Medians over the rounds.")
    print("tput/X above 1: faster than X. RSS/X below 1: less peak memory than X (nginx: master + workers).")
    for w in workloads:
        if w in NOTES:
            print(f"{w}: {NOTES[w]}")


if __name__ == "__main__":
    main(sys.argv[1])
