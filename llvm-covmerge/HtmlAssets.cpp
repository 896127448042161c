//===- HtmlAssets.cpp - The site's stylesheet and script ------------------===//
//
// One stylesheet and one script for every page, plain: no framework, and
// nothing loaded from the network. site.js draws the tables of tests
// (from contexts.js) and of files (files.js) a page of rows at a time,
// sorts tables (a click on a column's head) and filters them, and on a
// source page lists the tests that cover the chosen line (#L<n>
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
   labels' cells carry their value in data-v already). */
.num, td[data-v] { text-align: right; }
tbody tr:nth-child(even) { background: #f7f7f7; }
tfoot td { border-top: 1px solid #bbb; font-weight: bold; }
th[tabindex] { cursor: pointer; user-select: none; } /* sortable */
th[aria-sort=ascending]::after { content: " \25b2"; }
th[aria-sort=descending]::after { content: " \25bc"; }
td.lines { max-width: 50em; }
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

  // Tables sorted, filtered and drawn a page of rows at a time, as data: the
  // table of tests (contexts.js) and the index's table of files
  // (files.js), whose static tables of 10,000 or 2,000 rows took a second
  // or more to lay out; and the index's table of labels, whose rows are
  // its own. spec: rows, key[k](row) (column k's sort key: a number sorts
  // by value), draw(row) (its tr); with a filter (an input), text(row) is
  // the fields it looks in, in any case (a row is kept when one holds the
  // text); with more (an element), rows are drawn
  // page rows at a time, more says how many there are and holds the
  // "Show more" button.
  // A click (or Enter) on a column's head sorts by it (again: reversed);
  // rows that tie keep the data's order, whatever was sorted before.
  function dataTable(table, spec) {
    var page = spec.more ? 200 : Infinity, shown = page, query = "";
    var column = -1, ascending = true, heads = table.tHead.rows[0].cells;
    var order = spec.rows.map(function (row, i) { return i; });
    function draw() {
      var rows = query === "" ? order : order.filter(function (i) {
        return spec.text(spec.rows[i]).some(function (field) {
          return field.toLowerCase().indexOf(query) >= 0;
        });
      });
      var body = document.createElement("tbody");
      rows.slice(0, shown).forEach(function (i) {
        body.appendChild(spec.draw(spec.rows[i]));
      });
      table.replaceChild(body, table.tBodies[0]);
      var more = spec.more;
      if (!more) return;
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
      var key = spec.rows.map(spec.key[k]);
      order.sort(function (x, y) {
        var a = key[x], b = key[y], d = a < b ? -1 : a > b ? 1 : 0;
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
    if (spec.filter) spec.filter.addEventListener("input", function () {
      query = spec.filter.value.toLowerCase();
      shown = page;
      draw();
    });
    draw();
  }
  function add(parent, tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  // "part/whole (pct)" as the pages write it (printf's "%.2f", which
  // rounds a tie to even where toFixed rounds it up: only x.125 and x.625
  // are ties that a double holds exactly).
  function ratio(part, whole) {
    if (whole <= 0) return part + "/" + whole;
    var pct = 100 * part / whole;
    var text = (pct * 8) % 4 === 1 ? (Math.floor(pct * 100) / 100).toFixed(2)
                                   : pct.toFixed(2);
    return part + "/" + whole + " (" + text + "%)";
  }

  // The index's labels: its own rows, a cell's key its data-v or text.
  var labelTable = document.getElementById("labels");
  if (labelTable) drawLabels(labelTable);
  function drawLabels(table) {
    dataTable(table, {
      rows: Array.prototype.slice.call(table.tBodies[0].rows),
      key: Array.prototype.map.call(table.tHead.rows[0].cells, function (th, k) {
        return function (tr) {
          var v = tr.cells[k].getAttribute("data-v");
          return v !== null ? parseFloat(v) : tr.cells[k].textContent;
        };
      }),
      draw: function (tr) { return tr; }
    });
  }

  // The index's files, from files.js: [page, name, then per label and the
  // union: covered and executable lines, covered and all regions (null:
  // the label does not compile the file)]. A ratio sorts by its
  // percentage, "-" and 0/0 first.
  var fileTable = document.getElementById("files");
  if (fileTable && window.covlockFiles) drawFiles(fileTable);
  function drawFiles(table) {
    function ratioKey(k) {
      return function (f) {
        return f[k] === null || f[k + 1] <= 0 ? -1 : 100 * f[k] / f[k + 1];
      };
    }
    var key = [function (f) { return f[1]; }];
    for (var k = 1; k < table.tHead.rows[0].cells.length; k++)
      key.push(ratioKey(2 * k));
    dataTable(table, {
      rows: covlockFiles, key: key,
      text: function (f) { return [f[1]]; },
      filter: document.getElementById("files-filter"),
      more: document.getElementById("files-more"),
      draw: function (f) {
        var tr = document.createElement("tr");
        add(add(tr, "td"), "a", f[1]).href = "f/" + f[0] + ".html";
        for (var k = 2; k < f.length; k += 2)
          add(tr, "td", f[k] === null ? "-" : ratio(f[k], f[k + 1]))
            .className = "num";
        return tr;
      }
    });
  }

  // The table of tests, from contexts.js.
  var testTable = document.getElementById("tests");
  if (testTable && window.covlockContexts) drawTests(testTable);
  function drawTests(table) {
    var value = [
      function (c) { return covlockLabels[c[0]]; },
      function (c) { return c[1] === null ? "(outside tests)" : c[1]; },
      function (c) { return c[4]; }, function (c) { return c[5]; },
      function (c) { return c[2]; }, function (c) { return c[6]; },
      function (c) { return c[7]; }, function (c) { return c[8]; },
      function (c) { return c[9]; }];
    dataTable(table, {
      rows: covlockContexts, key: value,
      text: function (c) { return [value[0](c), value[1](c), c[2]]; },
      filter: document.getElementById("tests-filter"),
      more: document.getElementById("tests-more"),
      draw: function (c) {
        var tr = document.createElement("tr");
        for (var k = 0; k < value.length; k++) {
          var td = add(tr, "td");
          if (k !== 1) td.textContent = value[k](c);
          else add(td, "a", value[1](c)).href = "t/" + c[3] + ".html";
          if (k > 1 && k !== 4 && k !== 8) td.className = "num";
        }
        tr.cells[4].className = c[2];
        if (c[9].lastIndexOf("FAIL", 0) === 0) tr.cells[8].className = "fail";
        return tr;
      }
    });
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
