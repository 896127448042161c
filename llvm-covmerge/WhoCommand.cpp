//===- WhoCommand.cpp - llvm-covmerge who ---------------------------------===//
//
// Which tests cover FILE:LINE or FILE:FIRST-LAST (several may be given):
// one row per context (label, test, confidence) that covers a line of any
// of them, sorted, each once. FILE is a path in the database, or a unique
// suffix of one ("parse.c", "src/parse.c").
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/CovDB/CovDBReader.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "WhoOpts.inc"
#define COVLOCK_OPT_TABLE WhoOptTable
#include "covlock/Tool/OptTable.inc"

/// One FILE:LINE or FILE:FIRST-LAST argument.
struct LineQuery {
  StringRef File;
  covdb::LineRange Lines;
};
} // namespace

/// \p Arg as FILE:LINE or FILE:FIRST-LAST; std::nullopt if it is neither.
static std::optional<LineQuery> parseLineQuery(StringRef Arg) {
  auto [File, Spec] = Arg.rsplit(':');
  auto [FirstStr, LastStr] = Spec.split('-');
  unsigned First = 0, Last = 0;
  if (File.empty() || File.size() == Arg.size() ||
      FirstStr.getAsInteger(10, First) || First == 0)
    return std::nullopt;
  Last = First;
  if (Spec.contains('-') && (LastStr.getAsInteger(10, Last) || Last < First))
    return std::nullopt;
  return LineQuery{File, {First, Last}};
}

/// The labels of the --label options (none: every label).
struct ChosenLabels {
  std::vector<CovDB::Label> Labels;
  bool has(int64_t Id) const {
    return Labels.empty() || llvm::any_of(Labels, [&](const CovDB::Label &L) {
             return L.Id == Id;
           });
  }
  /// "label a" or "labels a, b".
  std::string describe() const {
    std::string S = Labels.size() == 1 ? "label " : "labels ";
    for (const CovDB::Label &L : Labels)
      S += (&L == &Labels.front() ? "" : ", ") + printable(L.Name);
    return S;
  }
};

/// Why no row was printed for \p Q, on stderr (stdout stays a, here
/// empty, list): its lines are not code anywhere, not code in the chosen
/// labels (builds that do not compile them), or code that no test ran.
static Error explainUncovered(const CovDB &DB, int64_t FileId,
                              StringRef FilePath, covdb::LineRange Lines,
                              const ChosenLabels &Chosen) {
  auto Exec = DB.executableByLabel(FileId, {Lines});
  if (!Exec)
    return Exec.takeError();
  bool Anywhere = !Exec->empty(), InLabel = false;
  for (const CovDB::LabelLines &L : *Exec)
    InLabel |= Chosen.has(L.LabelId);
  bool One = Lines.First == Lines.Last;
  errs() << ToolName << ": " << printable(FilePath) << ":" << Lines.First;
  if (!One)
    errs() << "-" << Lines.Last;
  if (!Anywhere)
    errs() << (One ? ": not an executable line\n"
                   : ": no executable line in this range\n");
  else if (!InLabel)
    errs() << ": not compiled in " << Chosen.describe() << '\n';
  else
    errs() << (One ? ": no test covers this line\n"
                   : ": no test covers these lines\n");
  return Error::success();
}

static void printRows(ArrayRef<CovDB::ContextInfo> Rows) {
  size_t LabelWidth = 0, TestWidth = 0;
  for (const CovDB::ContextInfo &C : Rows) {
    LabelWidth = std::max(LabelWidth, columnWidth(printable(C.Label)));
    TestWidth = std::max(TestWidth, columnWidth(testColumn(C.Test)));
  }
  for (const CovDB::ContextInfo &C : Rows) {
    outs() << padToWidth(printable(C.Label), LabelWidth) << "  "
           << padToWidth(testColumn(C.Test), TestWidth) << "  "
           << confidenceName(C.Conf) << '\n';
  }
}

int whoMain(int Argc, const char **Argv) {
  WhoOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "who",
                {"llvm-covmerge who [options] <file.covdb> "
                 "<source-file>:<line>|<source-file>:<first>-<last>...",
                 "The tests that cover lines, from a coverage database"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() < 2)
    return reportError("expected a coverage database and <file>:<line>; " +
                       helpHint("who"));
  std::vector<LineQuery> Queries;
  std::vector<std::string> Files;
  for (StringRef Arg : ArrayRef(Inputs).drop_front()) {
    std::optional<LineQuery> Q = parseLineQuery(Arg);
    if (!Q)
      return reportError("'" + Arg +
                         "' is not <file>:<line> or <file>:<first>-<last> "
                         "(line numbers from 1); " +
                         helpHint("who"));
    Queries.push_back(*Q);
    Files.push_back(Q->File.str());
  }

  auto Opened = openDatabase(Inputs[0], nullptr,
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  const CovDB &DB = *Opened->DB;
  auto Labels = findLabels(DB, Parsed->getAllArgValues(OPT_label));
  if (!Labels)
    return reportError(Labels.takeError());
  ChosenLabels Chosen{std::move(*Labels)};
  auto Matches = DB.resolveFiles(Files);
  if (!Matches)
    return reportError(Matches.takeError());
  for (size_t I = 0; I != Queries.size(); ++I)
    if (!(*Matches)[I].file())
      return reportError(DB.unresolved(Files[I], (*Matches)[I]));

  // Each context once, whichever arguments it covers; the arguments that
  // none covers are explained in order.
  std::vector<CovDB::ContextInfo> Rows;
  DenseSet<int64_t> Seen;
  std::vector<size_t> Unexplained;
  for (size_t I = 0; I != Queries.size(); ++I) {
    auto Who = DB.whoCoversAny((*Matches)[I].file()->first, {Queries[I].Lines});
    if (!Who)
      return reportError(Who.takeError());
    bool Any = false;
    for (CovDB::ContextHits &H : *Who)
      if (Chosen.has(H.Context.LabelId)) {
        Any = true;
        if (Seen.insert(H.Context.Id).second)
          Rows.push_back(std::move(H.Context));
      }
    if (!Any)
      Unexplained.push_back(I);
  }
  sortContexts(Rows);
  printRows(Rows);
  for (size_t I : Unexplained)
    if (Error E = explainUncovered(DB, (*Matches)[I].file()->first,
                                   (*Matches)[I].file()->second,
                                   Queries[I].Lines, Chosen))
      return reportError(std::move(E));
  return 0;
}
