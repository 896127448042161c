"""Write boot markers of this host into a coverage directory, then become
`llvm-covlock status DIR [ARGS...]` (same pid, so its marker is alive).

  live/     this process: running
  dead/     a process that has exited: lost
  reused/   this pid, but an image that started long before this process
            did (the pid was reused): lost
"""

import json
import os
import socket
import subprocess
import sys
import time


def marker(d, key, pid, start):
    os.makedirs(os.path.join(d, key), exist_ok=True)
    host = socket.gethostname()
    with open(os.path.join(d, key, "%s.%d.boot" % (host, pid)), "w") as f:
        json.dump({"version": 1, "run": os.environ.get("COVLOCK_RUN"),
                   "label": None, "test": key, "host": host, "pid": pid,
                   "ppid": os.getppid(), "exe": sys.executable,
                   "start": start}, f)


d = sys.argv[1]
marker(d, "live", os.getpid(), time.time_ns())
dead = subprocess.Popen(["true"])
dead.wait()
marker(d, "dead", dead.pid, time.time_ns())
marker(d, "reused", os.getpid(), 1)
sys.stdout.flush()
os.execvp("llvm-covlock", ["llvm-covlock", "status", d] + sys.argv[2:])
