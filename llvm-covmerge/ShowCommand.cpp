//===- ShowCommand.cpp - llvm-covmerge show -------------------------------===//
//
// One source file across labels: its text, and per label (a column) what
// each line is there:
//   N   the number of the label's contexts (its tests, and code run outside
//       any test) that cover the line, N >= 1;
//   0   code in that label that none of them ran;
//   -   not compiled in that label, while code in another label;
//       (blank) code in no label: comments, blank lines, code no build has.
// FILE is found as `who` finds it: a path of the database, or a unique
// suffix of one. Lines come from one query per table, read through the
// file's key, so the time goes to printing.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "FileView.h"
#include "covlock/CovDB/CovDBReader.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>
#include <set>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "ShowOpts.inc"
#define COVLOCK_OPT_TABLE ShowOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

/// The labels to show, in column order: the --label options in the order
/// given (each once), else every label sorted by name. With \p Test, only
/// labels that ran it: an explicit label that did not is an error.
static Expected<std::vector<CovDB::Label>>
chooseLabels(const CovDB &DB, const opt::InputArgList &Args,
             std::optional<StringRef> Test) {
  std::set<int64_t> WithTest;
  if (Test) {
    auto Contexts = DB.contexts(std::nullopt, Test);
    if (!Contexts)
      return Contexts.takeError();
    if (Contexts->empty())
      return DB.error("no test '" + *Test + "'");
    for (const CovDB::ContextInfo &C : *Contexts)
      WithTest.insert(C.LabelId);
  }
  std::vector<CovDB::Label> Chosen;
  std::vector<std::string> Names = Args.getAllArgValues(OPT_label);
  if (Names.empty()) {
    auto All = DB.labels();
    if (!All)
      return All.takeError();
    for (CovDB::Label &L : *All)
      if (!Test || WithTest.count(L.Id))
        Chosen.push_back(std::move(L));
    return Chosen;
  }
  auto Named = findLabels(DB, Names);
  if (!Named)
    return Named.takeError();
  for (const CovDB::Label &L : *Named)
    if (Test && !WithTest.count(L.Id))
      return DB.error("no test '" + *Test + "' in label '" + L.Name + "'");
  return Named;
}

/// Appends \p S, right-aligned in \p Width columns.
static void appendRight(SmallVectorImpl<char> &Out, StringRef S, size_t Width) {
  if (S.size() < Width)
    Out.append(Width - S.size(), ' ');
  Out.append(S.begin(), S.end());
}

/// The header row: the columns' names, right-aligned, then \p Path.
static void printHeader(raw_ostream &OS, const FileView &V, StringRef Path,
                        size_t NumWidth) {
  SmallString<128> Row;
  appendRight(Row, "Line", NumWidth);
  Row += '|';
  for (const LabelColumn &C : V.Columns) {
    appendRight(Row, C.Name, C.Width);
    Row += '|';
  }
  OS << Row << printable(Path) << '\n';
}

/// Counts up the right-aligned decimal number in \p Digits.
static void increment(MutableArrayRef<char> Digits) {
  for (size_t I = Digits.size(); I-- != 0;) {
    if (Digits[I] != '9') {
      Digits[I] = Digits[I] == ' ' ? '1' : Digits[I] + 1;
      return;
    }
    Digits[I] = '0';
  }
}

/// Writes line \p Line's cells into \p Row (filled with spaces), each
/// right-aligned at its offset in \p Ends.
static void fillCells(const FileView &V, uint32_t Line, ArrayRef<size_t> Ends,
                      char *Row) {
  bool Known = Line <= V.LastLine;
  for (size_t I = 0; I != V.Columns.size(); ++I) {
    const LabelColumn &C = V.Columns[I];
    char *P = Row + Ends[I];
    if (Known && C.Executable[Line]) {
      uint32_t N = C.Count[Line];
      do
        *--P = char('0' + N % 10);
      while (N /= 10);
    } else if (Known && V.AnyLabel[Line]) {
      P[-1] = '-';
    }
  }
}

