#!/usr/bin/env bash
# run_processes.sh BUILD_DIR
#
# Per-process cost of coverage output: runs PROCS (500) short processes of a
# big generated program (bench/gen_program.py, FUNCS=20000 functions), each
# its own "test", and compares, in rounds of one hyperfine invocation each:
#   (a) stock-pid   stock runtime, LLVM_PROFILE_FILE=DIR/%p.profraw
#   (b) stock-pool  stock runtime, LLVM_PROFILE_FILE=DIR/%m.profraw (merge pool)
#   (c) covlock     the same program linked with `llvm-covlock link-flags`,
#                   COVLOCK_DIR=DIR, COVLOCK_TEST per process
#   (d) covlock run the same under `llvm-covlock run --dir DIR`, which
#                   compacts the directory while the processes run
# Before every timed run, --prepare gives the command an output directory
# of its own and lets the disk settle: dirty pages written back (sync), the
# page cache dropped when allowed (root), two seconds of quiet. Earlier
# runs' outputs are only removed at the end (FRESH=1, the default): ext4
# without a journal will not reuse an inode freed in the last 60 seconds
# and scans past each such one on every create, so timing a run right after
# deleting the last one's files measures that scan, not the runtime, and
# punishes most whoever creates the most files. FRESH=0 measures exactly
# that: each run first deletes its own previous output.
# Prints the per-process wall time (median over the RUNS rounds) and its
# ratio to (a), taken within each round (median, and the range), and the disk used
# (du -sb) by each output. Then, outside the timing, (a) and (d) run once
# more each while their directory's size is sampled (du -sb, every 0.1 s):
# the peak and final disk use of each.
#
# Needs BUILD_DIR/bin/llvm-covlock and BUILD_DIR/lib/libcovlock_rt.so, clang-19,
# hyperfine, python3. Environment (optional):
#   FUNCS=20000 NGROUPS=100 PROCS=500 RUNS=5 WARMUP=1
#   CC=clang-19  BENCH_CFLAGS="-O0 -g0"
#   WORK=BUILD_DIR/bench-processes   where the program and outputs go
#   OUT=WORK/out   where the profiles go (a tmpfs such as /dev/shm/x takes
#                  the filesystem out of the measurement)
#   CHECK=1      also check that (a) and (c) merge to the same counts
#                (llvm-profdata show --all-functions --counts)
#   FRESH=1      a new output directory for every timed run (see above);
#                needs (RUNS + WARMUP) x 2 x PROCS profiles of disk
#                (about 13 GB with the defaults)
set -euo pipefail

BENCH_NAME=run_processes.sh BENCH_WORK=bench-processes
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
check=${CHECK:-1}
fresh=${FRESH:-1}
require "$covlock" "$build/lib/libcovlock_rt.so"
compile_program

# One compile, two links: the programs differ only in their runtime.
linkflags=$("$covlock" link-flags)
# shellcheck disable=SC2086
$cc -fprofile-instr-generate "$work/prog.o" -o "$work/prog-stock"
# shellcheck disable=SC2086
$cc -fprofile-instr-generate "$work/prog.o" $linkflags -o "$work/prog-covlock"

out=${OUT:-$work/out}   # OUT=/dev/shm/... measures the runtime without the disk
mkdir -p "$out"
# An earlier invocation's outputs go at the end with this one's (see above).
for d in a b c; do
  if [ -L "$out/$d" ]; then
    rm -f "$out/$d"
  elif [ -e "$out/$d" ]; then
    mv "$out/$d" "$(mktemp -u "$out/$d.XXXXXX")"
  fi
done
seq 0 $((procs - 1)) > "$work/args"
# Every process gets its own test id; `env` is the same cheap exec in all three.
drive() { # PROGRAM -> the driver command line
  printf 'xargs -P1 -I{} env COVLOCK_TEST=t{} %q {} < %q' "$1" "$work/args"
}
# The commands write to $out/a, $out/b and $out/c; with FRESH=1 each is a
# symbolic link that --prepare points at a new directory.
stock_pid="env LLVM_PROFILE_FILE=$out/a/%p.profraw $(drive "$work/prog-stock")"
stock_pool="env LLVM_PROFILE_FILE=$out/b/%m.profraw $(drive "$work/prog-stock")"
covlock_run="env -u LLVM_PROFILE_FILE COVLOCK_DIR=$out/c $(drive "$work/prog-covlock")"
covlock_compact="env -u LLVM_PROFILE_FILE $covlock run --dir $out/d -- $(drive "$work/prog-covlock")"

