//===- WhoCommand.cpp - llvm-covmerge who ---------------------------------===//
//
// Which tests cover FILE:LINE: one row per context (label, test,
// confidence), sorted. FILE is a path in the database, or a unique suffix
// of one ("parse.c", "src/parse.c").
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/CovDB/CovDBReader.h"
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
} // namespace

/// Why no row was printed, on stderr (stdout stays a, here empty, list):
/// the line is not code anywhere, not code in the chosen label (a build
/// that does not compile it), or code that no test ran.
static Error explainUncovered(const CovDB &DB, int64_t FileId,
                              StringRef FilePath, uint32_t Line,
                              std::optional<int64_t> Label,
                              StringRef LabelName) {
  auto Exec = DB.executableByLabel(FileId);
  if (!Exec)
    return Exec.takeError();
  bool Anywhere = false, InLabel = false;
  for (const CovDB::LabelLines &L : *Exec)
    if (llvm::binary_search(L.Lines, Line)) {
      Anywhere = true;
      InLabel |= !Label || L.LabelId == *Label;
    }
  errs() << ToolName << ": " << printable(FilePath) << ":" << Line;
  if (!Anywhere)
    errs() << ": not an executable line\n";
  else if (!InLabel)
    errs() << ": not compiled in label " << printable(LabelName) << '\n';
  else
    errs() << ": no test covers this line\n";
  return Error::success();
}

int whoMain(int Argc, const char **Argv) {
  WhoOptTable Table;
  auto Parsed = parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "who");
  if (!Parsed)
    return ExitFailure;
  if (Parsed->hasArg(OPT_help)) {
    Table.printHelp(outs(),
                    "llvm-covmerge who [options] <file.covdb> "
                    "<source-file>:<line>",
                    "The tests that cover a line, from a coverage database");
    return 0;
  }
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 2)
    return reportError("expected a coverage database and <file>:<line>; " +
                       helpHint("who"));
  auto [File, LineStr] = StringRef(Inputs[1]).rsplit(':');
  unsigned Line = 0;
  if (File.empty() || LineStr.getAsInteger(10, Line) || Line == 0)
    return reportError("'" + Inputs[1] +
                       "' is not <file>:<line> (a line number from 1); " +
                       helpHint("who"));

  auto Opened = openDatabase(Inputs[0], Parsed->getLastArg(OPT_label),
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  std::unique_ptr<CovDB> &DB = Opened->DB;
  std::optional<int64_t> Label = Opened->Label;
  auto Resolved = DB->resolveFile(File);
  if (!Resolved)
    return reportError(Resolved.takeError());
  auto Who = DB->whoCovers(Resolved->first, Line);
  if (!Who)
    return reportError(Who.takeError());

  std::vector<const CovDB::ContextInfo *> Rows;
  size_t LabelWidth = 0, TestWidth = 0;
  for (const CovDB::ContextInfo &C : *Who) {
    if (Label && C.LabelId != *Label)
      continue;
    Rows.push_back(&C);
    LabelWidth = std::max(LabelWidth, printable(C.Label).size());
    TestWidth = std::max(TestWidth, C.Test ? printable(*C.Test).size() : 15);
  }
  for (const CovDB::ContextInfo *C : Rows) {
    std::string Test = C->Test ? printable(*C->Test) : "(outside tests)";
    outs() << left_justify(printable(C->Label), LabelWidth) << "  "
           << left_justify(Test, TestWidth) << "  " << confidenceName(C->Conf)
           << '\n';
  }
  if (Rows.empty())
    if (Error E = explainUncovered(*DB, Resolved->first, Resolved->second, Line,
                                   Label, Parsed->getLastArgValue(OPT_label)))
      return reportError(std::move(E));
  return 0;
}
