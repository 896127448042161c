#!/usr/bin/env python3
"""Compares the lines a program marked as run (line-truth.h) with lcov
tracefiles: every MARK() line must be covered exactly when it ran, and no
count may be a wrapped negative (>= 2**63).

usage: line-truth.py SOURCE TRUTH NAME=LCOV...
Prints one line per tracefile:
  NAME: M marked, R ran, W wrong, X wrapped
and, before it, each disagreement."""
import os
import sys


def marked_lines(source):
    with open(source) as f:
        return {n for n, line in enumerate(f, 1) if "MARK()" in line}


def lcov_counts(path, source):
    """Line -> highest count over every TN: block for SOURCE's file, and
    the lines whose count wrapped."""
    counts, wrapped, in_file = {}, set(), False
    base = os.path.realpath(source)
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("SF:"):
                in_file = os.path.realpath(line[3:]) == base
            elif in_file and line.startswith("DA:"):
                number, count = line[3:].split(",")[:2]
                number, count = int(number), int(count)
                if count >= 2**63:
                    wrapped.add(number)
                    count = 0
                counts[number] = max(counts.get(number, 0), count)
    return counts, wrapped


def main():
    source, truth = sys.argv[1], sys.argv[2]
    marked = marked_lines(source)
    with open(truth, "rb") as f:
        data = f.read()
    ran = {n for n in marked if n < len(data) and data[n]}
    for arg in sys.argv[3:]:
        name, path = arg.split("=", 1)
        counts, wrapped = lcov_counts(path, source)
        wrong = 0
        for n in sorted(marked):
            covered = counts.get(n, 0) > 0
            if covered != (n in ran):
                wrong += 1
                print("%s: line %d %s but %s" % (
                    name, n, "ran" if n in ran else "did not run",
                    "is covered" if covered else "is not covered"))
        for n in sorted(wrapped):
            print("%s: line %d has a wrapped count" % (name, n))
        print("%s: %d marked, %d ran, %d wrong, %d wrapped" % (
            name, len(marked), len(ran), wrong, len(wrapped)))


if __name__ == "__main__":
    main()