# A dry run outside the timing: the covlock program must write its profile.
mkdir -p "$out/dry"
COVLOCK_DIR=$out/dry COVLOCK_TEST=t1 "$work/prog-covlock" 1 >/dev/null
[ -n "$(ls -A "$out/dry")" ] || { echo "run_processes.sh: the covlock program wrote nothing to $out/dry" >&2; exit 1; }
if [ "$fresh" = 1 ]; then
  need=$(( $(du -sb "$out/dry" | cut -f1) * procs * 2 * (runs + warmup) / 1024 ))
  have=$(df -Pk "$out" | awk 'NR == 2 {print $4}')
  if [ "$need" -gt "$have" ]; then
    echo "run_processes.sh: FRESH=1 needs $((need / 1048576)) GB in $out, $((have / 1048576)) GB free; set OUT, fewer RUNS, or FRESH=0" >&2
    exit 1
  fi
fi
rm -rf "$out/dry"
# Inodes freed by an earlier invocation's clean-up must be a minute old.
if [ "$fresh" = 1 ] && [ -f "$out/cleaned" ]; then
  wait_s=$(( $(stat -c %Y "$out/cleaned") + 65 - $(date +%s) ))
  if [ "$wait_s" -gt 0 ]; then
    echo "run_processes.sh: waiting ${wait_s}s for the files deleted by the last run to age (see FRESH)" >&2
    sleep "$wait_s"
  fi
fi

settle="sync && { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; sleep 2"
prepare() { # X -> the --prepare command giving $out/X an empty directory
  if [ "$fresh" = 1 ]; then
    # shellcheck disable=SC2016 # for the shell of --prepare
    printf 'ln -sfn "$(mktemp -d %q)" %q && %s' "$out/$1.XXXXXX" "$out/$1" "$settle"
  else
    printf 'rm -rf %q && mkdir -p %q && %s' "$out/$1" "$out/$1" "$settle"
  fi
}

# Rounds, not one block of runs per command: this VM drifts by a fifth
# over minutes, and a block design puts that drift between the commands.
# Each round is one hyperfine invocation running every command once (in an
# order that rotates), so each command's ratio to (a) is taken within a
# round; the summary gives the median over the rounds. WARMUP rounds
# first, untimed.
names=("(a) stock %p" "(b) stock %m" "(c) covlock" "(d) covlock run")
commands=("$stock_pid" "$stock_pool" "$covlock_run" "$covlock_compact")
rm -f "$work"/round-*.json
for ((r = 0; r < warmup + runs; r++)); do
  args=()
  for ((k = 0; k < 4; k++)); do
    i=$(( (k + r) % 4 ))
    args+=(-n "${names[$i]}" --prepare "$(prepare "$(echo abcd | cut -c$((i + 1)))")" "${commands[$i]}")
  done
  json=$work/round-$r.json
  [ "$r" -lt "$warmup" ] && json=$work/warmup.json
  echo "round $((r + 1)) of $((warmup + runs))$([ "$r" -lt "$warmup" ] && echo ' (warm-up)')..." >&2
  hyperfine --runs 1 --style none --export-json "$json" "${args[@]}" > /dev/null
done

# The last timed run of each command left its output in place.
# (With FRESH=1, the earlier ones go now.)
for d in a b c d; do
  printf '%s %s %s\n' "$d" "$(du -sb "$out/$d/" | cut -f1)" "$(find "$out/$d/" -name '*.profraw' | wc -l)"
  last=$(readlink "$out/$d" || true)
  if [ -n "$last" ] || [ "$fresh" = 0 ]; then
    for old in "$out/$d".*; do
      [ "$old" = "$last" ] || rm -rf "$old"
    done
  fi
done > "$work/disk.txt"
touch "$out/cleaned"

