# An allocation-heavy Python workload for the daemon tests: dicts, lists,
# strings, JSON and threads, each result checked. Runs rounds until
# SECONDS (argv[1], default 2) have passed and prints "rounds_per_s=R".
# With EXPECT_LIB set, first checks that a library of that name is mapped
# into this process (that the preload really took effect).
import collections
import json
import os
import sys
import threading
import time

expect = os.environ.get("EXPECT_LIB")
if expect:
    with open("/proc/self/maps") as f:
        if expect not in f.read():
            sys.exit(f"FAIL: {expect} is not mapped into python3 (pid {os.getpid()})")


def one_round(seed):
    d = {f"k{i}-{seed}": [i, str(i) * 3] for i in range(30000)}
    for i in range(0, 30000, 2):
        del d[f"k{i}-{seed}"]
    assert len(d) == 15000 and all(v[1] == str(v[0]) * 3 for v in d.values())
    xs = [(i * 7919 + seed) % 100003 for i in range(50000)]
    assert sorted(xs) == sorted(xs, reverse=True)[::-1]
    parts = ["%d-%s" % (i, "x" * (i % 200)) for i in range(10000)]
    assert "|".join(parts).split("|") == parts
    obj = {"k%d" % i: {"l": list(range(i % 40)), "s": "v" * (i % 90)} for i in range(3000)}
    assert json.loads(json.dumps(obj)) == obj
    c = collections.Counter("".join(parts))
    assert c["x"] == sum(i % 200 for i in range(10000))


def threaded(seed):
    out = [None] * 4

    def work(t):
        local = {}
        for i in range(20000):
            local[(t, i)] = [i] * (i % 10)
            if i % 3 == 0:
                local.pop((t, i - 3), None)
        out[t] = sum(len(v) for v in local.values())

    ths = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert len(set(out)) == 1 and out[0] > 0, out


seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
start = time.monotonic()
rounds = 0
while rounds == 0 or time.monotonic() - start < seconds:
    one_round(rounds)
    threaded(rounds)
    rounds += 1
print("rounds_per_s=%.3f" % (rounds / (time.monotonic() - start)))
