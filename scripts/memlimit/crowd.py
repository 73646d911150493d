"""A crowd of sleeping processes for scripts/memlimit.sh, spawned fast and owned by pid.

    crowd.py DIR FIRST END PIDFILE

Spawns sleepers FIRST..END-1 as symlinks to sleep in DIR (argv[0] names each: every
1000th `pytest-memlimit-<i>`, the rest `worker-<i>`), writes their pids to PIDFILE (one a
line, then a line `ready`) and stays their parent, so they are reaped. On SIGTERM/SIGINT,
or when the script that started it is gone, it kills exactly those pids and exits.

Not a bash loop as in scripts/bench.sh: bash keeps every background job in its job table
and slows down with each one (about 2,700 sleepers took a minute here), which at 20,000
would take longer than the measurements.
"""
import os
import signal
import sys
import time

directory, first, end, pidfile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
parent = os.getppid()
pids = []


def finish(*_):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    sys.exit(0)


signal.signal(signal.SIGTERM, finish)
signal.signal(signal.SIGINT, finish)
with open(pidfile, "w") as out:
    for i in range(first, end):
        name = f"pytest-memlimit-{i}" if i % 1000 == 0 else f"worker-{i}"
        path = os.path.join(directory, name)
        os.symlink("/bin/sleep", path)
        pid = os.posix_spawn(path, [path, "100000"], {})
        pids.append(pid)
        out.write(f"{pid}\n")
    out.write("ready\n")
while os.getppid() == parent:
    time.sleep(1)
finish()