python3 - "$work/disk.txt" "$procs" "$funcs" "$work"/round-*.json <<'EOF'
import json, statistics, sys
disk = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(sys.argv[1])}
procs, funcs = int(sys.argv[2]), int(sys.argv[3])
rounds = [{r["command"]: r["mean"] for r in json.load(open(f))["results"]}
          for f in sys.argv[4:]]
names = ["(a) stock %p", "(b) stock %m", "(c) covlock", "(d) covlock run"]
print()
print("%d processes of a %d-function program, per process (median of %d rounds):"
      % (procs, funcs, len(rounds)))
print("%-16s %9s %9s %15s %14s %12s %8s" % (
    "", "wall ms", "vs (a)", "vs (a) range", "disk bytes", "bytes/proc", "profraw"))
for name, d in zip(names, "abcd"):
    size, files = disk[d]
    ms = statistics.median(r[name] for r in rounds) / procs * 1e3
    ratios = [r[name] / r[names[0]] for r in rounds]
    print("%-16s %9.3f %8.2fx %7.2f-%.2fx %14d %12d %8d" % (
        name, ms, statistics.median(ratios), min(ratios), max(ratios), size,
        size // procs, files))
EOF

# peak_disk NAME COMMAND: runs COMMAND (which writes to $out/NAME) once in
# a new directory, sampling its size; prints "NAME PEAK FINAL" in bytes.
peak_disk() {
  rm -rf "$out/$1" "$out/$1.peak"
  mkdir -p "$out/$1.peak"
  ln -sfn "$out/$1.peak" "$out/$1"
  echo "$1 $(sample_disk "$out/$1/" 0.1 "$2" | cut -d' ' -f2-)"
}
echo >&2
echo "sampling the disk use of (a) and (d)..." >&2
{ peak_disk a "$stock_pid"; peak_disk d "$covlock_compact" 2>/dev/null; } > "$work/peak.txt"
python3 - "$work/peak.txt" <<'EOF'
import sys
rows = {l.split()[0]: list(map(int, l.split()[1:])) for l in open(sys.argv[1])}
(pa, fa), (pd, fd) = rows["a"], rows["d"]
print()
print("disk use, sampled every 0.1 s:  peak bytes   final bytes")
print("(a) stock %%p             %14d %13d" % (pa, fa))
print("(d) covlock run          %14d %13d" % (pd, fd))
print("(d) / (a)                %13.4fx %12.4fx   (targets: peak <= 0.05x, final <= 0.01x)" % (pd / pa, fd / fa))
EOF

if [ "$check" = 1 ]; then
  echo >&2
  echo "checking that merging (c) gives the same bytes compacted or not..." >&2
  rm -rf "$work/c-copy" "$work/check" && mkdir -p "$work/check"
  cp -r "$out/c/" "$work/c-copy"
  "$build/bin/llvm-covmerge" "$work/c-copy" --profdata "$work/check/raw.profdata" -o "$work/check/raw.covdb"
  "$covlock" compact --quiet "$work/c-copy"
  "$build/bin/llvm-covmerge" "$work/c-copy" --profdata "$work/check/compact.profdata" -o "$work/check/compact.covdb"
  "$build/bin/llvm-covmerge" "$out/d/" --profdata "$work/check/run.profdata"
  if cmp "$work/check/raw.profdata" "$work/check/compact.profdata" &&
     cmp "$work/check/raw.covdb" "$work/check/compact.covdb" &&
     cmp "$work/check/raw.profdata" "$work/check/run.profdata"; then
    echo "aggregate and covdb of (c) == of (c) compacted, byte for byte; aggregate of (d) == of (c)"
  else
    echo "compacted merges differ (see $work/check)"
    exit 1
  fi
  echo >&2
  echo "checking that (a) and (c) merge to the same counts..." >&2
  find "$out/a/" -name '*.profraw' > "$work/a.list"
  find "$out/c/" -name '*.profraw' > "$work/c.list"
  "$profdata" merge -f "$work/a.list" -o "$work/a.profdata"
  "$profdata" merge -f "$work/c.list" -o "$work/c.profdata"
  if same_counts "$work/a.profdata" "$work/c.profdata"; then
    echo "counts: (a) == (c)"
  else
    echo "counts: (a) != (c)  (see llvm-profdata overlap $work/a.profdata $work/c.profdata)"
    exit 1
  fi
fi
