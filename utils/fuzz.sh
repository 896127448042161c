#!/usr/bin/env bash
# Runs one libFuzzer target for longer than check-covlock does, on its own
# corpus in BUILD_DIR/fuzz/corpus-TARGET (kept between runs):
#   utils/fuzz.sh records 3600
# TARGET: records, test-key, raw-profile, covdb-encoding (fuzz/). Findings
# are written to BUILD_DIR/fuzz/ as crash-*, leak-*, timeout-* files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
target=${1:?usage: utils/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: utils/fuzz.sh TARGET SECONDS}
bin=$build/fuzz/covlock-fuzz-$target
[ -x "$bin" ] || { echo "fuzz.sh: $bin not built (ninja -C $build covlock-fuzz-$target; clang only)" >&2; exit 2; }
corpus=$build/fuzz/corpus-$target
mkdir -p "$corpus"
cd "$build/fuzz"
exec "$bin" -max_total_time="$seconds" -print_final_stats=1 "$corpus"
