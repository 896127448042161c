//===- HtmlAssets.cpp - The site's stylesheet and script ------------------===//
//
// One stylesheet and one script for every page, plain: no framework, and
// nothing loaded from the network. site.js sorts tables (a click on a
// column's head), filters them, draws the table of tests from contexts.js,
// and on a source page lists the tests that cover the chosen line (#L<n>
// in the address chooses one) from contexts.js and the page's f/<id>.js.
//
//===----------------------------------------------------------------------===//

#include "HtmlSite.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace html {

static constexpr const char Style[] = R"css(/* llvm-covmerge html */
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
nav a { margin-right: 1em; }
h1 { font-size: 1.4em; word-break: break-all; }
h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 1px 8px; text-align: left; vertical-align: top; }
th { background: #eee; border-bottom: 1px solid #bbb; }
.fail { color: #b00; font-weight: bold; }
/* Numbers right-aligned, text left: numeric columns are class num (the
   index's cells carry their value in data-v already). */
.num, td[data-v] { text-align: right; }
tbody tr:nth-child(even) { background: #f7f7f7; }
tfoot td { border-top: 1px solid #bbb; font-weight: bold; }
table.sortable th, #tests th { cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \25b2"; }
th[aria-sort=descending]::after { content: " \25bc"; }
td.lines { max-width: 50em; }
table.deferred { display: none; } /* until site.js has run */
.note { color: #555; }
.warning { color: #a40; }
.problems { color: #a40; }
.dubious { color: #a40; }
input.filter { width: 30em; }
div.source { font: 13px/1.35 ui-monospace, monospace; margin: 0.5em 0; }
div.source section { content-visibility: auto;
                     contain-intrinsic-block-size: auto 100lh; }
div.source div[id], div.source div.head { white-space: pre; tab-size: 8; }
div.source div[id] { cursor: pointer; }
div.source span { display: inline-block; padding: 0 6px; text-align: right; }
div.source span:first-child { color: #888; }
div.source code { font: inherit; padding: 0 6px; text-align: left; }
div.source div.head { background: #eee; border-bottom: 1px solid #bbb;
                      font-weight: bold; }
div.source div.head span:first-child { color: inherit; }
div.source div.c { background: #e6f5e6; }
div.source div.u { background: #fbe3e3; }
div.source div.p { background: #fbf3d5; }
span.c { color: #170; }
span.u { color: #b00; font-weight: bold; }
span.n { color: #999; }
div.source div.selected { outline: 1px solid #88a; }
div.who { background: #eef; color: #222; padding: 4px 8px;
          font: 13px/1.4 system-ui, sans-serif; }
div.who div { margin: 2px 0; }
)css";

static constexpr const char Script[] = R"js(// llvm-covmerge html
(function () {
  "use strict";

  // Tables kept out of layout while the page was parsed: shown now, laid
  // out once.
  document.querySelectorAll("table.deferred").forEach(function (table) {
    table.classList.remove("deferred");
  });

  // Tables: a click on a column's head sorts by it (again: reversed);
  // rows that tie keep the page's order, whatever was sorted before.
  function sortBy(table, th) {
    var col = th.cellIndex;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var keyed = Array.prototype.map.call(body.rows, function (row) {
      var cell = row.cells[col], v = cell ? cell.getAttribute("data-v") : null;
      var key = v !== null ? parseFloat(v) : (cell ? cell.textContent : "");
      return { row: row, key: key };
    });
    keyed.sort(function (a, b) {
      var d = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return (ascending ? d : -d) || a.row.covlockIndex - b.row.covlockIndex;
    });
    var rows = document.createDocumentFragment();
    keyed.forEach(function (k) { rows.appendChild(k.row); });
    body.appendChild(rows);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row, i) {
      row.covlockIndex = i;
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter") sortBy(table, th);
      });
    });
  });

  // Filters: rows whose first cell (the file's name) holds what is typed,
  // in any case; not the numbers, which "1" or "%" would match in every row.
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase(), rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++)
        rows[i].hidden = q !== "" &&
          rows[i].cells[0].textContent.toLowerCase().indexOf(q) < 0;
    });
  });

  // The table of tests, from contexts.js: sorted and filtered as data,
  // drawn a page of rows at a time (a static table of 10,000 rows takes
  // seconds to lay out).
  var tests = document.getElementById("tests");
  if (tests && window.covlockContexts) drawTests(tests);
  function drawTests(table) {
    var page = 200, shown = page, filter = "", column = -1, ascending = true;
    var more = document.getElementById("tests-more");
    var heads = table.tHead.rows[0].cells;
    var value = [
      function (c) { return covlockLabels[c[0]]; },
      function (c) { return c[1] === null ? "(outside tests)" : c[1]; },
      function (c) { return c[4]; }, function (c) { return c[5]; },
      function (c) { return c[2]; }, function (c) { return c[6]; },
      function (c) { return c[7]; }, function (c) { return c[8]; },
      function (c) { return c[9]; }];
    var order = covlockContexts.map(function (c, i) { return i; });
    function draw() {
      var rows = filter === "" ? order : order.filter(function (i) {
        var c = covlockContexts[i];
        return (value[0](c) + " " + value[1](c) + " " + c[2]).toLowerCase()
          .indexOf(filter) >= 0;
      });
      var body = document.createElement("tbody");
      rows.slice(0, shown).forEach(function (i) {
        var c = covlockContexts[i], tr = body.insertRow();
        for (var k = 0; k < value.length; k++) {
          var td = tr.insertCell();
          if (k !== 1) td.textContent = value[k](c);
          else add(td, "a", value[1](c)).href = "t/" + c[3] + ".html";
          if (k > 1 && k !== 4 && k !== 8) td.className = "num";
        }
        tr.cells[4].className = c[2];
        if (c[9].lastIndexOf("FAIL", 0) === 0) tr.cells[8].className = "fail";
      });
      table.replaceChild(body, table.tBodies[0]);
      more.textContent = rows.length + (rows.length === 1 ? " row" : " rows");
      if (rows.length <= shown) return;
      more.textContent += ", the first " + shown + " shown. ";
      add(more, "button", "Show more").addEventListener("click", function () {
        shown += page;
        draw();
      });
    }
    function sortBy(k) {
      ascending = column === k ? !ascending : true;
      column = k;
      for (var h = 0; h < heads.length; h++) heads[h].removeAttribute("aria-sort");
      heads[k].setAttribute("aria-sort", ascending ? "ascending" : "descending");
      order.sort(function (x, y) {
        var a = value[k](covlockContexts[x]), b = value[k](covlockContexts[y]);
        var d = a < b ? -1 : a > b ? 1 : 0;
        return (ascending ? d : -d) || x - y;
      });
      draw();
    }
    Array.prototype.forEach.call(heads, function (th, k) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(k); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter") sortBy(k);
      });
    });
    document.getElementById("tests-filter").addEventListener("input", function (e) {
      filter = e.target.value.toLowerCase();
      shown = page;
      draw();
    });
    draw();
  }

  // A source page: the tests that cover a line, per label.
  var source = document.querySelector("div.source");
  if (!source) return;
  var heads = source.querySelector("div.head").children;
  var labels = heads.length - 2;
  var open = null, selected = null;

  function covers(ranges, line) {
    var lo = 0, hi = ranges.length / 2 - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (line < ranges[2 * mid]) hi = mid - 1;
      else if (line > ranges[2 * mid + 1]) lo = mid + 1;
      else return true;
    }
    return false;
  }
  // Per label: the contexts (indices into covlockContexts) covering line.
  function contextsOf(line) {
    var perLabel = [];
    for (var l = 0; l < labels; l++) perLabel.push([]);
    (window.covlockLines || []).forEach(function (group) {
      if (!covers(group[0], line)) return;
      group[1].forEach(function (c) { perLabel[covlockContexts[c][0]].push(c); });
    });
    perLabel.forEach(function (list) { list.sort(function (a, b) { return a - b; }); });
    return perLabel;
  }
  function add(parent, tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  // A line every test runs has thousands: the first hundred, the rest on
  // demand (10,000 links took seconds to lay out).
  var listed = 100;
  function listContexts(div, list) {
    function link(c, i) {
      var context = covlockContexts[c];
      if (i) div.appendChild(document.createTextNode(", "));
      var a = add(div, "a", context[1] === null ? "(outside tests)" : context[1]);
      a.href = "../t/" + context[3] + ".html";
      a.title = context[2];
    }
    list.slice(0, listed).forEach(link);
    if (list.length <= listed) return;
    var more = add(div, "button", "all " + list.length);
    more.addEventListener("click", function () {
      div.removeChild(more);
      list.slice(listed).forEach(function (c, i) { link(c, listed + i); });
    });
  }
  function close() {
    if (open) open.parentNode.removeChild(open);
    if (selected) selected.classList.remove("selected");
    open = selected = null;
  }
  function show(line) {
    close();
    var row = document.getElementById("L" + line);
    if (!row) return;
    var loaded = window.covlockLines && window.covlockContexts;
    var perLabel = loaded ? contextsOf(line) : [];
    open = document.createElement("div");
    open.className = "who";
    add(open, "b", "Line " + line);
    for (var l = 0; l < labels; l++) {
      var div = add(open, "div");
      add(div, "b", heads[1 + l].textContent + ": ");
      var state = row.children[1 + l].className;
      if (state === "n") add(div, "span", "not compiled in this label");
      else if (state === "u") add(div, "span", "no test covers this line");
      else if (state !== "c") add(div, "span", "not code");
      else if (!loaded) add(div, "span", "(the site's data did not load)");
      else listContexts(div, perLabel[l]);
    }
    row.parentNode.insertBefore(open, row.nextSibling);
    row.classList.add("selected");
    selected = row;
  }
  function fromHash() {
    var m = /^#L([0-9]+)$/.exec(location.hash);
    if (m) show(m[1]); else close();
  }
  source.addEventListener("click", function (e) {
    if (e.target.closest("a")) return;
    var row = e.target.closest("div[id]");
    if (!row || !source.contains(row)) return;
    if (row === selected) {
      close();
      history.replaceState(null, "", location.pathname);
      return;
    }
    history.replaceState(null, "", "#" + row.id);
    show(row.id.slice(1));
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
)js";

Error writeAssets(StringRef Dir) {
  if (Error E =
          writeFile(Dir + "/style.css", [](raw_ostream &OS) { OS << Style; }))
    return E;
  return writeFile(Dir + "/site.js", [](raw_ostream &OS) { OS << Script; });
}

} // namespace html
