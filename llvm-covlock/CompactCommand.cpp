//===- CompactCommand.cpp - llvm-covlock compact --------------------------===//
//
// Compacts a coverage directory on demand: every key directory's flush
// records and raw profiles become one pack (docs/protocol.md,
// "Compaction"). Safe while processes still write and while a run holds the
// directory; it waits for another compactor or a merge that is reading.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "covlock/Merge/Compact.h"
#include "covlock/Protocol/Directory.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "CompactOpts.inc"
#define COVLOCK_OPT_TABLE CompactOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

void covlock::tool::printCompactStats(const CompactStats &S, StringRef Shown) {
  if (S.KeysFailed)
    errs() << "covlock: " << countOf(S.KeysFailed, "test")
           << " could not be compacted (see the warnings above)\n";
  if (!S.Keys && !S.Remnants) {
    if (!S.KeysFailed)
      errs() << "covlock: " << printable(Shown) << " is compact\n";
    return;
  }
  errs() << "covlock: ";
  // Profile bytes on both sides; the packs' records are said apart.
  if (S.Keys)
    errs() << "compacted " << countOf(S.Keys, "test") << ": "
           << countOf(S.Records, "record") << ", "
           << countOf(S.Profiles, "profile") << " and "
           << countOf(S.Packs, "pack") << " (" << S.BytesRemoved
           << " bytes of profiles) into " << countOf(S.Keys, "pack") << " ("
           << S.BytesWritten << " bytes of profiles, " << S.RecordBytes
           << " bytes of records)";
  if (S.Keys && S.Remnants)
    errs() << "; ";
  if (S.Remnants)
    errs() << "removed " << countOf(S.Remnants, "file")
           << " an interrupted compaction left";
  errs() << '\n';
}

int covlock::tool::compactMain(const char *, ArrayRef<const char *> Args) {
  CompactOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, Args, "compact",
                {"llvm-covlock compact [options] <dir>",
                 "llvm-covlock compact: sum each test's profiles into one "
                 "sparse profile per binary, removing the raw profiles"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError(Twine(Inputs.empty() ? "no directory given"
                                            : "more than one directory given") +
                       "; " + helpHint("compact"));
  StringRef Dir = Inputs.front();
  if (!sys::fs::is_directory(Dir) || !isCovlockDirectory(Dir))
    return reportError(createFileError(
        Dir, sys::fs::exists(Dir)
                 ? createStringError(inconvertibleErrorCode(),
                                     whyNotCovlockDirectory(Dir))
                 : errorCodeToError(std::make_error_code(
                       std::errc::no_such_file_or_directory))));
  bool Quiet = Parsed->hasArg(OPT_quiet);
  ProgressLine Progress(!Quiet && sys::Process::StandardErrIsDisplayed());

  CompactOptions Opts;
  Opts.Dir = Dir.str();
  Opts.Warn = [](Error E) { reportWarning(std::move(E)); };
  Opts.Progress = [&](uint64_t Done, uint64_t Total) {
    Progress.update("compacting tests", Done, Total);
  };
  Opts.KillAfter = Parsed->getLastArgValue(OPT_kill_after_EQ).str();
  Compactor C(std::move(Opts));
  Expected<CompactStats> Stats = C.compact(/*Full=*/true);
  Progress.clear();
  if (!Stats)
    return reportError(Stats.takeError());
  if (!Quiet)
    printCompactStats(*Stats, Dir);
  return Stats->KeysFailed ? 1 : 0;
}
