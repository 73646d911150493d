#!/usr/bin/env python3
"""A child subreaper for lingerwatch's tests (issue 21), as systemd --user, tini -s,
containerd-shim or a CI agent is one: marks itself PR_SET_CHILD_SUBREAPER, runs argv[1:]
as its child, and reaps every child, its own and the orphans it adopts, until none is
left; then exits. It never prints, so the child's stdout is the test's."""
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36

libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER): errno {ctypes.get_errno()}")
subprocess.Popen(sys.argv[1:])
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
