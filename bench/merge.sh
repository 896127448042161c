#!/usr/bin/env bash
# merge.sh BUILD_DIR
#
# Merge speed against the stock tools on a big program: PROCS (500)
# processes of the generated FUNCS-function program (bench/gen_program.py),
# each its own test, written by the covlock runtime into one coverage
# directory. Then, each step a function below:
#
#   aggregate_merge   ONE hyperfine run, side by side:
#                       llvm-covmerge DIR --profdata OUT
#                       llvm-profdata merge -j 2 -o OUT DIR/*/*.profraw
#   aggregate_check   the two outputs are the same: byte for byte (cmp), and
#                     llvm-profdata show --all-functions --counts
#   aggregate_memory  peak resident memory of both (/usr/bin/time -f %M)
#
# Needs BUILD_DIR/bin/llvm-covmerge, BUILD_DIR/bin/llvm-covlock and
# BUILD_DIR/lib/libcovlock_rt.so, clang-19, hyperfine, python3.
# Environment (optional):
#   FUNCS=20000 NGROUPS=100 PROCS=500 RUNS=5 WARMUP=1
#   CC=clang-19  BENCH_CFLAGS="-O0 -g0"
#   WORK=BUILD_DIR/bench-merge   where the program, profiles and outputs go
#   STEPS="aggregate_merge aggregate_check aggregate_memory" (see below for
#   the others: attribution_merge, attribution_memory, per_test_stock,
#   queries, compacted_merge)
set -euo pipefail

BENCH_NAME=merge.sh BENCH_WORK=bench-merge
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
covmerge=$build/bin/llvm-covmerge
steps=${STEPS:-aggregate_merge aggregate_check aggregate_memory}
require "$covlock" "$covmerge" "$build/lib/libcovlock_rt.so"

cov=$work/cov   # the coverage directory
out=$work/out   # what the measured commands write

# The program: generated once, compiled once, linked with the runtime.
setup_program() {
  compile_program
  # shellcheck disable=SC2046
  $cc -fprofile-instr-generate "$work/prog.o" $("$covlock" link-flags) -o "$work/prog"
}

# PROCS processes, each its own test, one profile each (not timed).
make_profiles() {
  if [ -f "$cov/.complete-$procs" ] && [ "$cov/.complete-$procs" -nt "$work/prog" ]; then
    return
  fi
  echo "running $procs processes into $cov..." >&2
  rm -rf "$cov"
  mkdir -p "$cov"
  seq 0 $((procs - 1)) | xargs -P2 -I{} env COVLOCK_DIR="$cov" COVLOCK_TEST=t{} "$work/prog" {}
  touch "$cov/.complete-$procs"
  printf '%s profiles, %s bytes\n' "$(find "$cov" -name '*.profraw' | wc -l)" \
    "$(du -sb "$cov" | cut -f1)" >&2
}

aggregate_merge() {
  mkdir -p "$out"
  hyperfine --warmup "$warmup" --runs "$runs" --export-json "$work/aggregate.json" \
    -n "llvm-covmerge" "$covmerge $cov --profdata $out/covmerge.profdata" \
    -n "llvm-profdata -j 2" "$profdata merge -j 2 -o $out/profdata.profdata $cov/*/*.profraw"
  python3 - "$work/aggregate.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["llvm-covmerge"], r["llvm-profdata -j 2"]
print("aggregate merge: llvm-covmerge %.3f s, llvm-profdata -j 2 %.3f s: %.1fx faster"
      % (a["mean"], b["mean"], b["mean"] / a["mean"]))
PY
}

