#!/bin/sh
# compact-suite.sh PROG: the suite the compaction tests run. Every test's
# processes run the executable and its shared library a known number of
# times: test a three processes, b two, c one; "inproc" is one process with
# three in-process tests (inproc.1..3), then work outside any test.
set -e
for k in 1 2 3; do COVLOCK_TEST=a "$1" one $k; done
for k in 4 5; do COVLOCK_TEST=b "$1" one $k; done
COVLOCK_TEST=c "$1" one 6
"$1" tests 3
