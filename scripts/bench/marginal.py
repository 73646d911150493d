"""The marginal cost of one more host process, from whole.py's samples at two crowd
sizes: per peer, (median wall at the large crowd - median at the small one) / extra pids,
and against the first peer (the floor), also as the median over rounds paired by index.

Usage: marginal.py SMALL.json SMALL_PIDS LARGE.json LARGE_PIDS
"""
import json
import statistics
import sys

small, p0, large, p1 = json.load(open(sys.argv[1])), int(sys.argv[2]), json.load(open(sys.argv[3])), int(sys.argv[4])
dp = max(p1 - p0, 1)
floor = next(iter(large))
def per_pid(label, k=0):
    return (statistics.median(x[k] for x in large[label]) - statistics.median(x[k] for x in small[label])) * 1e6 / dp
def paired(label):
    r = []
    for a0, a1, f0, f1 in zip(small[label], large[label], small[floor], large[floor]):
        if f1[0] > f0[0]:
            r.append((a1[0] - a0[0]) / (f1[0] - f0[0]))
    return statistics.median(r) if r else float("nan")
print(f"marginal cost per extra pid ({p0} -> {p1} pids), whole process:")
print(f"{'peer':<28} {'us/pid':>8} {'user us':>8} {'sys us':>8} {'x floor':>8} {'paired':>8}")
for label in large:
    print(f"{label:<28} {per_pid(label):8.2f} {per_pid(label, 1):8.2f} {per_pid(label, 2):8.2f} "
          f"{per_pid(label) / per_pid(floor):8.3f} {paired(label):8.3f}")
