#!/usr/bin/env bash
# Runs one libFuzzer target for longer than check-covlock does:
#   utils/fuzz.sh TARGET SECONDS         e.g. utils/fuzz.sh records 3600
# TARGET is the short name: records, test-key, raw-profile, covdb-encoding,
# covdb-tables, directory, diff (docs/fuzzing.md). The corpus is kept in
# BUILD_DIR/fuzz/corpus-TARGET between runs and starts from the seeds
# check-covlock made, if it ran; findings are written to BUILD_DIR/fuzz/ as
# crash-*, leak-*, timeout-*, oom-* files. The directory target builds its
# directories under BUILD_DIR/fuzz/tmp and mutates the raw profile
# COVLOCK_FUZZ_PROFILE names (default: the seed check-covlock made).
# BUILD_DIR defaults to ./build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
targets="records test-key raw-profile covdb-encoding covdb-tables directory diff"
usage="usage: utils/fuzz.sh TARGET SECONDS (TARGET: ${targets// /, })"
target=${1:?$usage}
seconds=${2:?$usage}
target=${target#covlock-fuzz-}
case " $targets " in
  *" $target "*) ;;
  *) echo "fuzz.sh: unknown target '$1'; $usage" >&2; exit 2 ;;
esac
bin=$build/fuzz/covlock-fuzz-$target
[ -x "$bin" ] || { echo "fuzz.sh: $bin not built (ninja -C $build covlock-fuzz-$target; clang only)" >&2; exit 2; }

corpus=$build/fuzz/corpus-$target
mkdir -p "$corpus" "$build/fuzz/tmp"
# The seeds test/fuzz/fuzzers.test made from real files.
seeds=$build/test/fuzz/Output/fuzzers.test.tmp
declare -A seed_dir=([records]=seeds-records [test-key]=seeds-key
  [raw-profile]=seeds-raw [covdb-encoding]=seeds-blobs
  [covdb-tables]=seeds-tables [directory]=seeds-directory [diff]=seeds-diff)
extra=()
[ -d "$seeds/${seed_dir[$target]}" ] && extra+=("$seeds/${seed_dir[$target]}")
if [ "$target" = directory ]; then
  export COVLOCK_FUZZ_PROFILE=${COVLOCK_FUZZ_PROFILE:-$seeds/template.profraw}
  [ -f "$COVLOCK_FUZZ_PROFILE" ] ||
    echo "fuzz.sh: warning: COVLOCK_FUZZ_PROFILE '$COVLOCK_FUZZ_PROFILE' is not a file; fuzzing raw profiles from nothing" >&2
fi

cd "$build/fuzz"
export TMPDIR=$build/fuzz/tmp
status=0
"$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
  "$corpus" ${extra[@]+"${extra[@]}"} || status=$?
rm -rf "$TMPDIR"/covlock-fuzz-directory-*
exit $status
