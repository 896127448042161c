# Checks of export-json.test: covlock's JSON against llvm-cov's, the
# program's own logs of the lines it ran, and covlock's lcov export.
import json
import re
import sys

ours, stock = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
same = all(ours[k] == stock[k] for k in ("type", "version"))
print("type %s version %s: %s" % (ours["type"], ours["version"],
                                  "as llvm-cov's" if same else "DIFFERENT"))
print("data: " + ("equal to llvm-cov export's" if ours["data"] == stock["data"]
                  else "DIFFERENT"))

# lcov: per TN block, the DA lines with a hit.
lcov, test = {}, None
for line in open(sys.argv[3]):
    line = line.strip()
    if line.startswith("TN:"):
        test = line[3:]
    m = re.match(r"DA:(\d+),1$", line)
    if m:
        lcov.setdefault(test, set()).add(int(m.group(1)))

c = ours["covlock"]
(f,) = c["files"]
union = set()
for t in c["tests"]:
    for tf in t["files"]:
        union |= set(tf["covered_lines"])
print("label %s: %d executable, %d covered; covered %s union of the tests" %
      (c["label"], len(f["executable_lines"]), len(f["covered_lines"]),
       "=" if set(f["covered_lines"]) == union else "!="))
for t in c["tests"]:
    (tf,) = t["files"]
    covered = set(tf["covered_lines"])
    ran = {int(l.split()[1]) for l in open("%s/ran-%s.log" % (sys.argv[4], t["test"]))}
    print("test %s: %d covered, %s, %s" % (
        t["test"], len(covered),
        "every logged line among them" if ran <= covered else
        "MISSING %s" % sorted(ran - covered),
        "as lcov says" if covered == lcov.get(t["test"]) else "NOT as lcov says"))
