#!/usr/bin/env bash
# scale.sh BUILD_DIR
#
# LLVM scale in miniature: a generated program of FUNCS (100,000) functions
# and TESTS (5,000) tests, each test running one group of NGROUPS (500), so
# a test covers 0.2% of the binary. Each step is a function below; STEPS
# picks them (default: all, in this order).
#
#   capture    (a) stock runtime, LLVM_PROFILE_FILE=DIR/%p.profraw, and
#              (d) `llvm-covlock run` (compacting), TESTS processes one
#              after the other, once each: wall time, peak disk (du -sb
#              sampled every second) and final disk. (a)'s profiles stay for
#              the merge step.
#   inprocess  one process running the TESTS tests between
#              covlock_test_begin/end, under `llvm-covlock run` compacting
#              and with --no-compact: wall time and final disk.
#   merge      llvm-profdata merge -j 2 of (a)'s profiles against
#              llvm-covmerge --profdata of (d)'s packs: time and peak memory
#              (/usr/bin/time), and that the two hold the same counts.
#   covdb      llvm-covmerge -o of (d): time against the aggregate merge,
#              peak memory, size.
#   queries    who, report --by-test and show on that covdb (hyperfine).
#   cleanup    removes (a)'s profiles (FUNCS x 110 bytes x TESTS: 55 GB).
# (capture is capture_stock, then capture_covlock, then the comparison.)
#
# Needs BUILD_DIR/bin/llvm-covlock, llvm-covmerge, lib/libcovlock_rt.so,
# clang-19, hyperfine, python3, /usr/bin/time, and about 60 GB of disk in
# WORK. Environment (optional): FUNCS=100000 NGROUPS=500 TESTS=5000
# RUNS=3 (queries, merges) PARTS=25 WORK=BUILD_DIR/bench-scale CC=clang-19.
set -euo pipefail

export FUNCS=${FUNCS:-100000} NGROUPS=${NGROUPS:-500}
tests=${TESTS:-5000}
BENCH_NAME=scale.sh BENCH_WORK=bench-scale
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
covmerge=$build/bin/llvm-covmerge
steps=${STEPS:-capture inprocess merge covdb queries cleanup}
require "$covlock" "$covmerge" "$build/lib/libcovlock_rt.so"
runs=${RUNS:-3}

# The program in PARTS (25) translation units, compiled two at a time: clang
# takes time in the square of one file's functions (20,000 in one file:
# 65 s; 100,000: over 10 minutes).
parts=${PARTS:-25}
src=$work/src-$funcs
if [ ! -f "$src/main.c" ]; then
  python3 "$here/gen_program.py" -n "$funcs" -g "$groups" --parts "$parts" -o "$src.tmp"
  rm -rf "$src" && mv "$src.tmp" "$src"
