#!/usr/bin/env bash
# Builds the tools, their libraries and the unit tests with AddressSanitizer
# and UndefinedBehaviorSanitizer (-DCOVLOCK_SANITIZE=address,undefined) and
# runs every test against that build: a sanitizer report fails the test it
# happens in (docs/building.md). BUILD_DIR defaults to ./build-asan. Run
# utils/setup.sh first (packages).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-asan}
mkdir -p "$build"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCOVLOCK_SANITIZE=address,undefined > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; exit 1; }
ninja -C "$build" -j2 check-covlock
