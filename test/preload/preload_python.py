# Runs under LD_PRELOAD=libshardguard.so: a dict/list/string heavy workload that
# checks its own results. Exits non-zero on any failure, prints OK otherwise.
import collections
import ctypes
import json
import random
import sys
import threading

libc = ctypes.CDLL(None)
try:
    usable = libc.mi_usable_size
except AttributeError:
    print("FAIL: mi_usable_size is not in the process: shardguard is not preloaded")
    sys.exit(1)
usable.restype = ctypes.c_size_t
usable.argtypes = [ctypes.c_void_p]
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
p = libc.malloc(100)
assert p and usable(p) >= 100, "malloc(100) is not a shardguard block"
libc.free(p)

random.seed(12345)

# dicts
d = {str(i): [i, str(i) * 3] for i in range(200000)}
assert len(d) == 200000
assert sum(v[0] for v in d.values()) == 200000 * 199999 // 2
for i in range(0, 200000, 2):
    del d[str(i)]
assert len(d) == 100000 and all(int(k) % 2 == 1 for k in d)
assert all(v[1] == k * 3 for k, v in d.items())

# lists and sorting
xs = [random.randint(0, 10**9) for _ in range(300000)]
ys = sorted(xs)
assert all(ys[i] <= ys[i + 1] for i in range(len(ys) - 1))
assert collections.Counter(xs) == collections.Counter(ys)

# strings
s = "".join(chr(97 + i % 26) for i in range(10**6))
c = collections.Counter(s)
assert all(c[chr(97 + k)] in (38461, 38462) for k in range(26))
words = s[:200000].split("z")
assert "z".join(words) == s[:200000]
parts = [("%d-%s" % (i, "x" * (i % 300))) for i in range(50000)]
joined = "|".join(parts)
assert joined.split("|") == parts

# json round trip of nested structures
obj = {"k%d" % i: {"list": list(range(i % 50)), "s": "v" * (i % 100)} for i in range(20000)}
assert json.loads(json.dumps(obj)) == obj

# threads building and dropping objects
results = [None] * 4
def work(t):
    local = {}
    for i in range(100000):
        local[(t, i)] = [i] * (i % 10)
        if i % 3 == 0:
            local.pop((t, i - 3), None)
    results[t] = sum(len(v) for v in local.values())
threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for th in threads:
    th.start()
for th in threads:
    th.join()
assert len(set(results)) == 1 and results[0] > 0, results

print("OK")
