# Checks of export-lcov-functions.test: each TN: block's function and
# branch records equal those of llvm-cov's lcov export of that test alone
# (TEST.info beside the tracefile).
import sys


def records(lines):
    """FN*/BR* lines of the (one) source file of an lcov record list."""
    return [l for l in lines if l.startswith(("FN", "BR"))]


blocks, test = {}, None
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("TN:"):
        test = line[3:]
        blocks[test] = []
    elif test:
        blocks[test].append(line)
for test, lines in blocks.items():
    ours = records(lines)
    theirs = records(open(test + ".info").read().splitlines())
    totals = " ".join(l for l in ours if l.split(":")[0] in ("FNF", "FNH", "BRF", "BRH"))
    print("%s: FN* and BR* as llvm-cov's: %s; %s" %
          (test, "yes" if ours == theirs else "NO", totals))
