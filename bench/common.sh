# common.sh: what the benchmarks share. Sourced by bench/*.sh with
# BENCH_NAME and BENCH_WORK set; reads the environment documented there.
# Defines the settings below and compile_program, which leaves the generated
# program's object in $work/prog.o.

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
covlock=$build/bin/llvm-covlock
funcs=${FUNCS:-20000}
groups=${NGROUPS:-100}
procs=${PROCS:-500}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
cc=${CC:-clang-19}
cflags=${BENCH_CFLAGS:--O0 -g0}
work=${WORK:-$build/$BENCH_WORK}
profdata=${LLVM_PROFDATA:-$(command -v llvm-profdata-19 || echo /usr/lib/llvm-19/bin/llvm-profdata)}

# require FILE...: each must exist (built by `ninja` in BUILD_DIR).
require() {
  for f in "$@"; do
    [ -e "$f" ] || { echo "$BENCH_NAME: $f is missing: build covlock first" >&2; exit 1; }
  done
  command -v hyperfine >/dev/null || { echo "$BENCH_NAME: hyperfine not found" >&2; exit 1; }
}

# same_counts A B: the two indexed profiles hold the same counts.
same_counts() {
  cmp -s <("$profdata" show --all-functions --counts "$1") \
         <("$profdata" show --all-functions --counts "$2")
}

# The FUNCS-function program (bench/gen_program.py), generated and compiled
# once; both are kept in $work between runs.
compile_program() {
  mkdir -p "$work"
  prog_c=$work/prog-$funcs.c
  if [ ! -f "$prog_c" ]; then
    python3 "$here/gen_program.py" -n "$funcs" -g "$groups" -o "$prog_c.tmp"
    mv "$prog_c.tmp" "$prog_c"
  fi
  # shellcheck disable=SC2086 # flag lists
  if [ ! -f "$work/prog.o" ] || [ "$prog_c" -nt "$work/prog.o" ]; then
    echo "compiling $funcs functions ($cc $cflags)..." >&2
    $cc $cflags -fprofile-instr-generate -fcoverage-mapping -c "$prog_c" -o "$work/prog.o"
  fi
}

# sample_disk DIR SECONDS COMMAND: runs COMMAND, sampling DIR's size (du -sb)
# every SECONDS; prints "MILLISECONDS PEAK_BYTES FINAL_BYTES".
sample_disk() {
  local start end peak=0 size pid
  start=$(date +%s%N)
  sh -c "$3" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    # du fails on files the compactor removes under it: a sample is missed.
    size=$(du -sb "$1" 2>/dev/null | cut -f1 || true)
    [ "${size:-0}" -gt "$peak" ] && peak=$size
    sleep "$2"
  done
  wait "$pid"
  end=$(date +%s%N)
  size=$(du -sb "$1" | cut -f1)
  [ "$size" -gt "$peak" ] && peak=$size
  echo "$(( (end - start) / 1000000 )) $peak $size"
}