aggregate_check() {
  "$covmerge" "$cov" --profdata "$out/covmerge.profdata"
  "$profdata" merge -j 2 -o "$out/profdata.profdata" "$cov"/*/*.profraw
  if cmp -s "$out/covmerge.profdata" "$out/profdata.profdata"; then
    echo "aggregate output: byte-identical"
  elif same_counts "$out/covmerge.profdata" "$out/profdata.profdata"; then
    echo "aggregate output: same counts (llvm-profdata show), different bytes"
  else
    echo "aggregate output: DIFFERENT counts"
    exit 1
  fi
}

# Peak resident set size in KB, best of three runs.
peak_kb() {
  local best=
  for _ in 1 2 3; do
    local kb
    kb=$( /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 )
    if [ -z "$best" ] || [ "$kb" -lt "$best" ]; then best=$kb; fi
  done
  echo "$best"
}

aggregate_memory() {
  local a b
  a=$(peak_kb "$covmerge" "$cov" --profdata "$out/covmerge.profdata")
  b=$(peak_kb "$profdata" merge -j 2 -o "$out/profdata.profdata" "$cov"/*/*.profraw)
  echo "aggregate peak memory: llvm-covmerge $a KB, llvm-profdata -j 2 $b KB"
}

# --- Per-test attribution and queries (lib/Attribution, lib/CovDB) -------
#
#   attribution_merge   ONE hyperfine run, side by side: the aggregate merge
#                       alone (--profdata) and the coverage database with
#                       every test attributed (-o); target: at most 2x
#   attribution_memory  peak resident memory of the -o merge
#   per_test_stock      the stock way to per-test coverage, llvm-profdata
#                       merge + llvm-cov export for one test, timed on SAMPLE
#                       (5) tests and multiplied out to PROCS
#   queries             `who`, `report --by-test` and `show` (the whole
#                       generated file, every line) on that database as
#                       whole processes (hyperfine -N); target: < 50 ms
#   impact              `impact` of a real `git diff -U0` that changes CHANGED
#                       (200) lines spread over the generated file (as many
#                       hunks), and of one block of as many lines, with and
#                       without --tests-only (hyperfine -N); target: < 50 ms
#   line_rules          ONE hyperfine run, side by side: -o under covlock's
#                       line rules (the default) and under --line-rules=llvm,
#                       on this program (C: no views) and on TEMPLATES (5000)
#                       instantiations of a template whose lambda compiles
#                       differently in each (bench/gen_templates.py, 7 tests:
#                       every component has views); peak memory of each
# Add them to STEPS, e.g. STEPS="attribution_merge per_test_stock queries".

attribution_merge() {
  mkdir -p "$out"
  hyperfine --warmup "$warmup" --runs "$runs" --export-json "$work/attribution.json" \
    -n "aggregate" "$covmerge $cov --profdata $out/covmerge.profdata" \
    -n "covdb" "$covmerge $cov -o $out/all.covdb"
  python3 - "$work/attribution.json" "$procs" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, c = r["aggregate"], r["covdb"]
print("attribution: covdb (%s tests) %.3f s, aggregate merge alone %.3f s: %.2fx"
      % (sys.argv[2], c["mean"], a["mean"], c["mean"] / a["mean"]))
PY
  ls -l "$out/all.covdb" | awk '{print "covdb size: " $5 " bytes"}'
}

attribution_memory() {
  local a
  a=$(peak_kb "$covmerge" "$cov" -o "$out/all.covdb")
  echo "covdb merge peak memory: llvm-covmerge -o $a KB"
}

