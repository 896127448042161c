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
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include <map>
#include <set>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "ExportOpts.inc"
#define COVLOCK_OPT_TABLE ExportOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

/// lcov test names are letters, digits and '_' (geninfo's rule; genhtml
/// warns about others): everything else becomes '_'. The label goes first
/// when several are exported; a clash gets a numeric suffix.
static std::string lcovTestName(const CovDB::ContextInfo &C, bool WithLabel,
                                StringSet<> &Used) {
  std::string Raw = C.Test ? *C.Test : "outside_tests";
  if (WithLabel)
    Raw = C.Label + "__" + Raw;
  std::string Name;
  for (char Ch : Raw)
    Name += isAlnum(Ch) || Ch == '_' ? Ch : '_';
  std::string Unique = Name;
  for (unsigned N = 2; !Used.insert(Unique).second; ++N)
    Unique = Name + "_" + std::to_string(N);
  return Unique;
}

static Error exportLcov(const CovDB &DB, ArrayRef<CovDB::ContextInfo> Contexts,
                        bool WithLabel, raw_ostream &OS) {
  // Executable lines per label and file, read once.
  std::map<int64_t, std::map<int64_t, CovDB::FileLines>> Exec;
  for (const CovDB::ContextInfo &C : Contexts)
    if (!Exec.count(C.LabelId)) {
      auto Lines = DB.executableLines(C.LabelId);
      if (!Lines)
        return Lines.takeError();
      auto &M = Exec[C.LabelId];
      for (CovDB::FileLines &F : *Lines)
        M.emplace(F.FileId, std::move(F));
    }
  // A file that no exported test covers still belongs in the report: it
  // goes, uncovered, into the first block of its label.
  std::map<int64_t, std::set<int64_t>> Touched;
  std::vector<std::vector<CovDB::FileLines>> Covered;
  for (const CovDB::ContextInfo &C : Contexts) {
    auto Lines = DB.coveredLines(C.Id);
    if (!Lines)
      return Lines.takeError();
    for (const CovDB::FileLines &F : *Lines)
      Touched[C.LabelId].insert(F.FileId);
    Covered.push_back(std::move(*Lines));
  }

  StringSet<> Used;
  std::set<int64_t> LabelDone;
  for (size_t I = 0; I != Contexts.size(); ++I) {
    const CovDB::ContextInfo &C = Contexts[I];
    auto &LabelExec = Exec[C.LabelId];
    std::map<std::string, std::pair<const CovDB::FileLines *,
                                    const CovDB::FileLines *>>
        Files; // path -> (executable, covered)
    for (const CovDB::FileLines &F : Covered[I]) {
      auto It = LabelExec.find(F.FileId);
      Files[F.Path] = {It == LabelExec.end() ? nullptr : &It->second, &F};
    }
    if (LabelDone.insert(C.LabelId).second)
      for (auto &[Id, F] : LabelExec)
        if (!Touched[C.LabelId].count(Id))
          Files[F.Path] = {&F, nullptr};

    // A test that covered nothing has no block: lcov has nothing to say.
    if (Files.empty())
      continue;
    OS << "TN:" << lcovTestName(C, WithLabel, Used) << '\n';
    for (auto &[Path, EC] : Files) {
      OS << "SF:" << Path << '\n';
      std::vector<uint32_t> None;
      const std::vector<uint32_t> &E = EC.first ? EC.first->Lines : None;
      const std::vector<uint32_t> &Cv = EC.second ? EC.second->Lines : None;
      // Every executable line, hit 1 or 0 (the covdb keeps covered or not,
      // not counts); a covered line is always executable.
      std::set<uint32_t> All(E.begin(), E.end());
      All.insert(Cv.begin(), Cv.end());
      std::set<uint32_t> Hit(Cv.begin(), Cv.end());
      for (uint32_t L : All)
        OS << "DA:" << L << ',' << (Hit.count(L) ? 1 : 0) << '\n';
      OS << "LF:" << All.size() << '\n'
         << "LH:" << Hit.size() << '\n'
         << "end_of_record\n";
    }
  }
  return Error::success();
}

int exportMain(int Argc, const char **Argv) {
  ExportOptTable Table;
  auto Parsed = parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "export");
  if (!Parsed)
    return ExitFailure;
  if (Parsed->hasArg(OPT_help)) {
    Table.printHelp(outs(),
                    "llvm-covmerge export [options] <file.covdb> "
                    "--format=<lcov|profdata>",
                    "Coverage from a coverage database, for the stock tools");
    return 0;
  }
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
          Labels += " '" + C.Label + "'";
        return reportError(createFileError(
            Inputs[0],
            createStringError(inconvertibleErrorCode(),
                              "test '" + *Test + "' is in several labels (" +
                                  StringRef(Labels).ltrim() +
                                  "); choose one with --label")));
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
    bool WithLabel = false;
    for (const CovDB::ContextInfo &C : *Contexts)
      WithLabel |= C.LabelId != Contexts->front().LabelId;
    return exportLcov(*DB, *Contexts, WithLabel, OS);
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
  std::error_code EC;
  raw_fd_ostream OS(Staged.Staged, EC, sys::fs::OF_None);
  if (EC)
    return reportError(createFileError(Out, errorCodeToError(EC)));
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
