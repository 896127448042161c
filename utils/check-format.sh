#!/usr/bin/env bash
# Checks that the C and C++ sources follow .clang-format (LLVM style), with
# clang-format-19. Test inputs under test/ are line-sensitive and exempt.
#   utils/check-format.sh          check every tracked source
#   utils/check-format.sh -i       reformat them in place
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clang_format=${CLANG_FORMAT:-clang-format-19}
mode=(--dry-run -Werror)
[ "${1:-}" = -i ] && mode=(-i)
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.inc' | grep -v '^test/')
"$clang_format" "${mode[@]}" "${files[@]}"
echo "check-format: ${#files[@]} files follow .clang-format"