line_rules() {
  local n=${TEMPLATES:-5000} t=$work/templates k
  mkdir -p "$out" "$t"
  if [ ! -x "$t/prog" ] || [ "$here/gen_templates.py" -nt "$t/prog" ]; then
    echo "compiling $n template instantiations..." >&2
    python3 "$here/gen_templates.py" -n "$n" -o "$t/prog.cpp"
    # shellcheck disable=SC2046
    "${CXX:-clang++-19}" -std=c++17 $cflags -fprofile-instr-generate -fcoverage-mapping \
      "$t/prog.cpp" $("$covlock" link-flags) -o "$t/prog"
    rm -rf "$t/cov"
  fi
  if [ ! -d "$t/cov" ]; then
    for k in 1 2 3 4 5 6 7; do
      # shellcheck disable=SC2046
      env COVLOCK_DIR="$t/cov" COVLOCK_TEST="t$k" "$t/prog" $(seq 2 "$k")
    done
  fi
  hyperfine --warmup "$warmup" --runs "$runs" --export-json "$work/line-rules.json" \
    -n "c covlock" "$covmerge $cov -o $out/rules-covlock.covdb" \
    -n "c llvm" "$covmerge $cov -o $out/rules-llvm.covdb --line-rules=llvm" \
    -n "templates covlock" "$covmerge $t/cov -o $out/templates-covlock.covdb" \
    -n "templates llvm" "$covmerge $t/cov -o $out/templates-llvm.covdb --line-rules=llvm"
  python3 - "$work/line-rules.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
for what in ("c", "templates"):
    c, l = r[what + " covlock"], r[what + " llvm"]
    print("line rules, %s: covlock %.3f s, llvm %.3f s: %.2fx" % (what, c, l, c / l))
PY
  echo "line rules peak memory: c covlock $(peak_kb "$covmerge" "$cov" -o "$out/rules-covlock.covdb") KB," \
    "llvm $(peak_kb "$covmerge" "$cov" -o "$out/rules-llvm.covdb" --line-rules=llvm) KB;" \
    "templates covlock $(peak_kb "$covmerge" "$t/cov" -o "$out/templates-covlock.covdb") KB," \
    "llvm $(peak_kb "$covmerge" "$t/cov" -o "$out/templates-llvm.covdb" --line-rules=llvm) KB"
}

per_test_stock() {
  local sample=${SAMPLE:-5} llvmcov tests=() i
  llvmcov=${LLVM_COV:-$(command -v llvm-cov-19 || echo /usr/lib/llvm-19/bin/llvm-cov)}
  mkdir -p "$out"
  for i in $(seq 0 $((sample - 1))); do
    tests+=("t$((i * procs / sample))")
  done
  hyperfine --runs 3 --export-json "$work/per-test.json" \
    -L test "$(IFS=,; echo "${tests[*]}")" \
    "$profdata merge -o $out/{test}.profdata $cov/{test}/*.profraw && $llvmcov export -format=lcov $work/prog -instr-profile=$out/{test}.profdata > $out/{test}.info"
  python3 - "$work/per-test.json" "$procs" "$work/attribution.json" <<'PY'
import json, os, sys
res = json.load(open(sys.argv[1]))["results"]
mean = sum(x["mean"] for x in res) / len(res)
n = int(sys.argv[2])
line = "per-test stock (llvm-profdata merge + llvm-cov export): %.3f s a test, %.0f s for %d tests" % (mean, mean * n, n)
if os.path.exists(sys.argv[3]):
    r = {x["command"]: x for x in json.load(open(sys.argv[3]))["results"]}
    line += "; covdb: %.3f s for all (%.0fx less)" % (r["covdb"]["mean"], mean * n / r["covdb"]["mean"])
print(line)
PY
}

queries() {
  [ -f "$out/all.covdb" ] || "$covmerge" "$cov" -o "$out/all.covdb"
  # A line every test runs (main's first statement) and one a few run.
  local main_line f_line
  main_line=$(($(grep -n '^int main' "$prog_c" | cut -d: -f1) + 1))
  f_line=$(($(grep -n '^static int f1000(int x, int depth) {' "$prog_c" | cut -d: -f1) + 1))
  hyperfine -N --warmup 3 --runs 50 --export-json "$work/queries.json" \
    -n "who (all tests)" "$covmerge who $out/all.covdb $(basename "$prog_c"):$main_line" \
    -n "who (a few)" "$covmerge who $out/all.covdb $(basename "$prog_c"):$f_line" \
    -n "report --by-test" "$covmerge report $out/all.covdb --by-test" \
    -n "report" "$covmerge report $out/all.covdb" \
    -n "show (whole file)" "$covmerge show $out/all.covdb $(basename "$prog_c")"
  python3 - "$work/queries.json" <<'PY'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    print("query %-18s %6.1f ms (max %.1f ms)" % (x["command"], x["mean"] * 1e3, x["max"] * 1e3))
PY
}

