//===- HtmlSourcePage.cpp - A page per source file ------------------------===//
//
// f/<id>.html: the source with, per label, what each line is there, as
// `show` prints it (the number of contexts that cover it, 0, '-' for not
// compiled in that label), and per label the lines not covered and not
// compiled. f/<id>.js: the contexts that cover the file, grouped by the
// set of lines they cover (tests that run the same code share a group),
// which site.js reads when a line is chosen to list its tests. Its size
// is bounded by the database's coverage rows of the file.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "FileView.h"
#include "HtmlSite.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace html {

namespace {
/// One file's page, as read from the database and the source.
struct SourcePage {
  FileView View;
  /// The contexts (indices into Site::Contexts) that cover each set of
  /// lines.
  std::map<std::vector<uint32_t>, std::vector<size_t>> Groups;
  std::unique_ptr<MemoryBuffer> Source;
  std::string Unreadable; ///< why Source is null
};
} // namespace

/// Per label: lines and regions covered, and the lines not covered and
/// not compiled there.
static void writeSummary(raw_ostream &OS, const Site &S, const Site::File &F,
                         const FileView &V) {
  OS << "<table class=\"summary\">\n<thead><tr><th>Label<th class=\"num\">Lines"
        "<th class=\"num\">Regions"
        "<th class=\"lines\">Not covered<th class=\"lines\">Not compiled"
        "</tr></thead>\n<tbody>\n";
  for (size_t L = 0; L != S.Labels.size(); ++L) {
    std::vector<uint32_t> Uncovered, Absent;
    for (uint32_t Line = 1; Line <= V.LastLine; ++Line) {
      LineState State = V.state(L, Line);
      if (State == LineState::Uncovered)
        Uncovered.push_back(Line);
      else if (State == LineState::NotCompiled)
        Absent.push_back(Line);
    }
    OS << "<tr><td>" << escape(S.Labels[L].Name) << "<td class=\"num\">";
    if (const auto &Sum = F.PerLabel[L])
      OS << ratio(Sum->CoveredLines, Sum->Lines) << "<td class=\"num\">"
         << ratio(Sum->CoveredRegions, Sum->Regions);
    else
      OS << "-<td class=\"num\">-";
    OS << "<td class=\"lines\">" << lineRanges(Uncovered)
       << "<td class=\"lines\">" << lineRanges(Absent) << "</tr>\n";
  }
  OS << "</tbody>\n</table>\n";
}

/// The row class: covered in every label that compiles the line (c),
/// in none (u), in some (p).
static const char *rowClass(const FileView &V, uint32_t Line) {
  bool Covered = false, Uncovered = false;
  for (size_t C = 0; C != V.Columns.size(); ++C) {
    LineState State = V.state(C, Line);
    Covered |= State == LineState::Covered;
    Uncovered |= State == LineState::Uncovered;
  }
  return Covered ? (Uncovered ? " class=\"p\"" : " class=\"c\"")
                 : (Uncovered ? " class=\"u\"" : "");
}

/// Lines per section of the source: a browser lays out only the sections
/// in view (content-visibility), so a page of thousands of lines loads as
/// fast as one of a hundred.
constexpr uint32_t SectionLines = 100;

/// The source, a line per block: number, a cell per label, text. Blocks,
/// not a table: a table of 4,000 rows took a browser a second to lay out.
static void writeSource(raw_ostream &OS, const Site &S, const SourcePage &P) {
  StringRef Rest = P.Source ? P.Source->getBuffer() : StringRef();
  uint32_t Last = std::max(P.View.LastLine, countSourceLines(Rest));
  // Blocks size no column to its widest cell: the number columns are as
  // wide as the longest label, count or line number (monospace digits).
  size_t Width = std::max({size_t(4), std::to_string(Last).size(),
                           std::to_string(S.Contexts.size()).size()});
  for (const CovDB::Label &L : S.Labels)
    Width = std::max(Width, L.Name.size());
  OS << "<style>div.source span { min-width: " << Width << "ch; }</style>\n"
     << "<div class=\"source\">\n<div class=\"head\"><span>Line</span>";
  for (const CovDB::Label &L : S.Labels)
    OS << "<span>" << escape(L.Name) << "</span>";
  OS << "<code>Source</code></div>\n";
  bool Plain = isPlainText(Rest);
  std::string Text;
  for (uint32_t Line = 1; Line <= Last; ++Line) {
    if (Line % SectionLines == 1) {
      uint32_t InSection = std::min(SectionLines, Last - Line + 1);
      OS << (Line == 1 ? "" : "</section>\n") << "<section";
      if (InSection != SectionLines)
        OS << " style=\"contain-intrinsic-block-size:auto " << InSection
           << "lh\"";
      OS << ">\n";
    }
    OS << "<div id=\"L" << Line << '"' << rowClass(P.View, Line) << "><span>"
       << Line << "</span>";
    for (size_t C = 0; C != S.Labels.size(); ++C) {
      switch (P.View.state(C, Line)) {
      case LineState::Blank:
        OS << "<span>";
        break;
      case LineState::NotCompiled:
        OS << "<span class=\"n\">-";
        break;
      case LineState::Uncovered:
        OS << "<span class=\"u\">0";
        break;
      case LineState::Covered:
        OS << "<span class=\"c\">" << P.View.Columns[C].Count[Line];
      }
      OS << "</span>";
    }
    OS << "<code>";
    size_t End = std::min(Rest.find('\n'), Rest.size());
    if (Plain) {
      writeEscaped(OS, Rest.take_front(End));
    } else {
      Text.clear();
      raw_string_ostream TS(Text);
      writeSourceLine(TS, Rest.take_front(End));
      writeEscaped(OS, Text);
    }
    Rest = Rest.drop_front(std::min(End + 1, Rest.size()));
    OS << "</code></div>\n";
  }
  OS << (Last ? "</section>\n" : "") << "</div>\n";
}

