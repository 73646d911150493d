"""Whole-process timing, interleaved: every round runs each peer once, as a fresh process,
in an order shuffled afresh each round (seeded, so a run can be repeated), and takes its
CPU time (user + system from wait4's rusage: the kernel's exact on-CPU total, split
between user and system by tick sampling, so only the sum is quoted) and its wall clock
(spawn to exit, which on a loaded machine includes waiting for a CPU).

Why the order is shuffled, not rotated: a rotation keeps the cycle, so each peer always
runs the same distance after the floor (and after the same neighbour), and anything that
drifts within a round (the machine's speed, the number of pids) becomes a bias per peer
instead of noise around the median.

Guards, so a figure is either comparable or refused:
- WARMUP rounds first, not counted (a fresh crowd's /proc entries, the binaries' pages).
- The pids in /proc are counted before and after each round; a round during which the
  count moved by more than 0.5% (another bench's crowd coming or going, a build's
  processes) is run again, and the number of such rounds is printed; the run stops when
  that keeps happening, or when the counted rounds saw pid counts more than 2% apart.
- A peer exiting with anything but 0 or 1 (1 is `lingerwatch scan`'s "something is over
  the threshold") stops the run: a scan that failed early would look fast.

Prints one line per peer (median CPU, median of per-round ratios to the first peer, their
minimum, quartiles and maximum; the same for wall clock) and writes the per-round samples
as JSON for the marginal cost across crowd sizes.

Usage: whole.py ROUNDS WARMUP OUT.json LABEL=CMD... (CMD split on spaces; the first peer
is the floor). BENCH_SEED sets the shuffle's seed (default 23).
"""
import json
import os
import random
import statistics
import subprocess
import sys
import time

rounds, warmup, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
peers = [(a.split("=", 1)[0], a.split("=", 1)[1].split()) for a in sys.argv[4:]]
rng = random.Random(int(os.environ.get("BENCH_SEED", "23")))


def count_pids():
    return sum(1 for name in os.listdir("/proc") if name.isdigit())


def run(label, cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"whole.py: {label} ({' '.join(cmd)}) exited with {code}; not timing a failed run")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime}


samples = {label: [] for label, _ in peers}
pid_counts = []
redone = 0
counted = -warmup
while counted < rounds:
    order = list(range(len(peers)))
    rng.shuffle(order)
    before = count_pids()
    got = {peers[i][0]: run(*peers[i]) for i in order}
    after = count_pids()
    if abs(after - before) > max(2, before // 200):
        redone += 1
        if redone > 2 * rounds + 10:
            sys.exit(f"whole.py: the number of pids kept moving ({redone} rounds redone); "
                     "something else is starting or ending processes, figures would not compare")
        continue
    if counted >= 0:
        for label, s in got.items():
            samples[label].append(s)
        pid_counts.append(before)
    counted += 1

if max(pid_counts) - min(pid_counts) > max(20, min(pid_counts) // 50):
    sys.exit(f"whole.py: the rounds saw {min(pid_counts)}..{max(pid_counts)} pids; something else "
             "started or ended many processes between rounds, figures would not compare")
floor = peers[0][0]


def ratios(label, key):
    return sorted(a[key] / b[key] for a, b in zip(samples[label], samples[floor]))


def spread(v):
    q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return statistics.median(v), v[0], q[0], q[2], v[-1]


print(f"{rounds} rounds counted (shuffled order, {warmup} warm-up, {redone} redone because "
      f"the pid count moved), {min(pid_counts)}..{max(pid_counts)} pids")
print(f"{'peer':<30} {'cpu ms':>8} {'x floor':>8} {'min':>6} {'q1':>6} {'q3':>6} {'max':>6}"
      f" {'wall ms':>8} {'x floor':>8}")
for label, _ in peers:
    s = samples[label]
    cpu = statistics.median(x["cpu"] for x in s) * 1e3
    wall = statistics.median(x["wall"] for x in s) * 1e3
    r, lo, q1, q3, hi = spread(ratios(label, "cpu"))
    print(f"{label:<30} {cpu:8.2f} {r:8.3f} {lo:6.3f} {q1:6.3f} {q3:6.3f} {hi:6.3f}"
          f" {wall:8.2f} {statistics.median(ratios(label, 'wall')):8.3f}")
with open(out, "w") as f:
    json.dump({"pids": statistics.median(pid_counts), "samples": samples}, f)
