#!/usr/bin/env bash
# Runs one libFuzzer target for longer than check-covlock does, on its own
# corpus in BUILD_DIR/fuzz/corpus-TARGET (kept between runs):
#   utils/fuzz.sh records 3600
# TARGET: records, test-key, raw-profile, covdb-encoding, covdb-tables,
# directory (fuzz/). Findings are written to BUILD_DIR/fuzz/ as crash-*,
# leak-*, timeout-* files. The directory target builds its directories
# under BUILD_DIR/fuzz/tmp and mutates a real raw profile when
# COVLOCK_FUZZ_PROFILE names one (docs/fuzzing.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
target=${1:?usage: utils/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: utils/fuzz.sh TARGET SECONDS}
bin=$build/fuzz/covlock-fuzz-$target
[ -x "$bin" ] || { echo "fuzz.sh: $bin not built (ninja -C $build covlock-fuzz-$target; clang only)" >&2; exit 2; }
corpus=$build/fuzz/corpus-$target
mkdir -p "$corpus" "$build/fuzz/tmp"
cd "$build/fuzz"
export TMPDIR=$build/fuzz/tmp
exec "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "$corpus"