static void writePage(raw_ostream &OS, const Site &S, const Site::File &F,
                      const SourcePage &P) {
  beginPage(OS, F.Short, "../");
  OS << "<h1>" << escape(F.Path) << "</h1>\n";
  writeSummary(OS, S, F, P.View);
  OS << "<p class=\"note\">Per label: the number of its tests (and code run "
        "outside tests) that cover the line; 0: code none of them ran; -: "
        "not compiled in that label. Choose a line for the tests that cover "
        "it.</p>\n";
  uint32_t SourceLines = P.Source ? countSourceLines(P.Source->getBuffer()) : 0;
  if (!P.Source)
    OS << "<p class=\"warning\">The source cannot be read ("
       << escape(P.Unreadable) << "): line numbers only.</p>\n";
  else if (SourceLines < P.View.LastLine)
    OS << "<p class=\"warning\">The source has " << SourceLines
       << " lines; the database knows lines up to " << P.View.LastLine
       << " (changed since the merge?).</p>\n";
  writeSource(OS, S, P);
  endPage(OS, "../", {"../contexts.js", std::to_string(F.Id) + ".js"});
}

/// covlockLines: [line ranges (first, last, ...), contexts] per group.
static void writeLines(raw_ostream &OS, const Site::File &F,
                       const SourcePage &P) {
  // Groups in the order of their first context: the same database always
  // gives the same file.
  std::vector<
      std::pair<const std::vector<size_t> *, const std::vector<uint32_t> *>>
      Order;
  for (const auto &[Lines, Contexts] : P.Groups)
    Order.push_back({&Contexts, &Lines});
  llvm::sort(Order, [](const auto &A, const auto &B) {
    return A.first->front() < B.first->front();
  });
  OS << "// Who covers the lines of " << jsString(F.Short)
     << ": per set of lines, [ranges (first, last, ...), contexts].\n"
        "covlockLines = [\n";
  for (const auto &[Contexts, Lines] : Order) {
    OS << "[[";
    for (size_t I = 0; I != Lines->size();) {
      size_t J = I;
      while (J + 1 != Lines->size() && (*Lines)[J + 1] == (*Lines)[J] + 1)
        ++J;
      OS << (I ? "," : "") << (*Lines)[I] << ',' << (*Lines)[J];
      I = J + 1;
    }
    OS << "], [";
    for (size_t I = 0; I != Contexts->size(); ++I)
      OS << (I ? "," : "") << (*Contexts)[I];
    OS << "]],\n";
  }
  OS << "];\n";
}

static Expected<SourcePage> readPage(const CovDB &DB, const Site &S,
                                     const Site::File &F) {
  SourcePage P;
  auto View = buildFileView(
      DB, F.Id, S.Labels, std::nullopt,
      [&](int64_t Context, int64_t, ArrayRef<uint32_t> Lines) {
        auto It = S.ContextIndex.find(Context);
        if (It != S.ContextIndex.end())
          P.Groups[std::vector<uint32_t>(Lines.begin(), Lines.end())].push_back(
              It->second);
      });
  if (!View)
    return View.takeError();
  P.View = std::move(*View);
  auto Source = readSourceFile(sourcePathToRead(F.Path));
  if (Source)
    P.Source = std::move(*Source);
  else
    P.Unreadable = toString(Source.takeError());
  return std::move(P);
}

Error writeSourcePages(const CovDB &DB, const Site &S, StringRef Dir,
                       function_ref<void(StringRef, StringRef)> Unreadable) {
  for (const Site::File &F : S.Files) {
    auto P = readPage(DB, S, F);
    if (!P)
      return P.takeError();
    if (!P->Source)
      Unreadable(sourcePathToRead(F.Path), P->Unreadable);
    std::string Base = (Dir + "/f/" + Twine(F.Id)).str();
    if (Error E = writeFile(Base + ".html",
                            [&](raw_ostream &OS) { writePage(OS, S, F, *P); }))
      return E;
    if (Error E = writeFile(Base + ".js",
                            [&](raw_ostream &OS) { writeLines(OS, F, *P); }))
      return E;
  }
  return Error::success();
}

} // namespace html
