//===- HtmlIndex.cpp - The site's index and table of tests ----------------===//
//
// index.html: per label (its contexts by confidence, processes, lost
// processes, failed flushes, unreadable profiles, lines, regions) and per
// source file (lines and regions covered in each label and in their
// union), the files drawn by site.js from files.js. tests.html: report
// --by-test's table (outcome included), drawn by site.js from contexts.js,
// which also names the contexts that cover a line on the source pages.
// Tables sort by a click on a column's head (site.js); the labels' numeric
// cells carry their value in data-v.
//
//===----------------------------------------------------------------------===//

#include "HtmlSite.h"
#include "covlock/Tool/Tool.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;

namespace html {

/// A cell "part/whole (pct)" sorting by its percentage; "-" (sorting
/// first) when there is nothing.
static void ratioCell(raw_ostream &OS,
                      std::optional<std::pair<int64_t, int64_t>> R) {
  if (!R || R->second <= 0) {
    OS << "<td data-v=\"-1\">" << (R ? ratio(R->first, R->second) : "-");
    return;
  }
  OS << "<td data-v=\"" << format("%.4f", 100.0 * R->first / R->second) << "\">"
     << ratio(R->first, R->second);
}

static void numberCell(raw_ostream &OS, int64_t N) {
  OS << "<td data-v=\"" << N << "\">" << N;
}

/// One row per label: its contexts by confidence and their problems,
/// its lines and regions over all files.
static void writeLabels(raw_ostream &OS, const Site &S) {
  OS << "<h2>Labels</h2>\n<table id=\"labels\">\n<thead><tr><th>Label"
        "<th class=\"num\">Tests<th class=\"num\">Exact"
        "<th class=\"num\">Normal<th class=\"num\">Dubious"
        "<th class=\"num\">Outside tests<th class=\"num\">Processes"
        "<th class=\"num\">Lost<th class=\"num\">Failed"
        "<th class=\"num\">Unreadable<th class=\"num\">Lines"
        "<th class=\"num\">Regions"
        "</tr></thead>\n<tbody>\n";
  for (size_t L = 0; L != S.Labels.size(); ++L) {
    int64_t Tests = 0, Processes = 0, Lost = 0, Failed = 0, Unreadable = 0;
    int64_t ByConfidence[4] = {0, 0, 0, 0};
    for (const CovDB::ContextInfo &C : S.Contexts) {
      if (C.LabelId != S.Labels[L].Id)
        continue;
      Tests += C.Test.has_value();
      ++ByConfidence[size_t(C.Conf)];
      Processes += C.Processes;
      Lost += C.Lost;
      Failed += C.Failed;
      Unreadable += C.Unreadable;
    }
    int64_t Lines = 0, Covered = 0, Regions = 0, CoveredRegions = 0;
    for (const Site::File &F : S.Files)
      if (const auto &Sum = F.PerLabel[L]) {
        Lines += Sum->Lines;
        Covered += Sum->CoveredLines;
        Regions += Sum->Regions;
        CoveredRegions += Sum->CoveredRegions;
      }
    OS << "<tr><td>" << escape(S.Labels[L].Name);
    for (int64_t N : {Tests, ByConfidence[0], ByConfidence[1], ByConfidence[2],
                      ByConfidence[3], Processes, Lost, Failed, Unreadable})
      numberCell(OS, N);
    ratioCell(OS, std::pair(Covered, Lines));
    ratioCell(OS, std::pair(CoveredRegions, Regions));
    OS << "</tr>\n";
  }
  OS << "</tbody>\n</table>\n<p class=\"note\">Processes, lost, failed "
        "and unreadable: summed over the label's contexts. A process that "
        "ran in-process tests counts in each of them and outside them "
        "(<code>llvm-covlock status</code> counts it once).</p>\n";
}

/// The table of files: its head and totals, its rows drawn by site.js from
/// files.js (writeFileScript) a page at a time: a static table of 2,000
/// files took the browser most of a second to lay out.
static void writeFiles(raw_ostream &OS, const Site &S) {
  OS << "<h2>Files</h2>\n<p><input type=\"search\" class=\"filter\" "
        "id=\"files-filter\" placeholder=\"Filter files\"></p>\n"
        "<table id=\"files\">\n<thead><tr><th>File";
  for (const CovDB::Label &L : S.Labels)
    OS << "<th class=\"num\">" << escape(L.Name) << " lines<th class=\"num\">"
       << escape(L.Name) << " regions";
  OS << "<th class=\"num\">Union lines<th class=\"num\">Union regions</tr>"
        "</thead>\n<tbody></tbody>\n";
  std::vector<std::pair<int64_t, int64_t>> Totals(2 * S.Labels.size() + 2);
  auto Add = [&](size_t Col, int64_t Part, int64_t Whole) {
    Totals[Col].first += Part;
    Totals[Col].second += Whole;
  };
  for (const Site::File &F : S.Files) {
    for (size_t L = 0; L != S.Labels.size(); ++L)
      if (const auto &Sum = F.PerLabel[L]) {
        Add(2 * L, Sum->CoveredLines, Sum->Lines);
        Add(2 * L + 1, Sum->CoveredRegions, Sum->Regions);
      }
    Add(Totals.size() - 2, F.Union.CoveredLines, F.Union.Lines);
    Add(Totals.size() - 1, F.Union.CoveredRegions, F.Union.Regions);
  }
  OS << "<tfoot><tr><td>Total";
  for (const auto &T : Totals)
    OS << "<td class=\"num\">" << ratio(T.first, T.second);
  OS << "</tr></tfoot>\n</table>\n<p id=\"files-more\"></p>\n<noscript><p>"
        "The table is drawn by site.js from files.js.</p></noscript>\n";
}

Error writeIndex(const Site &S, StringRef Dir) {
  return writeFile(Dir + "/index.html", [&](raw_ostream &OS) {
    beginPage(OS, "Coverage", "");
    size_t Tests = S.Tests.size();
    bool Outside = Tests && !S.Tests.front();
    OS << "<h1>Coverage</h1>\n<p>" << tool::countOf(S.Files.size(), "file")
       << ", " << tool::countOf(S.Labels.size(), "label") << ", "
       << tool::countOf(Tests - Outside, "test")
       << (Outside ? " and code run outside tests" : "")
       << ": <a href=\"tests.html\">per test</a>.</p>\n";
    writeLabels(OS, S);
    writeFiles(OS, S);
    OS << "<p class=\"note\">Lines " << escape(S.LinesCounted)
       << ", each source line once. Union: lines covered in some label / "
          "lines executable in some label; its regions are the labels' "
          "added. -: the label does not compile the file.</p>\n";
    endPage(OS, "", {"files.js"});
  });
}

Error writeFileScript(const Site &S, StringRef Dir) {
  return writeFile(Dir + "/files.js", [&](raw_ostream &OS) {
    OS << "// The files: [page, name, then per label and the union: covered "
          "and executable lines, covered and all regions (null: the label "
          "does not compile the file)].\ncovlockFiles = [\n";
    auto Add = [&](const CovDB::FileSummary &Sum) {
      OS << ", " << Sum.CoveredLines << ", " << Sum.Lines << ", "
         << Sum.CoveredRegions << ", " << Sum.Regions;
    };
    for (const Site::File &F : S.Files) {
      OS << "[" << F.Id << ", " << jsString(F.Short);
      for (const auto &Sum : F.PerLabel) {
        if (Sum)
          Add(*Sum);
        else
          OS << ", null, null, null, null";
      }
      Add(F.Union);
      OS << "],\n";
    }
    OS << "];\n";
  });
}

Error writeTestTable(const Site &S, StringRef Dir) {
  // Drawn by site.js from contexts.js: a static table of every context
  // takes seconds to lay out at 10,000 tests; the script draws the rows
  // of the sorted, filtered list a page at a time.
  return writeFile(Dir + "/tests.html", [&](raw_ostream &OS) {
    beginPage(OS, "Tests", "");
    OS << "<h1>Tests</h1>\n<p>" << S.Contexts.size()
       << " contexts (label and test).</p>\n<p><input type=\"search\" "
          "id=\"tests-filter\" placeholder=\"Filter tests\"></p>\n"
          "<table id=\"tests\">\n<thead><tr><th>Label<th>Test"
          "<th class=\"num\">Lines<th class=\"num\">Regions<th>Confidence"
          "<th class=\"num\">Processes<th class=\"num\">Lost"
          "<th class=\"num\">Unreadable<th>Outcome"
          "</tr></thead>\n<tbody></tbody>\n</table>\n<p id=\"tests-more\">"
          "</p>\n<noscript><p>The table is drawn by site.js from "
          "contexts.js.</p></noscript>\n";
    endPage(OS, "", {"contexts.js"});
  });
}

Error writeContextScript(const Site &S, StringRef Dir) {
  return writeFile(Dir + "/contexts.js", [&](raw_ostream &OS) {
    OS << "// The contexts: [label, test (null: outside tests), confidence, "
          "test page, lines, regions, processes, lost, unreadable, "
          "outcome].\n"
          "covlockLabels = [";
    for (size_t L = 0; L != S.Labels.size(); ++L)
      OS << (L ? ", " : "") << jsString(S.Labels[L].Name);
    OS << "];\ncovlockContexts = [\n";
    for (size_t I = 0; I != S.Contexts.size(); ++I) {
      const CovDB::ContextInfo &C = S.Contexts[I];
      OS << "[" << S.LabelIndex.lookup(C.LabelId) << ", "
         << (C.Test ? jsString(*C.Test) : "null") << ", \""
         << confidenceName(C.Conf) << "\", " << S.TestPage[I];
      for (int64_t N : {C.LinesCovered, C.RegionsCovered, C.Processes, C.Lost,
                        C.Unreadable})
        OS << ", " << N;
      OS << ", " << jsString(C.outcomes().summary()) << "],\n";
    }
    OS << "];\n";
  });
}

} // namespace html
