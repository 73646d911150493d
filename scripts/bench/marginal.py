"""The marginal cost of one more host process, from whole.py's samples at two crowd
sizes: per peer, (median at the large crowd - median at the small one) / extra pids, of
the wall clock and of the on-CPU time, against the first peer (the floor); and the median
over rounds paired by index of the CPU-time ratio.

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
def paired(label, k=3):
    r = []
    for a0, a1, f0, f1 in zip(small[label], large[label], small[floor], large[floor]):
        if f1[k] > f0[k]:
            r.append((a1[k] - a0[k]) / (f1[k] - f0[k]))
    return statistics.median(r) if r else float("nan")
print(f"marginal cost per extra pid ({p0} -> {p1} pids), whole process:")
print(f"{'peer':<30} {'wall us':>8} {'x floor':>8} {'cpu us':>8} {'x floor':>8} {'paired':>8}")
for label in large:
    print(f"{label:<30} {per_pid(label):8.2f} {per_pid(label) / per_pid(floor):8.3f} "
          f"{per_pid(label, 3):8.2f} {per_pid(label, 3) / per_pid(floor, 3):8.3f} {paired(label):8.3f}")
