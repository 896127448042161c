#!/bin/sh
# run-example.sh BUILD_DIR
#
# Runs the bundled example (examples/calc) end to end: its lit suite under
# `llvm-covlock run` into BUILD_DIR/example-cov, then `llvm-covlock status`;
# then merges it (llvm-covmerge: BUILD_DIR/example.covdb and .profdata),
# shows the stock llvm-cov report of the merged profile and the per-test
# report.
# The build target `covlock-example` calls this after building the programs.
#
# Environment (all optional):
#   PYTHON          python interpreter for lit   (default: python3)
#   LIT             lit.py                       (default: Debian's llvm-19 lit)
#   LLVM_TOOLS_DIR  where FileCheck and not are  (default: /usr/lib/llvm-19/bin)
#   LIT_OPTS        extra lit options, e.g. -j1
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
lit=${LIT:-/usr/lib/llvm-19/build/utils/lit/lit.py}
tools=${LLVM_TOOLS_DIR:-/usr/lib/llvm-19/bin}
covlock=$build/bin/llvm-covlock
cov=$build/example-cov

for f in "$covlock" "$build/examples/calc/calc" "$build/examples/calc/calc-helper" "$lit"; do
  if [ ! -f "$f" ]; then
    echo "run-example.sh: $f is missing (build covlock-example-binaries and llvm-covlock)" >&2
    exit 1
  fi
done

status=0
# shellcheck disable=SC2086 # LIT_OPTS is a list of options
"$covlock" run --dir "$cov" --label example -- \
  "$python" "$lit" -sv ${LIT_OPTS:-} "$src/examples/calc/test" \
  --param "calc_bin_dir=$build/examples/calc" \
  --param "llvm_tools_dir=$tools" || status=$?
"$covlock" status "$cov" || { [ $status -ne 0 ] || status=$?; }

# Merge: the aggregate profile (what llvm-cov reads) and the coverage
# database, then which test covered what.
covmerge=$build/bin/llvm-covmerge
db=$build/example.covdb
echo
"$covmerge" "$cov" -o "$db" --profdata "$build/example.profdata" || { [ $status -ne 0 ] || status=$?; }
echo "== llvm-cov report (stock tool, merged profile)"
"$tools/llvm-cov" report "$build/examples/calc/calc" -object "$build/examples/calc/calc-helper" \
  -instr-profile="$build/example.profdata" || { [ $status -ne 0 ] || status=$?; }
echo "== llvm-covmerge report --by-test"
"$covmerge" report "$db" --by-test || { [ $status -ne 0 ] || status=$?; }
exit $status
