//===- StatusCommand.cpp - llvm-covlock status ----------------------------===//
//
// Who holds a coverage directory's run lock, and how many processes of each
// test flushed, failed, were lost or still run.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "covlock/Locking/RunLock.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "covlock/Protocol/TestIdentity.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "StatusOpts.inc"
#define COVLOCK_OPT_TABLE StatusOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

static json::Object countsToJSON(const ProcessCounts &C) {
  return json::Object{{"processes", C.Processes}, {"flushed", C.Flushed},
                      {"lost", C.Lost},           {"failed", C.Failed},
                      {"running", C.Running},     {"stock", C.Stock},
                      {"bytes", C.Bytes}};
}

/// The outcome as the table shows it, and the counts it sums up.
static void addOutcomes(json::Object &O, const TestOutcomes &T) {
  O["outcome"] = T.summary();
  O["test_ends"] = json::Object{
      {"passed", T.Passed}, {"failed", T.Failed}, {"skipped", T.Skipped}};
}

static json::Value lockToJSON(const std::optional<LockHolder> &Holder) {
  if (!Holder)
    return nullptr;
  if (Holder->Record)
    return toJSON(*Holder->Record);
  return json::Object{{"problem", Holder->Problem}};
}

static void printJSON(StringRef Dir, const std::optional<LockHolder> &Holder,
                      const DirectorySummary &Sum) {
  json::Object Top = countsToJSON(Sum.Total);
  Top["dir"] = Dir;
  Top["lock"] = lockToJSON(Holder);
  Top["unreadable"] = Sum.Unreadable;
  addOutcomes(Top, Sum.Outcomes);
  json::Array Tests;
  for (const TestSummary &T : Sum.Tests) {
    json::Object O = countsToJSON(T.Counts);
    O["key"] = T.Key;
    addOutcomes(O, T.Outcomes);
    // "test" is readable (lossy for ids that are not valid UTF-8, like the
    // records'); "test_hex" is the id exactly.
    if (knowsTestId(T.Identity)) {
      O["test"] = readableTestId(*T.Identity.Id);
      O["test_hex"] = testIdHex(*T.Identity.Id);
    } else {
      O["test"] = nullptr;
    }
    Tests.push_back(std::move(O));
  }
  Top["tests"] = std::move(Tests);
  // The serializer sorts object keys, so the output is stable.
  outs() << formatv("{0:2}", json::Value(std::move(Top))) << '\n';
}

static void printText(StringRef Dir, const std::optional<LockHolder> &Holder,
                      const DirectorySummary &Sum) {
  raw_ostream &OS = outs();
  OS << "directory: " << Dir << '\n';
  if (!Holder)
    OS << "lock: no run in progress\n";
  else if (Holder->Record)
    OS << "lock: run " << Holder->Record->Run
       << " in progress: " << Holder->describe() << '\n';
  else
    OS << "lock: a run is in progress: " << Holder->describe() << '\n';
  printTestTable(OS, Sum);
  if (Sum.Unreadable)
    OS << "unreadable: " << Sum.Unreadable
       << " file(s) skipped (see the warnings)\n";
}

int covlock::tool::statusMain(const char *, ArrayRef<const char *> Args) {
  StatusOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, Args, "status",
                {"llvm-covlock status [options] <dir>",
                 "llvm-covlock status: the lock holder and process counts "
                 "of a coverage directory"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError(Twine(Inputs.empty() ? "no directory given"
                                            : "more than one directory given") +
                       "; " + helpHint("status"));
  StringRef Dir = Inputs.front();
  if (!sys::fs::is_directory(Dir)) {
    if (!sys::fs::exists(Dir))
      return reportError(createFileError(
          Dir, std::make_error_code(std::errc::no_such_file_or_directory)));
    return reportError(
        createFileError(Dir, std::make_error_code(std::errc::not_a_directory)));
  }
  if (!isCovlockDirectory(Dir))
    return reportError(
        createFileError(Dir, createStringError(inconvertibleErrorCode(),
                                               whyNotCovlockDirectory(Dir))));
  SmallString<256> Abs;
  if (std::error_code EC = sys::fs::real_path(Dir, Abs))
    return reportError(createFileError(Dir, EC));

  Expected<std::optional<LockHolder>> Holder = queryRunLock(Abs);
  if (!Holder)
    return reportError(Holder.takeError());
  // A compaction round removes what its packs absorbed: let it finish, so
  // that no process is missed. One who may not write the directory reads
  // without the lock (and may, rarely, count during a round).
  Expected<std::optional<LockFile>> Compact =
      acquireCompactLock(Abs, LockKind::Shared, /*Wait=*/true);
  if (!Compact)
    consumeError(Compact.takeError());
  // Read through the name the user gave, so warnings name files that way.
  Expected<DirectoryContents> Contents =
      readCoverageDirectory(Dir, [](Error E) { reportWarning(std::move(E)); });
  if (!Contents)
    return reportError(Contents.takeError());
  DirectorySummary Sum = summarizeDirectory(*Contents);

  if (Parsed->hasArg(OPT_json))
    printJSON(Abs, *Holder, Sum);
  else
    printText(Abs, *Holder, Sum);
  return 0;
}
