# hits.py FILES...: "<file>:<line>" (file by its base name) of every line an
# lcov tracefile covers in any of its TN: blocks, sorted as sort(1) sorts.
import os
import sys
hits = set()
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("SF:"):
            base = os.path.basename(line[3:].rstrip("\n"))
        elif line.startswith("DA:") and int(line[3:].split(",")[1]):
            hits.add("%s:%s" % (base, line[3:].split(",")[0]))
for hit in sorted(hits):
    print(hit)
