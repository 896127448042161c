#!/usr/bin/env bash
# Sets up a Debian 12 machine for covlock, builds it and runs one job:
#   utils/setup.sh example   the bundled example suite under llvm-covlock run
#   utils/setup.sh test      every test (check-covlock)
# Installs only the packages that are missing. BUILD_DIR defaults to ./build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
job=${1:-}
case "$job" in
  example|test) ;;
  *) echo "usage: $0 example|test" >&2; exit 2 ;;
esac

packages=(cmake ninja-build clang-19 llvm-19-dev llvm-19-tools libclang-rt-19-dev
          libsqlite3-dev sqlite3 libgtest-dev libzstd-dev zlib1g-dev python3 util-linux findutils
          hyperfine lcov g++ chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

mkdir -p "$build"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; exit 1; }

case "$job" in
  example)
    ninja -C "$build" -j2 covlock-example ;;
  test)
    log="$build/check-covlock.log"
    status=0
    ninja -C "$build" -j2 check-covlock 2>&1 | tee "$log" || status=$?
    passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    failed=$(sed -n 's/^ *\(Failed\|Unresolved\|Timed Out\) *: *\([0-9]*\).*/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
    echo "check-covlock: $passed passed, $failed failed"
    exit $status ;;
esac
