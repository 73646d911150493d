"""Whole-process timing, interleaved: every round runs each peer once (in a rotating
order), as a fresh process, and takes its wall clock (spawn to exit), its exact on-CPU
time (`/proc/<pid>/schedstat`, read while it is a zombie, before it is reaped: every peer
is one thread) and its user and system CPU (wait4; tick-sampled, so coarse for a process
of a few milliseconds). Wall clock includes waiting for a CPU, so on a loaded machine the
CPU time is the steadier figure. Prints one line per peer and writes the per-round
samples as JSON for the marginal cost across crowd sizes.

Usage: whole.py ROUNDS OUT.json LABEL=CMD... (CMD split on spaces)
"""
import json
import os
import statistics
import subprocess
import sys
import time

rounds, out = int(sys.argv[1]), sys.argv[2]
peers = [(a.split("=", 1)[0], a.split("=", 1)[1].split()) for a in sys.argv[3:]]
samples = {label: [] for label, _ in peers}
for r in range(rounds):
    for i in range(len(peers)):
        label, cmd = peers[(i + r) % len(peers)]
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
        wall = time.perf_counter() - t
        with open(f"/proc/{p.pid}/schedstat") as f:
            cpu = int(f.read().split()[0]) / 1e9
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        samples[label].append((wall, ru.ru_utime, ru.ru_stime, cpu))
floor = peers[0][0]
print(f"{'peer':<30} {'wall ms':>8} {'x floor':>8} {'cpu ms':>8} {'x floor':>8} {'user ms':>8} {'sys ms':>8}")
for label, _ in peers:
    s = samples[label]
    ratio = lambda k: statistics.median(a[k] / b[k] for a, b in zip(s, samples[floor]))
    med = lambda k: statistics.median(x[k] for x in s) * 1e3
    print(f"{label:<30} {med(0):8.2f} {ratio(0):8.3f} {med(3):8.2f} {ratio(3):8.3f} {med(1):8.2f} {med(2):8.2f}")
json.dump(samples, open(out, "w"))
