"""The marginal cost of one more host process, from whole.py's samples at two crowd
sizes: per peer, (median at the large crowd - median at the small one) / extra pids, of the
CPU time (the figure the budget is judged on) and of the wall clock, against the first
peer (the floor); and the per-round paired ratio (round k at both sizes: the peer's
difference over the floor's), its median with minimum and maximum. The pid counts are the
ones whole.py counted during the rounds.

Usage: marginal.py SMALL.json LARGE.json
"""
import json
import statistics
import sys

with open(sys.argv[1]) as f:
    small = json.load(f)
with open(sys.argv[2]) as f:
    large = json.load(f)
p0, p1 = small["pids"], large["pids"]
small, large = small["samples"], large["samples"]
dp = max(p1 - p0, 1)
floor = next(iter(large))


def per_pid(label, key):
    med = lambda s: statistics.median(x[key] for x in s[label])
    return (med(large) - med(small)) * 1e6 / dp


def paired(label):
    r = sorted(
        (a1["cpu"] - a0["cpu"]) / (f1["cpu"] - f0["cpu"])
        for a0, a1, f0, f1 in zip(small[label], large[label], small[floor], large[floor])
        if f1["cpu"] > f0["cpu"]
    )
    return (statistics.median(r), r[0], r[-1]) if r else (float("nan"),) * 3


print(f"marginal cost per extra pid ({p0:.0f} -> {p1:.0f} pids), whole process:")
print(f"{'peer':<30} {'cpu us':>8} {'x floor':>8} {'paired':>8} {'min':>6} {'max':>6}"
      f" {'wall us':>8} {'x floor':>8}")
for label in large:
    cpu, wall = per_pid(label, "cpu"), per_pid(label, "wall")
    med, lo, hi = paired(label)
    print(f"{label:<30} {cpu:8.2f} {cpu / per_pid(floor, 'cpu'):8.3f} {med:8.3f} {lo:6.3f}"
          f" {hi:6.3f} {wall:8.2f} {wall / per_pid(floor, 'wall'):8.3f}")
