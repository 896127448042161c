//===- ReportCommand.cpp - llvm-covmerge report ---------------------------===//
//
// Tables from a .covdb: per source file (lines and regions executable,
// covered, percent) with totals, per test (--by-test), or per file and
// label (--by-label). Sorted, so the same database always prints the same
// table.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/CovDB/CovDBReader.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "ReportOpts.inc"
#define COVLOCK_OPT_TABLE ReportOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

static std::string percent(uint64_t Part, uint64_t Whole) {
  if (!Whole)
    return "-";
  std::string S;
  raw_string_ostream(S) << format("%.2f%%", 100.0 * Part / Whole);
  return S;
}

std::vector<std::string> shortPaths(ArrayRef<std::string> Paths) {
  if (Paths.empty())
    return {};
  StringRef Common = Paths.front();
  Common = Common.substr(0, Common.rfind('/') + 1);
  for (StringRef P : Paths)
    while (!Common.empty() && !P.starts_with(Common)) {
      Common = Common.drop_back();
      Common = Common.substr(0, Common.rfind('/') + 1);
    }
  std::vector<std::string> Out;
  for (StringRef P : Paths)
    Out.push_back(P.drop_front(Common.size()).str());
  return Out;
}

static void printTable(raw_ostream &OS, ArrayRef<std::vector<std::string>> Rows,
                       ArrayRef<bool> RightAligned, size_t RuleBefore) {
  std::vector<size_t> Width(RightAligned.size(), 0);
  for (const auto &R : Rows)
    for (size_t C = 0; C != R.size(); ++C)
      Width[C] = std::max(Width[C], columnWidth(R[C]));
  size_t Total = 0;
  for (size_t W : Width)
    Total += W + 2;
  std::string Rule(Total - 2, '-');
  for (size_t I = 0; I != Rows.size(); ++I) {
    if (I == 1 || (RuleBefore && I == RuleBefore))
      OS << Rule << '\n';
    std::string Line;
    for (size_t C = 0; C != Rows[I].size(); ++C) {
      const std::string &Cell = Rows[I][C];
      if (C)
        Line += "  ";
      Line += padToWidth(Cell, Width[C], RightAligned[C]);
    }
    OS << StringRef(Line).rtrim() << '\n';
  }
}

/// How the database counts lines (meta.line_semantics), for a footer:
/// "under covlock's line rules" or "as llvm-cov show counts them".
static Expected<std::string> linesCounted(const CovDB &DB) {
  auto Rules = DB.lineRules();
  if (!Rules)
    return Rules.takeError();
  return std::string(*Rules == LineRules::Covlock
                         ? "under covlock's line rules"
                         : "as llvm-cov show counts them");
}

static int reportFiles(const CovDB &DB, std::optional<int64_t> Label) {
  auto Counted = linesCounted(DB);
  if (!Counted)
    return reportError(Counted.takeError());
  auto Files = DB.fileSummaries(Label);
  if (!Files)
    return reportError(Files.takeError());
  std::vector<std::string> Paths;
  for (const CovDB::FileSummary &F : *Files)
    Paths.push_back(F.Path);
  std::vector<std::string> Short = shortPaths(Paths);
  std::vector<std::vector<std::string>> Rows = {
      {"Filename", "Lines", "Covered", "Cover", "Regions", "Covered", "Cover"}};
  uint64_t L = 0, LC = 0, R = 0, RC = 0;
  for (size_t I = 0; I != Files->size(); ++I) {
    const CovDB::FileSummary &F = (*Files)[I];
    Rows.push_back({printable(Short[I]), std::to_string(F.Lines),
                    std::to_string(F.CoveredLines),
                    percent(F.CoveredLines, F.Lines), std::to_string(F.Regions),
                    std::to_string(F.CoveredRegions),
                    percent(F.CoveredRegions, F.Regions)});
    L += F.Lines;
    LC += F.CoveredLines;
    R += F.Regions;
    RC += F.CoveredRegions;
  }
  size_t Totals = Rows.size();
  Rows.push_back({"TOTAL", std::to_string(L), std::to_string(LC),
                  percent(LC, L), std::to_string(R), std::to_string(RC),
                  percent(RC, R)});
  printTable(outs(), Rows, {false, true, true, true, true, true, true}, Totals);
  // The two ways of counting differ (docs/llvm-covmerge.md): say which.
  outs() << "\nLines " << *Counted
         << ": each source line once, over all functions and "
            "instantiations; llvm-cov report counts per function "
            "(--style=llvm-cov-report).\n";
  return 0;
}

/// "covered/executable".
static std::string ratio(int64_t Covered, int64_t Executable) {
  return std::to_string(Covered) + "/" + std::to_string(Executable);
}

