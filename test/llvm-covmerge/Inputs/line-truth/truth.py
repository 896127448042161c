# truth.py TRUTH LCOV SOURCES...: holds the lines of an lcov export to what
# the programs recorded about themselves (truth.h). Marked lines are those of
# SOURCES that say ran(N), each N once. Prints, sorted:
#   MISSED <test> <file>:<line>   ran in the test, not covered there
#   EXTRA <test> <file>:<line>    covered, but did not run (region granularity)
#   NOTEXEC <file>:<line>         ran, but not executable in the label
# with <test> "union" for the union of the tests, then a count of what was
# checked.
import os
import re
import sys

truth_path, lcov_path, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
line_of = {}
for path in sources:
    base = os.path.basename(path)
    for number, text in enumerate(open(path), 1):
        for mark in re.findall(r"\bran\((\d+)\)", text):
            if mark in line_of:
                sys.exit("truth.py: ran(%s) is said twice" % mark)
            line_of[mark] = "%s:%d" % (base, number)
marked = set(line_of.values())
ran = {}
for line in open(truth_path):
    test, mark = line.split()
    ran.setdefault(test, set()).add(line_of[mark])

covered, executable, test = {}, set(), None
for line in open(lcov_path):
    line = line.rstrip("\n")
    if line.startswith("TN:"):
        test = line[3:]
        covered.setdefault(test, set())
    elif line.startswith("SF:"):
        base = os.path.basename(line[3:])
    elif line.startswith("DA:"):
        number, count = line[3:].split(",")[:2]
        where = "%s:%s" % (base, number)
        executable.add(where)
        if int(count):
            covered[test].add(where)

out = []
def check(name, ran_there, covered_there):
    for where in marked:
        if where in ran_there and where not in covered_there:
            out.append("MISSED %s %s" % (name, where))
        if where not in ran_there and where in covered_there:
            out.append("EXTRA %s %s" % (name, where))
for name in set(ran) | set(covered):
    check(name, ran.get(name, set()), covered.get(name, set()))
all_ran = set().union(*ran.values())
check("union", all_ran, set().union(*covered.values()))
for where in all_ran - executable:
    out.append("NOTEXEC %s" % where)
key = lambda s: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)]
for line in sorted(out, key=key):
    print(line)
print("checked %d marked lines in %d tests; %d ran" %
      (len(marked), len(set(ran) | set(covered)), len(all_ran)))
