//===- CleanCommand.cpp - llvm-covlock clean ------------------------------===//
//
// Empties a coverage directory (all but .covlock/) unless a live run holds
// it. Clean is a run owner for its short life, so a run that starts
// meanwhile is told who is in the way.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "covlock/Locking/RunLock.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include <ctime>
#include <unistd.h>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "CleanOpts.inc"
#define COVLOCK_OPT_TABLE CleanOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

int covlock::tool::cleanMain(const char *, ArrayRef<const char *> Args) {
  CleanOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, Args, "clean",
                {"llvm-covlock clean [options] <dir>",
                 "llvm-covlock clean: remove the contents of a coverage "
                 "directory that no run holds"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError(Twine(Inputs.empty() ? "no directory given"
                                            : "more than one directory given") +
                       "; " + helpHint("clean"));
  StringRef Dir = Inputs.front();
  if (!sys::fs::exists(Dir))
    return reportError(createFileError(
        Dir, std::make_error_code(std::errc::no_such_file_or_directory)));
  // Only a directory marked by .covlock/ is ever emptied.
  if (!sys::fs::is_directory(Dir) || !isCovlockDirectory(Dir))
    return reportError(
        createFileError(Dir, createStringError(inconvertibleErrorCode(),
                                               whyNotCovlockDirectory(Dir))));
  SmallString<256> Abs;
  if (std::error_code EC = sys::fs::real_path(Dir, Abs))
    return reportError(createFileError(Dir, EC));

  OwnerRecord Owner = OwnerRecord::forThisProcess(
      {ToolName.str(), "clean", Dir.str()}, Abs, std::nullopt);

  Expected<RunLock> Lock = RunLock::acquire(Abs, Owner);
  if (!Lock) {
    int Status = ExitFailure;
    Error Rest = handleErrors(Lock.takeError(), [&](const RunLockBusyError &B) {
      Status = ExitBusy;
      diagnose(Severity::Error, Dir,
               "a run is in progress (" + B.holder().describe() +
                   "); wait for it to finish");
    });
    if (Rest)
      return reportError(std::move(Rest));
    return Status;
  }
  // A compactor that is running (`llvm-covlock compact`) finishes first.
  Expected<std::optional<LockFile>> Compact =
      acquireCompactLock(Abs, LockKind::Exclusive, /*Wait=*/true);
  if (!Compact)
    return reportError(Compact.takeError());
  Expected<LockFile> Flush = acquireFlushLock(Abs, LockKind::Exclusive);
  if (!Flush)
    return reportError(Flush.takeError());
  if (Error E = clearCoverageDirectory(Abs))
    return reportError(std::move(E));
  return 0;
}
