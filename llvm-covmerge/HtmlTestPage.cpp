//===- HtmlTestPage.cpp - A page per test ---------------------------------===//
//
// t/<n>.html: per label that ran the test, its context (confidence,
// processes, lost processes, failed flushes, unreadable profiles and the
// problems recorded against it) and the files and lines it covers, each
// range of lines a link to the source page. A page's size grows with the
// ranges of lines its contexts cover.
//
//===----------------------------------------------------------------------===//

#include "HtmlSite.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;

namespace html {

/// A context's problems, as a list.
static void writeProblems(raw_ostream &OS, ArrayRef<MergeProblem> Problems) {
  if (Problems.empty())
    return;
  OS << "<ul class=\"problems\">\n";
  for (const MergeProblem &P : Problems)
    OS << "<li>" << escape(P.Kind) << ": " << escape(P.Path) << ": "
       << escape(P.Message) << "</li>\n";
  OS << "</ul>\n";
}

/// "<a>14</a>, <a>16-21</a>": each range of \p Lines linked to its first
/// line on the page of file \p FileId.
static void writeLineLinks(raw_ostream &OS, int64_t FileId,
                           ArrayRef<uint32_t> Lines) {
  for (size_t I = 0; I != Lines.size();) {
    size_t J = I;
    while (J + 1 != Lines.size() && Lines[J + 1] == Lines[J] + 1)
      ++J;
    OS << (I ? ", " : "") << "<a href=\"../f/" << FileId << ".html#L"
       << Lines[I] << "\">" << Lines[I];
    if (J != I)
      OS << '-' << Lines[J];
    OS << "</a>";
    I = J + 1;
  }
}

/// One label's part of a test's page.
static Error writeContext(raw_ostream &OS, const CovDB &DB, const Site &S,
                          const CovDB::ContextInfo &C) {
  auto Files = DB.coveredLines(C.Id);
  if (!Files)
    return Files.takeError();
  OS << "<h2>" << escape(C.Label) << "</h2>\n<p>Confidence <span class=\""
     << confidenceName(C.Conf) << "\">" << confidenceName(C.Conf)
     << "</span>; processes " << C.Processes << ", lost " << C.Lost
     << ", failed " << C.Failed << ", unreadable " << C.Unreadable << "; lines "
     << C.LinesCovered << ", regions " << C.RegionsCovered << ".</p>\n";
  TestOutcomes O = C.outcomes();
  if (O.ends())
    OS << "<p>Outcome <span" << (O.Failed ? " class=\"fail\"" : "") << ">"
       << O.summary() << "</span>: " << O.ends() << " test end"
       << (O.ends() == 1 ? "" : "s") << ", " << O.Passed << " passed, "
       << O.Failed << " failed, " << O.Skipped << " skipped.</p>\n";
  else if (C.Test)
    OS << "<p>Outcome -: no test end recorded (a test that is a process of "
          "its own records none, and an in-process test that crashed or "
          "exited never reached its end).</p>\n";
  auto Problems = S.Problems.find(C.Id);
  if (Problems != S.Problems.end())
    writeProblems(OS, Problems->second);
  OS << "<table>\n<thead><tr><th>File<th class=\"num\">Lines<th>Covered "
        "lines</tr></thead>"
        "\n<tbody>\n";
  for (const CovDB::FileLines &F : *Files) {
    auto It = S.FileIndex.find(F.FileId);
    StringRef Name =
        It == S.FileIndex.end() ? StringRef(F.Path) : S.Files[It->second].Short;
    OS << "<tr><td><a href=\"../f/" << F.FileId << ".html\">" << escape(Name)
       << "</a><td class=\"num\">" << F.Lines.size() << "<td class=\"lines\">";
    writeLineLinks(OS, F.FileId, F.Lines);
    OS << "</tr>\n";
  }
  OS << "</tbody>\n</table>\n";
  return Error::success();
}

Error writeTestPages(const CovDB &DB, const Site &S, StringRef Dir) {
  std::vector<std::vector<size_t>> ContextsOf(S.Tests.size());
  for (size_t I = 0; I != S.Contexts.size(); ++I)
    ContextsOf[S.TestPage[I]].push_back(I);
  for (size_t Page = 0; Page != S.Tests.size(); ++Page) {
    Error Failed = Error::success();
    Error Written =
        writeFile(Dir + "/t/" + Twine(Page) + ".html", [&](raw_ostream &OS) {
          std::string Name = testName(S.Tests[Page]);
          beginPage(OS, Name, "../");
          OS << "<h1>" << (S.Tests[Page] ? "Test " : "") << escape(Name)
             << "</h1>\n";
          for (size_t I : ContextsOf[Page])
            if (Error E = writeContext(OS, DB, S, S.Contexts[I])) {
              Failed = joinErrors(std::move(Failed), std::move(E));
              break;
            }
          endPage(OS, "../");
        });
    if (Failed)
      return joinErrors(std::move(Failed), std::move(Written));
    if (Written)
      return Written;
  }
  return Error::success();
}

} // namespace html