fi
linkflags=$("$covlock" link-flags)
if [ ! -x "$work/prog-inproc" ] || [ "$src/main.c" -nt "$work/prog-inproc" ]; then
  echo "compiling $funcs functions in $parts files ($cc $cflags)..." >&2
  # shellcheck disable=SC2086
  ls "$src"/*.c | xargs -P2 -I{} sh -c \
    "$cc $cflags -fprofile-instr-generate -fcoverage-mapping -c {} -o {}.o"
  # shellcheck disable=SC2086
  $cc $cflags -DIN_PROCESS_TESTS -fprofile-instr-generate -fcoverage-mapping \
    -c "$src/main.c" -o "$src/main-inproc.o"
  objs=$(ls "$src"/part-*.c.o)
  # shellcheck disable=SC2086
  $cc -fprofile-instr-generate $objs "$src/main.c.o" -o "$work/prog-stock"
  # shellcheck disable=SC2086
  $cc -fprofile-instr-generate $objs "$src/main.c.o" $linkflags -o "$work/prog-covlock"
  # shellcheck disable=SC2086
  $cc -fprofile-instr-generate $objs "$src/main-inproc.o" $linkflags -o "$work/prog-inproc"
fi
seq 0 $((tests - 1)) > "$work/args"
drive() { # PROGRAM -> the driver command line
  printf 'xargs -P1 -I{} env COVLOCK_TEST=t{} %q {} < %q' "$1" "$work/args"
}

# sampled NAME DIR COMMAND: runs COMMAND, sampling DIR's size every second;
# appends "NAME MILLISECONDS PEAK FINAL" to $work/capture.txt.
sampled() {
  echo "$1 $(sample_disk "$2" 1 "$3")" >> "$work/capture.txt"
}

capture_stock() {
  rm -rf "$work/a"
  mkdir -p "$work/a"
  sed -i '/^a /d' "$work/capture.txt" 2>/dev/null || true
  echo "capture: (a) stock %p, $tests processes..." >&2
  sync
  sampled a "$work/a" "env LLVM_PROFILE_FILE=$work/a/%p.profraw $(drive "$work/prog-stock")"
}

capture_covlock() {
  rm -rf "$work/d"
  sed -i '/^d /d' "$work/capture.txt" 2>/dev/null || true
  echo "capture: (d) llvm-covlock run, compacting..." >&2
  sync
  sampled d "$work/d" "env -u LLVM_PROFILE_FILE $covlock run --dir $work/d -- $(drive "$work/prog-covlock") 2>/dev/null"
}

capture() {
  capture_stock
  capture_covlock
  python3 - "$work/capture.txt" "$tests" <<'PY'
import sys
rows = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1])}
n = int(sys.argv[2])
(ta, pa, fa), (td, pd, fd) = [(float(r[0]) / 1e3, int(r[1]), int(r[2])) for r in (rows["a"], rows["d"])]
print("capture, %d processes:    wall s  ms/proc      peak bytes     final bytes" % n)
print("(a) stock %%p          %8.1f %8.2f %15d %15d" % (ta, ta / n * 1e3, pa, fa))
print("(d) covlock run        %8.1f %8.2f %15d %15d" % (td, td / n * 1e3, pd, fd))
print("(d) / (a)              %8.2fx %17.4fx %14.4fx" % (td / ta, pd / pa, fd / fa))
PY
}

# INPROCESS_MODES="compact no-compact": no-compact writes a whole raw
# profile per test (75 GB for 5,000 tests of this program).
inprocess() {
  local start end flag
  for mode in ${INPROCESS_MODES:-compact no-compact}; do
    rm -rf "$work/i-$mode"
    flag=$([ "$mode" = no-compact ] && echo --no-compact || true)
    start=$(date +%s%N)
    # shellcheck disable=SC2086
    "$covlock" run $flag --dir "$work/i-$mode" -- "$work/prog-inproc" -n "$tests" \
      2>/dev/null >/dev/null
    end=$(date +%s%N)
    echo "in-process, $tests tests in one process, $mode:" \
      "$(( (end - start) / 1000000 )) ms, $(du -sb "$work/i-$mode" | cut -f1) bytes"
    [ "$mode" = no-compact ] && rm -rf "$work/i-$mode"
  done
}

# Peak resident set size in KB and wall seconds of one run.
measure() {
  /usr/bin/time -f "%M %e" "$@" 2>&1 >/dev/null | tail -1
}

merge() {
  local a d
  echo "merge: llvm-profdata merge -j 2 of $tests profiles..." >&2
  find "$work/a" -name '*.profraw' > "$work/a.list"
  a=$(measure "$profdata" merge -j 2 -f "$work/a.list" -o "$work/a.profdata")
  d=$(measure "$covmerge" "$work/d" --profdata "$work/d.profdata")
  echo "aggregate merge: llvm-profdata -j 2 (of (a), raw): ${a#* } s, ${a%% *} KB;" \
       "llvm-covmerge (of (d), packs): ${d#* } s, ${d%% *} KB"
  if same_counts "$work/a.profdata" "$work/d.profdata"; then
    echo "aggregate: same counts"
  else
    echo "aggregate: DIFFERENT counts"
    exit 1
  fi
}

covdb() {
  hyperfine --warmup 1 --runs "$runs" --export-json "$work/covdb.json" \
    -n aggregate "$covmerge $work/d --profdata $work/d.profdata" \
    -n covdb "$covmerge $work/d -o $work/d.covdb"
  python3 - "$work/covdb.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print("covdb %.2f s, aggregate %.2f s: %.2fx" % (r["covdb"]["mean"], r["aggregate"]["mean"],
                                             r["covdb"]["mean"] / r["aggregate"]["mean"]))
PY
  echo "covdb peak memory: $(measure "$covmerge" "$work/d" -o "$work/d.covdb") (KB s)"
  echo "covdb size: $(stat -c %s "$work/d.covdb") bytes"
}

queries() {
  local file line
  file=$(grep -l "^static int f$((funcs / 2))(int x, int depth) {" "$src"/part-*.c)
  line=$(grep -n "^static int f$((funcs / 2))(int x, int depth) {" "$file" | cut -d: -f1)
  hyperfine -N --warmup 3 --runs 10 --export-json "$work/queries.json" \
    -n who "$covmerge who $work/d.covdb $file:$((line + 1))" \
    -n "report --by-test" "$covmerge report $work/d.covdb --by-test" \
    -n "show (one part: $((funcs / parts)) functions)" "$covmerge show $work/d.covdb $file"
  python3 - "$work/queries.json" <<'PY'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    print("query %-18s %7.1f ms" % (x["command"], x["mean"] * 1e3))
PY
}

cleanup() {
  rm -rf "$work/a" "$work/a.list"
}

for step in $steps; do
  "$step"
done