/// Lines 1 to \p LastLine: number, a cell per column, then the line of
/// \p Source (none: the source could not be read). Rows are laid out in
/// one buffer: the line number counted up in place, the cells refilled.
static void printView(raw_ostream &OS, const FileView &V, StringRef Path,
                      const MemoryBuffer *Source, uint32_t LastLine) {
  size_t NumWidth = std::max<size_t>(4, std::to_string(LastLine).size());
  printHeader(OS, V, Path, NumWidth);
  std::vector<size_t> Ends; // where each cell ends, before its '|'
  size_t Width = NumWidth + 1;
  for (const LabelColumn &C : V.Columns) {
    Width += C.Width + 1;
    Ends.push_back(Width - 1);
  }
  std::string Row(Width, ' '), Blank(Width, ' ');
  for (size_t End : Ends)
    Row[End] = Blank[End] = '|';
  Row[NumWidth] = Blank[NumWidth] = '|';
  StringRef Rest = Source ? Source->getBuffer() : StringRef();
  // Most sources need no escaping at all: their lines are written as read.
  bool Plain = isPlainText(Rest);
  for (uint32_t Line = 1; Line <= LastLine; ++Line) {
    increment(MutableArrayRef<char>(Row.data(), NumWidth));
    std::memcpy(Row.data() + NumWidth, Blank.data() + NumWidth,
                Width - NumWidth);
    fillCells(V, Line, Ends, Row.data());
    OS << Row;
    size_t End = std::min(Rest.find('\n'), Rest.size());
    if (Plain)
      OS << Rest.take_front(End);
    else
      writeSourceLine(OS, Rest.take_front(End));
    Rest = Rest.drop_front(std::min(End + 1, Rest.size()));
    OS << '\n';
  }
}

/// The source of the file stored as \p StoredPath, or null after a warning
/// saying why it cannot be read.
static std::unique_ptr<MemoryBuffer> openSource(StringRef StoredPath) {
  std::string Path = sourcePathToRead(StoredPath);
  auto Buf = readSourceFile(Path);
  if (Buf)
    return std::move(*Buf);
  diagnose(Severity::Warning, printable(Path),
           "cannot read the source (" + toString(Buf.takeError()) +
               "); printing line numbers only");
  return nullptr;
}

int showMain(int Argc, const char **Argv) {
  ShowOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "show",
                {"llvm-covmerge show [options] <file.covdb> <source-file>",
                 "A source file with, per label, the tests that cover "
                 "each line, from a coverage database"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 2)
    return reportError("expected a coverage database and a source file; " +
                       helpHint("show"));
  std::optional<StringRef> Test;
  if (const opt::Arg *A = Parsed->getLastArg(OPT_test))
    Test = A->getValue();

  auto Opened = openDatabase(Inputs[0], nullptr,
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  const CovDB &DB = *Opened->DB;
  auto Resolved = DB.resolveFile(Inputs[1]);
  if (!Resolved)
    return reportError(Resolved.takeError());
  auto Labels = chooseLabels(DB, *Parsed, Test);
  if (!Labels)
    return reportError(Labels.takeError());
  auto View = buildFileView(DB, Resolved->first, *Labels, Test);
  if (!View)
    return reportError(View.takeError());

  std::unique_ptr<MemoryBuffer> Source = openSource(Resolved->second);
  uint32_t Known = View->LastLine;
  uint32_t SourceLines = Source ? countSourceLines(Source->getBuffer()) : 0;
  if (Source && SourceLines < Known)
    diagnose(Severity::Warning, printable(sourcePathToRead(Resolved->second)),
             "the source has " + Twine(SourceLines) +
                 " lines; the database knows lines up to " + Twine(Known) +
                 " (changed since the merge?)");
  // Large writes: a file's view is megabytes (the default buffer of a pipe
  // is a page; a terminal's, none).
  outs().SetBufferSize(1 << 16);
  printView(outs(), *View, Resolved->second, Source.get(),
            std::max(Known, SourceLines));
  return 0;
}
