//===- ExportCommand.cpp - llvm-covmerge export ---------------------------===//
//
// A .covdb out to the stock tools, without the raw profiles:
//  - lcov: a tracefile with one TN: block per test (genhtml --show-details
//    shows which tests ran each line);
//  - profdata: the indexed profile of one test (or of a label's aggregate)
//    for llvm-cov show / report;
//  - json: a label as llvm-cov export's JSON, with covlock's line sets
//    (ExportJson.cpp).
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "StagedOutput.h"
#include "covlock/CovDB/CovDBReader.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "ExportOpts.inc"
#define COVLOCK_OPT_TABLE ExportOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

int exportMain(int Argc, const char **Argv) {
  ExportOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "export",
                {"llvm-covmerge export [options] <file.covdb> "
                 "--format=<lcov|profdata|json>",
                 "Coverage from a coverage database, for the stock tools"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError("expected one coverage database; " + helpHint("export"));
  StringRef Format = Parsed->getLastArgValue(OPT_format);
  if (Format != "lcov" && Format != "profdata" && Format != "json")
    return reportError((Format.empty() ? Twine("--format is required")
                                       : "unknown format '" + Format + "'") +
                       " (lcov, profdata or json); " + helpHint("export"));
  std::string Out = Parsed->getLastArgValue(OPT_output, "-").str();
  if (Format == "profdata" && Out == "-")
    return reportError("--format=profdata needs -o <file>; " +
                       helpHint("export"));
  if (Out != "-")
    if (Error E = checkOutputTarget(Out))
      return reportError(std::move(E));

  auto Opened = openDatabase(Inputs[0], Parsed->getLastArg(OPT_label),
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  std::unique_ptr<CovDB> &DB = Opened->DB;
  std::optional<int64_t> Label = Opened->Label;
  std::optional<StringRef> Test;
  if (const opt::Arg *A = Parsed->getLastArg(OPT_test))
    Test = A->getValue();
  auto Contexts = DB->contexts(Label, Test);
  if (!Contexts)
    return reportError(Contexts.takeError());
  if (Test && Contexts->empty())
    return reportError(createFileError(
        Inputs[0], createStringError(inconvertibleErrorCode(),
                                     "no test '" + *Test + "'" +
                                         (Label ? " with that label" : ""))));

  // json: one label's aggregate, as llvm-cov exports it.
  std::optional<int64_t> JsonLabel;
  if (Format == "json") {
    if (Test)
      return reportError("--format=json exports a label's aggregate, not a "
                         "test (--test is for lcov and profdata); " +
                         helpHint("export"));
    auto Labels = DB->labels();
    if (!Labels)
      return reportError(Labels.takeError());
    if (!Label && Labels->size() != 1)
      return reportError(
          createFileError(Inputs[0], createStringError(inconvertibleErrorCode(),
                                                       "choose a --label")));
    JsonLabel = Label ? *Label : Labels->front().Id;
  }

  std::string Bytes;
  if (Format == "profdata") {
    Expected<std::string> P = std::string();
    if (Test) {
      if (Contexts->size() > 1) {
        std::string Labels;
        for (const CovDB::ContextInfo &C : *Contexts)
          Labels += (Labels.empty() ? "'" : ", '") + C.Label + "'";
        return reportError(createFileError(
            Inputs[0],
            createStringError(inconvertibleErrorCode(),
                              "test '" + *Test + "' is in several labels (" +
                                  Labels + "); choose one with --label")));
      }
      P = DB->contextProfile(Contexts->front().Id);
    } else {
      // No test: the label's aggregate.
      auto Labels = DB->labels();
      if (!Labels)
        return reportError(Labels.takeError());
      if (!Label && Labels->size() != 1)
        return reportError(createFileError(
            Inputs[0], createStringError(inconvertibleErrorCode(),
                                         "choose a --label or a --test")));
      P = DB->labelProfile(Label ? *Label : Labels->front().Id);
    }
    if (!P)
      return reportError(P.takeError());
    Bytes = std::move(*P);
  }

  auto Write = [&](raw_ostream &OS) -> Error {
    if (JsonLabel)
      return exportJson(*DB, *JsonLabel, OS);
    if (Format != "lcov") {
      OS << Bytes;
      return Error::success();
    }
    return exportLcov(*DB, *Contexts, OS);
  };
  if (Out == "-") {
    if (Error E = Write(outs()))
      return reportError(std::move(E));
    return 0;
  }
  // As the merge's outputs: a new file renamed over the old one once it is
  // complete, so a failed export leaves the old file as it was.
  StagedOutput Staged = stageOutput(Out);
  auto Discard = make_scope_exit([&] { sys::fs::remove(Staged.Staged); });
  // A new file, never one a link planted at this predictable name leads to.
  sys::fs::remove(Staged.Staged);
  int FD;
  if (std::error_code EC = sys::fs::openFileForWrite(
          Staged.Staged, FD, sys::fs::CD_CreateNew, sys::fs::OF_None))
    return reportError(createFileError(Out, errorCodeToError(EC)));
  raw_fd_ostream OS(FD, /*shouldClose=*/true);
  if (Error E = Write(OS))
    return reportError(std::move(E));
  OS.close();
  if (OS.has_error()) {
    std::error_code WEC = OS.error();
    OS.clear_error();
    return reportError(createFileError(Out, errorCodeToError(WEC)));
  }
  if (Error E = publishOutputs(Staged))
    return reportError(std::move(E));
  return 0;
}