/// --by-label: per file, each label's covered/executable lines ('-' where
/// the label does not compile the file) and the union: lines covered in
/// some label over lines executable in some label, each line once.
static int reportLabels(const CovDB &DB) {
  auto Counted = linesCounted(DB);
  if (!Counted)
    return reportError(Counted.takeError());
  auto Labels = DB.labels();
  if (!Labels)
    return reportError(Labels.takeError());
  auto Union = DB.fileSummaries(std::nullopt);
  if (!Union)
    return reportError(Union.takeError());
  // Per label, its files by path (both lists are sorted by path).
  std::vector<std::vector<CovDB::FileSummary>> PerLabel;
  std::vector<std::string> Header = {"Filename"};
  for (const CovDB::Label &L : *Labels) {
    auto Files = DB.fileSummaries(L.Id);
    if (!Files)
      return reportError(Files.takeError());
    PerLabel.push_back(std::move(*Files));
    Header.push_back(printable(L.Name));
  }
  Header.push_back("Union");
  std::vector<std::string> Paths;
  for (const CovDB::FileSummary &F : *Union)
    Paths.push_back(F.Path);
  std::vector<std::string> Short = shortPaths(Paths);

  std::vector<std::vector<std::string>> Rows = {Header};
  std::vector<size_t> Next(PerLabel.size(), 0);
  std::vector<int64_t> Cov(PerLabel.size() + 1, 0), Exe(Cov.size(), 0);
  for (size_t I = 0; I != Union->size(); ++I) {
    std::vector<std::string> Row = {printable(Short[I])};
    for (size_t L = 0; L != PerLabel.size(); ++L) {
      const auto &Files = PerLabel[L];
      size_t &N = Next[L];
      if (N == Files.size() || Files[N].Path != Paths[I]) {
        Row.push_back("-");
        continue;
      }
      Row.push_back(ratio(Files[N].CoveredLines, Files[N].Lines));
      Cov[L] += Files[N].CoveredLines;
      Exe[L] += Files[N].Lines;
      ++N;
    }
    const CovDB::FileSummary &U = (*Union)[I];
    Row.push_back(ratio(U.CoveredLines, U.Lines));
    Cov.back() += U.CoveredLines;
    Exe.back() += U.Lines;
    Rows.push_back(std::move(Row));
  }
  size_t Totals = Rows.size();
  Rows.push_back({"TOTAL"});
  for (size_t C = 0; C != Cov.size(); ++C)
    Rows.back().push_back(ratio(Cov[C], Exe[C]));
  SmallVector<bool, 8> Right(Header.size(), true);
  Right[0] = false;
  printTable(outs(), Rows, Right, Totals);
  outs() << "\nCovered/executable lines, " << *Counted
         << "; '-': the label does not compile the file.\nUnion: lines "
            "covered in some label / lines executable in some label, each "
            "line once.\n";
  return 0;
}

static int reportTests(const CovDB &DB, std::optional<int64_t> Label) {
  auto Contexts = DB.contexts(Label, std::nullopt);
  if (!Contexts)
    return reportError(Contexts.takeError());
  std::vector<std::vector<std::string>> Rows = {
      {"Label", "Test", "Lines", "Regions", "Confidence", "Processes", "Lost",
       "Unreadable", "Outcome"}};
  for (const CovDB::ContextInfo &C : *Contexts)
    Rows.push_back({printable(C.Label), testColumn(C.Test),
                    std::to_string(C.LinesCovered),
                    std::to_string(C.RegionsCovered), confidenceName(C.Conf),
                    std::to_string(C.Processes), std::to_string(C.Lost),
                    std::to_string(C.Unreadable), C.outcomes().summary()});
  printTable(outs(), Rows,
             {false, false, true, true, false, true, true, true, false}, 0);
  return 0;
}

int reportMain(int Argc, const char **Argv) {
  ReportOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "report",
                {"llvm-covmerge report [options] <file.covdb>",
                 "Coverage per source file, or per test, from a coverage "
                 "database"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError("expected one coverage database; " + helpHint("report"));
  auto Opened = openDatabase(Inputs[0], Parsed->getLastArg(OPT_label),
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  std::unique_ptr<CovDB> &DB = Opened->DB;
  std::optional<int64_t> Label = Opened->Label;
  StringRef Style = Parsed->getLastArgValue(OPT_style, "covlock");
  if (Style == "llvm-cov-report") {
    for (auto [Id, Name] : {std::pair(OPT_by_test, "--by-test"),
                            std::pair(OPT_by_label, "--by-label")})
      if (Parsed->hasArg(Id))
        return reportError(Twine("--style=llvm-cov-report has no ") + Name +
                           "; " + helpHint("report"));
    if (!Label) {
      auto Labels = DB->labels();
      if (!Labels)
        return reportError(Labels.takeError());
      if (Labels->size() != 1) {
        std::string Names;
        for (const CovDB::Label &L : *Labels)
          Names += (Names.empty() ? "'" : ", '") + L.Name + "'";
        return reportError(DB->error("--style=llvm-cov-report reports one "
                                     "label; choose one with --label (" +
                                     Names + ")"));
      }
      Label = Labels->front().Id;
    }
    if (Error E = runLlvmCovOnLabel(*DB, *Label, {"report"}, std::nullopt))
      return reportError(std::move(E));
    return 0;
  }
  if (Style != "covlock")
    return reportError("unknown --style '" + Style +
                       "' (covlock or llvm-cov-report); " + helpHint("report"));
  if (Parsed->hasArg(OPT_by_label)) {
    if (Parsed->hasArg(OPT_by_test))
      return reportError("--by-label and --by-test are different tables; "
                         "choose one; " +
                         helpHint("report"));
    if (Label)
      return reportError("--by-label has a column for every label; it "
                         "takes no --label; " +
                         helpHint("report"));
    return reportLabels(*DB);
  }
  return Parsed->hasArg(OPT_by_test) ? reportTests(*DB, Label)
                                     : reportFiles(*DB, Label);
}
