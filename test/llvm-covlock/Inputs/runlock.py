"""Drive concurrent `llvm-covlock run`s for the run-lock tests.

  runlock.py hold READY GO     create READY, then wait until GO exists
  runlock.py race DIR          a second run while a first holds DIR
  runlock.py kill-owner DIR    SIGKILL the owner, then run again at once
  runlock.py signals DIR       SIGINT is ignored, SIGTERM reaches the command

Everything waits with a deadline, so a broken tool fails the test instead of
hanging it. llvm-covlock comes from PATH.
"""

import os
import signal
import socket
import subprocess
import sys
import time

DEADLINE = 60


def wait_for(path):
    end = time.time() + DEADLINE
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("timed out waiting for %s" % path)
        time.sleep(0.01)


def touch(path):
    with open(path, "w"):
        pass


def start_owner(d, capture=True):
    """A run on d whose command holds until told to stop."""
    ready, go = d + ".ready", d + ".go"
    for p in (ready, go):
        if os.path.exists(p):
            os.unlink(p)
    cmd = ["llvm-covlock", "run", "--dir", d, "--",
           sys.executable, os.path.abspath(__file__), "hold", ready, go]
    owner = subprocess.Popen(cmd, stderr=subprocess.PIPE if capture else None,
                             text=True)
    wait_for(ready)
    print("owner pid %d host %s" % (owner.pid, socket.gethostname()))
    return owner, go


def second_run(d):
    start = time.time()
    r = subprocess.run(["llvm-covlock", "run", "--dir", d, "--", "true"],
                       stderr=subprocess.PIPE, text=True, timeout=DEADLINE)
    print("second status %d" % r.returncode)
    print("second stderr: %s" % r.stderr.strip())
    # "At once": no waiting for the lock, even on a loaded machine.
    print("second fast: %s" % (time.time() - start < 5))


def main():
    mode = sys.argv[1]
    if mode == "hold":
        touch(sys.argv[2])
        wait_for(sys.argv[3])
        return
    d = sys.argv[2]
    if mode == "race":
        owner, go = start_owner(d)
        second_run(d)
        touch(go)
        _, err = owner.communicate(timeout=DEADLINE)
        print("owner status %d" % owner.returncode)
        print("owner stderr: %s" % err.strip())
    elif mode == "kill-owner":
        # The orphaned command keeps stderr open: do not wait for its end.
        owner, go = start_owner(d, capture=False)
        owner.kill()
        owner.wait(timeout=DEADLINE)
        print("owner status %d" % owner.returncode)
        # The owner's command lives on, orphaned; it holds no lock.
        second_run(d)
        touch(go)
    elif mode == "signals":
        owner, go = start_owner(d)
        owner.send_signal(signal.SIGINT)
        time.sleep(0.3)
        print("alive after SIGINT: %s" % (owner.poll() is None))
        owner.send_signal(signal.SIGTERM)
        _, err = owner.communicate(timeout=DEADLINE)
        # The command died of SIGTERM, and so did the wrapper.
        print("owner status %d" % owner.returncode)
        print("owner stderr: %s" % err.strip())
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
