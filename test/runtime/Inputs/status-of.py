# Prints the counts `llvm-covlock status --json` (on stdin) gives the test
# whose exact id is the hex argument ("-" for outside any test), and the
# totals, so that a test can check exact values whatever the id's bytes.
import json
import sys

status = json.load(sys.stdin)
want = sys.argv[1]
fields = ("processes", "flushed", "failed", "lost", "running")
def counts(o):
    return " ".join("%s=%d" % (f, o[f]) for f in fields)
print("total", counts(status))
for t in status["tests"]:
    if want == "-":
        if t["test"] is None:
            print("outside", counts(t))
        continue
    if t.get("test_hex") != want:
        continue
    exact = t["test"] is not None and t["test"].encode("utf-8").hex() == want
    print("test", "exact" if exact else "inexact", counts(t))
