#!/usr/bin/env bash
# html.sh BUILD_DIR
#
# llvm-covmerge html at scale: a generated program of FUNCS (20,000)
# functions in NGROUPS (2,000) groups, a source file each (and main.c),
# TESTS (10,000) tests run in one process between covlock_test_begin/end
# (test k runs group k mod NGROUPS, so 5 tests a file), merged into a covdb under LABELS (one label,
# "linux"; LABELS="linux mac" runs the tests once per label). Then:
#   - the time and peak memory of `llvm-covmerge html` (/usr/bin/time);
#   - the site's size: all of it, and per kind of file its count, total
#     and largest (index.html, files.js, tests.html, contexts.js,
#     f/*.html, f/*.js, t/*.html);
#   - with chromium installed, the time a page takes to load from disk
#     in headless chromium, to its load event (scripts run) and to the
#     first frame after it (the layout that frame needs): the index, the
#     table of tests, the largest source page with a line's tests open,
#     and the largest test page.
#
# Environment (optional): FUNCS NGROUPS TESTS LABELS, WORK (default
# BUILD_DIR/bench-html), CC (clang-19).
set -euo pipefail

export FUNCS=${FUNCS:-20000} NGROUPS=${NGROUPS:-2000}
tests=${TESTS:-10000}
labels=${LABELS:-linux}
BENCH_NAME=html.sh BENCH_WORK=bench-html
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
covmerge=$build/bin/llvm-covmerge
require "$covlock" "$covmerge" "$build/lib/libcovlock_rt.so"

src=$work/src-$funcs-$groups
if [ ! -f "$src/main.c" ]; then
  python3 "$here/gen_program.py" -n "$funcs" -g "$groups" --parts "$groups" -o "$src.tmp"
  rm -rf "$src" && mv "$src.tmp" "$src"
fi
prog=$work/prog-$funcs-$groups
if [ ! -x "$prog" ]; then
  echo "compiling $funcs functions in $groups files..." >&2
  # Many files per clang: each is small, and the driver's start-up is most
  # of the time.
  (cd "$src" && ls part-*.c | xargs -P2 -n 100 $cc $cflags -fprofile-instr-generate -fcoverage-mapping -c)
  # shellcheck disable=SC2086
  $cc $cflags -DIN_PROCESS_TESTS -fprofile-instr-generate -fcoverage-mapping \
    -c "$src/main.c" -o "$src/main.o.tmp" && mv "$src/main.o.tmp" "$src/main.o"
  # shellcheck disable=SC2046,SC2086
  $cc -fprofile-instr-generate "$src"/part-*.o "$src/main.o" \
    $("$covlock" link-flags) -o "$prog"
fi

db=$work/html-$tests.covdb
if [ ! -f "$db" ]; then
  dirs=()
  for label in $labels; do
    rm -rf "$work/cov-$label"
    "$covlock" run --dir "$work/cov-$label" --label "$label" -- "$prog" -n "$tests" >/dev/null 2>&1
    dirs+=("$work/cov-$label")
  done
  "$covmerge" "${dirs[@]}" -o "$db" --quiet
fi
echo "covdb: $(du -b "$db" | cut -f1) bytes, $tests tests x labels ($labels), $groups files + main.c"

site=$work/site
/usr/bin/time -f "%e %M" -o "$work/html.time" "$covmerge" html "$db" -o "$site"
read -r secs kb < "$work/html.time"
echo "llvm-covmerge html: $secs s, peak $((kb / 1024)) MB"
echo "site: $(du -sb "$site" | cut -f1) bytes in $(find "$site" -type f | wc -l) files"
for kind in index.html files.js tests.html contexts.js 'f/*.html' 'f/*.js' 't/*.html'; do
  # shellcheck disable=SC2086
  stat -c %s $site/$kind | sort -n | awk -v k="$kind" \
    '{n++; s+=$1; m=$1} END {printf "  %-12s %6d files, %12d bytes, largest %10d\n", k, n, s, m}'
done

command -v chromium >/dev/null || { echo "(no chromium: page load times skipped)"; exit 0; }
# measure.html loads a page in an iframe and writes into its own DOM, which
# --dump-dom prints, the time to its load event (parsing, scripts) and to
# the first frame after it (requestAnimationFrame: the layout a script's
# changes need is in it).
largest() { ls -S "$site"/$1 | sed -n 1p; }
src_page=$(largest 'f/*.html')
test_page=$(largest 't/*.html')
line=$(grep -o 'id="L[0-9]*" class="c"' "$src_page" | head -n 1 | sed 's/[^0-9]//g')
cat > "$site/measure.html" <<'HTML'
<!DOCTYPE html><html><body><iframe id="f" width="1200" height="800"></iframe>
<script>
var f = document.getElementById("f"), t0 = performance.now();
f.onload = function () {
  document.body.setAttribute("data-ms", Math.round(performance.now() - t0));
  requestAnimationFrame(function () {
    document.body.setAttribute("data-frame-ms", Math.round(performance.now() - t0));
  });
};
f.src = decodeURIComponent(location.hash.slice(1));
</script></body></html>
HTML
for page in index.html tests.html "${src_page#"$site"/}#L$line" "${test_page#"$site"/}"; do
  # The DOM may be dumped before that frame: then the page is loaded again.
  for _ in 1 2 3; do
    dom=$(env HOME="$work" timeout 120 chromium --headless --no-sandbox --disable-gpu \
            --no-first-run --user-data-dir="$work/chromium" \
            --dump-dom "file://$site/measure.html#$page" 2>/dev/null || true)
    grep -q 'data-frame-ms=' <<< "$dom" && break
  done
  ms=$(grep -o 'data-ms="[0-9]*"' <<< "$dom" | grep -o '[0-9]*' || echo '?')
  frame=$(grep -o 'data-frame-ms="[0-9]*"' <<< "$dom" | grep -o '[0-9]*' || echo '?')
  echo "  load $page: $ms ms, first frame after it: $frame ms"
done
rm -f "$site/measure.html"