# A git repository holding the generated program, edited on CHANGED lines:
# every (length / CHANGED)-th line, or CHANGED lines in one block from the
# middle; each diff is `git diff -U0` of the edit.
impact_diffs() {
  local n=${CHANGED:-200} repo=$work/impact-repo name
  name=$(basename "$prog_c")
  rm -rf "$repo"
  mkdir -p "$repo"
  cp "$prog_c" "$repo/$name"
  git -C "$repo" init -q
  git -C "$repo" add "$name"
  git -C "$repo" -c user.name=bench -c user.email=bench@example.invalid commit -q -m base
  awk -v n="$n" -v total="$(wc -l < "$prog_c")" \
    'NR % int(total / n) == 0 && c < n { $0 = $0 " /* changed */"; c++ } { print }' \
    "$prog_c" > "$repo/$name"
  git -C "$repo" diff -U0 > "$work/impact-spread.diff"
  cp "$prog_c" "$repo/$name"
  awk -v n="$n" -v total="$(wc -l < "$prog_c")" \
    'NR > int(total / 2) && NR <= int(total / 2) + n { $0 = $0 " /* changed */" } { print }' \
    "$prog_c" > "$repo/$name"
  git -C "$repo" diff -U0 > "$work/impact-block.diff"
  echo "impact diffs: $(grep -c '^@@' "$work/impact-spread.diff") hunks," \
    "$(grep -c '^@@' "$work/impact-block.diff") hunk of $n lines"
}

impact() {
  mkdir -p "$out"
  [ -f "$out/all.covdb" ] || "$covmerge" "$cov" -o "$out/all.covdb"
  impact_diffs
  # Through a file: `| head -1` would end the script (SIGPIPE, pipefail).
  for kind in spread block; do
    "$covmerge" impact "$out/all.covdb" "$work/impact-$kind.diff" > "$work/impact-$kind.out"
    head -n 1 "$work/impact-$kind.out"
  done
  hyperfine -N --warmup 3 --runs 50 --export-json "$work/impact.json" \
    -n "impact (spread)" "$covmerge impact $out/all.covdb $work/impact-spread.diff" \
    -n "impact --tests-only (spread)" "$covmerge impact --tests-only $out/all.covdb $work/impact-spread.diff" \
    -n "impact (block)" "$covmerge impact $out/all.covdb $work/impact-block.diff"
  python3 - "$work/impact.json" <<'PY'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    print("query %-30s %6.1f ms (max %.1f ms)" % (x["command"], x["mean"] * 1e3, x["max"] * 1e3))
PY
}

# --- Compacted directories (llvm-covlock compact) --------------------------
#
#   compacted_merge   a compacted copy of the directory against the raw one,
#                     ONE hyperfine run: --profdata and -o of each; the
#                     outputs are checked byte for byte (cmp)

compacted_merge() {
  local packed=$work/cov-compacted
  mkdir -p "$out"
  rm -rf "$packed"
  cp -r "$cov" "$packed"
  "$covlock" compact --quiet "$packed"
  hyperfine --warmup "$warmup" --runs "$runs" --export-json "$work/compacted.json" \
    -n "raw --profdata" "$covmerge $cov --profdata $out/raw.profdata" \
    -n "compacted --profdata" "$covmerge $packed --profdata $out/packed.profdata" \
    -n "raw -o" "$covmerge $cov -o $out/raw.covdb" \
    -n "compacted -o" "$covmerge $packed -o $out/packed.covdb"
  cmp "$out/raw.profdata" "$out/packed.profdata"
  cmp "$out/raw.covdb" "$out/packed.covdb"
  python3 - "$work/compacted.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
for kind in ("--profdata", "-o"):
    raw, packed = r["raw " + kind], r["compacted " + kind]
    print("merge %-10s raw %.3f s, compacted %.3f s: compacted/raw %.2fx (same bytes)"
          % (kind, raw, packed, packed / raw))
PY
}

setup_program
make_profiles
for step in $steps; do
  "$step"
done
