"""Prints, sorted, one line per test-end flush record of a coverage
directory (run with --no-compact): the test id and the outcome the GoogleTest
listener passed to covlock_test_end."""
import glob
import json
import os
import sys

rows = []
for path in glob.glob(os.path.join(sys.argv[1], "*", "*.json")):
    # A final record follows its boot marker's line: the last line counts.
    with open(path) as f:
        rec = json.loads(f.read().splitlines()[-1])
    if rec.get("reason") == "test-end":
        rows.append("%s %d" % (rec["test"], rec["outcome"]))
for row in sorted(rows):
    print(row)
