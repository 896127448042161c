#!/usr/bin/env bash
# Builds covlock with the system's default compilers (gcc/g++), as an
# integrator's project would, and runs every test against that build: the
# runtime and the tools must build with gcc as with clang (test programs
# are still compiled by clang-19, whose profile runtime covlock drives).
# BUILD_DIR defaults to ./build-gcc. Run utils/setup.sh first (packages).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-gcc}
mkdir -p "$build"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; exit 1; }
ninja -C "$build" -j2 check-covlock
