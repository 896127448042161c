//===- CollectInputs.cpp - Merge step 1: inputs to units ------------------===//
//
// Turns the merge's inputs into profile files ("units"), each belonging to
// one context (label x test). A coverage directory is snapshotted under its
// flush lock: records, markers, stock and orphan profiles; its processes are
// classified as docs/protocol.md says, and what is missing (lost processes,
// failed flushes) is recorded against its context. A profile named on the
// command line is a test of its own; a .covdb is passed on to the writer.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "covlock/Locking/RunLock.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "covlock/Protocol/TestIdentity.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

using namespace llvm;
namespace fs = llvm::sys::fs;

namespace covlock {
namespace merge {

static std::string joinPath(StringRef A, StringRef B, StringRef C = "") {
  SmallString<256> P(A);
  sys::path::append(P, B);
  if (!C.empty())
    sys::path::append(P, C);
  return std::string(P);
}

/// The label every record and marker of directory \p Dir names (none:
/// unlabelled), if they agree; none otherwise. A directory of stock
/// profiles only (programs without the runtime) takes the label of the run
/// that last held its run lock (`run --label`).
static std::optional<std::string> agreedLabel(StringRef Dir,
                                              const DirectoryContents &C) {
  std::set<std::optional<std::string>> Labels;
  bool StockOnly = true;
  for (const TestDirectory &TD : C.Tests) {
    for (const NamedRecord<FlushRecord> &R : TD.Records)
      Labels.insert(R.Record.Label);
    for (const NamedRecord<BootMarker> &M : TD.Markers)
      Labels.insert(M.Record.Label);
    StockOnly &= TD.Records.empty() && TD.Markers.empty() && TD.Packs.empty();
  }
  if (StockOnly) {
    Expected<OwnerRecord> LastRun =
        readRecordFile<OwnerRecord>(getRunLockPath(Dir));
    if (LastRun)
      return LastRun->Label;
    consumeError(LastRun.takeError()); // no run: unlabelled
    return std::nullopt;
  }
  return Labels.size() == 1 ? *Labels.begin() : std::nullopt;
}

/// What a coverage directory holds, read under its flush lock, and what
/// its key directories say as they are collected.
struct DirectorySnapshot {
  DirectoryContents Contents;
  std::vector<std::pair<std::string, std::string>> Unreadable; // path, error
  std::map<std::string, std::vector<std::string>> Profiles;    // key -> names
  /// key -> name -> why it is not read (not followed, never a profile).
  std::map<std::string, std::map<std::string, std::string>> Skipped;
  /// Every file of a key directory is one test (docs/protocol.md, "Test
  /// identity"): records, markers, stock and orphan profiles, and files
  /// that cannot be parsed.
  std::map<std::string, std::optional<std::string>> TestOfKey;
  /// What names no label itself (an orphan profile, a file that cannot be
  /// read, a stray file) takes its key directory's label, else the label
  /// all of the directory's records and markers agree on (a run's --label).
  std::map<std::string, std::optional<std::string>> LabelOfKey;
  std::optional<std::string> DirectoryLabel;
};

/// What is known about one process image across a directory's files.
struct ProcessInfo {
  const FlushRecord *Final = nullptr;
  const FlushRecord *Last = nullptr;
  std::string LastPath;
  ContextState *LastCtx = nullptr;
  std::string MarkerPath;
  bool MarkerFailed = false; ///< a .failed marker: the final record failed
  ContextState *MarkerCtx = nullptr;
  std::set<ContextState *> Contexts;
};
struct ProcessTable {
  std::map<ProcessId, ProcessInfo> Processes;
};

Error Merger::collectDirectory(StringRef Dir) {
  if (Error E = waitForRun(Dir))
    return E;
  // No compactor may remove what the merge is about to read.
  Expected<std::optional<LockFile>> Compact =
      acquireCompactLock(Dir, LockKind::Shared, /*Wait=*/true, [&] {
        warn(fileError(Dir, "waiting for the compaction in progress"));
      });
  if (!Compact)
    return Compact.takeError();
  HeldLocks.push_back(std::move(**Compact));
  DirectorySnapshot S;
  if (Error E = snapshotDirectory(Dir, S))
    return E;
  S.DirectoryLabel = agreedLabel(Dir, S.Contents);
  ProcessTable Table;
  for (const TestDirectory &TD : S.Contents.Tests)
    collectKey(Dir, TD, S, Table);
  collectUnreadable(Dir, S);
  accountProcesses(Table);
  return Error::success();
}

/// A live run is still writing: refuse (or wait), unless we are part of
/// that very run (a merge step at the end of `llvm-covlock run -- ...`).
Error Merger::waitForRun(StringRef Dir) {
  for (bool Waited = false;; Waited = true) {
    Expected<std::optional<LockHolder>> Holder = queryRunLock(Dir);
    if (!Holder)
      return Holder.takeError();
    if (!*Holder)
      return Error::success();
    const char *OurRun = std::getenv(EnvRun.data());
    if (OurRun && (*Holder)->Record && (*Holder)->Record->Run == OurRun)
      return Error::success();
    if (!Opts.WaitForRun)
      return createFileError(Dir, make_error<DirectoryBusyError>(
                                      Dir.str(), (*Holder)->describe()));
    if (!Waited)
      warn(fileError(Dir, "waiting for the run in progress (" +
                              (*Holder)->describe() + ") to finish"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

/// The records, markers and profile names of \p Dir, listed while no
/// process is publishing (under the flush lock).
Error Merger::snapshotDirectory(StringRef Dir, DirectorySnapshot &S) {
  Expected<LockFile> Flush = acquireFlushLock(Dir, LockKind::Exclusive);
  if (!Flush)
    return Flush.takeError();
  Expected<DirectoryContents> C = readCoverageDirectory(Dir, [&](Error E) {
    handleAllErrors(
        std::move(E),
        [&](const FileError &FE) {
          S.Unreadable.push_back(
              {FE.getFileName().str(), FE.messageWithoutFileInfo()});
        },
        [&](const ErrorInfoBase &EI) {
          S.Unreadable.push_back({Dir.str(), EI.message()});
        });
  });
  if (!C)
    return C.takeError();
  S.Contents = std::move(*C);
  for (const TestDirectory &TD : S.Contents.Tests) {
    std::error_code EC;
    std::string Sub = joinPath(Dir, TD.Key);
    std::vector<std::string> &Names = S.Profiles[TD.Key];
    for (fs::directory_iterator I(Sub, EC, /*follow_symlinks=*/false), E;
         I != E && !EC; I.increment(EC)) {
      StringRef Name = sys::path::filename(I->path());
      // Packs' profiles are read through their packs, or not at all (what a
      // killed compactor left).
      if (Name.starts_with(".") || !Name.ends_with(".profraw") ||
          Name.ends_with(".stock.profraw") || packNumberOf(Name))
        continue;
      // Only regular files: a symlink in a coverage directory is never
      // followed, and a FIFO must not hang the merge.
      ErrorOr<fs::basic_file_status> St = I->status(); // lstat
      if (!St || St->type() != fs::file_type::regular_file) {
        S.Skipped[TD.Key][Name.str()] =
            St && St->type() == fs::file_type::symlink_file
                ? "a symbolic link; not followed"
                : "not a regular file; skipped";
        continue;
      }
      Names.push_back(Name.str());
    }
    llvm::sort(Names);
  }
  return Error::success();
}

/// The flush records of key directory \p TD: their processes into
/// \p Table, their profiles as units of their contexts; the profile names
/// they account for into \p Used.
void Merger::collectRecords(StringRef Sub, const TestDirectory &TD,
                            DirectorySnapshot &S, ProcessTable &Table,
                            std::set<std::string> &Used) {
  const std::optional<std::string> &DirTest = S.TestOfKey[TD.Key];
  for (const NamedRecord<FlushRecord> &NR : TD.Records) {
    const FlushRecord &R = NR.Record;
    ContextState &Ctx = context(labelOf(R.Label), DirTest);
    std::string RecordPath = joinPath(Sub, NR.Name);
    ProcessInfo &P = Table.Processes[R.id()];
    P.Contexts.insert(&Ctx);
    if (!P.Last || P.Last->Seq <= R.Seq) {
      P.Last = &R;
      P.LastPath = RecordPath;
      P.LastCtx = &Ctx;
    }
    if (R.Final && (!P.Final || P.Final->Seq <= R.Seq))
      P.Final = &R;
    if (R.Reason == "test-begin" || R.Reason == "test-end" ||
        R.Reason == "explicit")
      Ctx.Boundary = true;
    // The end of this test, as `llvm-covlock status` counts it (a pack's
    // records included), whether or not its profile could be written.
    if (R.Outcome)
      Ctx.C.Outcomes.add(*R.Outcome);
    // v1 records without a profile always say why; a v2 flush with no
    // module left to write (all unloaded) has nothing to merge.
    if (R.Error || (!R.Profile && R.Version < 2)) {
      ++Ctx.C.Failed;
      std::string Why = R.Error ? *R.Error : "no profile was written";
      Ctx.C.Problems.push_back({"failed", RecordPath, Why});
      warn(fileError(RecordPath,
                     "the process could not write its profile: " + Why));
      continue;
    }
    if (!NR.Pack.empty()) // its profiles are summed in the pack's
      continue;
    for (const ModuleProfile &MP : R.profiles()) {
      Used.insert(MP.Profile);
      std::string ProfilePath = joinPath(Sub, MP.Profile);
      auto Skip = S.Skipped[TD.Key].find(MP.Profile);
      if (Skip != S.Skipped[TD.Key].end()) {
        ++Ctx.C.Unreadable;
        Ctx.C.Problems.push_back({"unreadable", ProfilePath, Skip->second});
        ++BadInputs;
        badInput(fileError(ProfilePath, Skip->second));
        continue;
      }
      const std::vector<std::string> &Names = S.Profiles[TD.Key];
      if (!std::binary_search(Names.begin(), Names.end(), MP.Profile)) {
        ++Ctx.C.Unreadable;
        Ctx.C.Problems.push_back({"unreadable", ProfilePath,
                                  "the profile its record names is missing"});
        warn(fileError(ProfilePath, "missing (named by " + NR.Name + ")"));
        continue;
      }
      addPublishedUnit(ProfilePath, Ctx, MP.Path, MP.BinaryId);
    }
  }
}

Unit &Merger::addPublishedUnit(std::string Path, ContextState &Ctx,
                               StringRef Exe,
                               const std::optional<std::string> &BinaryId) {
  Unit &U = addUnit(std::move(Path), Ctx);
  U.Volatile = false;
  U.Exe = Exe.str();
  if (Opts.ExecutableFound && !U.Exe.empty() &&
      ExecutablesSeen.insert(U.Exe).second)
    Opts.ExecutableFound(U.Exe);
  U.BinaryId = BinaryId.value_or("");
  return U;
}

/// The profiles of key directory \p TD's packs, each of its binary and
/// label (the records a pack carries were counted with the others).
void Merger::collectPacks(StringRef Dir, StringRef Sub, const TestDirectory &TD,
                          DirectorySnapshot &S) {
  const std::optional<std::string> &DirTest = S.TestOfKey[TD.Key];
  std::string Layouts = getLayoutsDir(Dir);
  for (const NamedRecord<Pack> &NP : TD.Packs)
    for (const PackProfile &PP : NP.Record.Profiles) {
      addPublishedUnit(joinPath(Sub, PP.Profile),
                       context(labelOf(PP.Label), DirTest), PP.Path,
                       PP.BinaryId)
          .LayoutPath = joinPath(Layouts, PP.Layout);
    }
}

/// Everything of key directory \p TD: records, markers, stock profiles,
/// profiles without a record, and files skipped as not regular.
void Merger::collectKey(StringRef Dir, const TestDirectory &TD,
                        DirectorySnapshot &S, ProcessTable &Table) {
  std::string Sub = joinPath(Dir, TD.Key);
  std::optional<std::string> DirLabel = S.DirectoryLabel;
  for (const NamedRecord<FlushRecord> &NR : TD.Records)
    if (NR.Record.Label) {
      DirLabel = NR.Record.Label;
      break;
    }
  S.LabelOfKey[TD.Key] = DirLabel;
  const std::optional<std::string> &DirTest = S.TestOfKey[TD.Key] =
      identifyTest(TD).Id;

  // What packs absorbed is read through the packs, never again.
  std::set<std::string> Used(TD.Remnants.begin(), TD.Remnants.end());
  collectRecords(Sub, TD, S, Table, Used);
  collectPacks(Dir, Sub, TD, S);
  for (const NamedRecord<BootMarker> &NM : TD.Markers) {
    const BootMarker &M = NM.Record;
    ContextState &Ctx = context(labelOf(M.Label), DirTest);
    ProcessInfo &P = Table.Processes[M.id()];
    P.Contexts.insert(&Ctx);
    P.MarkerPath = joinPath(Sub, NM.Name);
    P.MarkerCtx = &Ctx;
    P.MarkerFailed = M.FlushFailed;
  }
  // A program linked without the runtime: one whole process, if its
  // profile is readable; a module linked without it inside a covlock
  // process: part of that process.
  for (const StockProfile &SP : TD.Stock) {
    ContextState &Ctx = context(labelOf(DirLabel), DirTest);
    if (!TD.isModuleOfCovlockProcess(SP))
      ++Ctx.C.Processes;
    addUnit(joinPath(Sub, SP.Name), Ctx);
  }
  // Profiles without a record: their writer died between publishing the
  // profile and the record. The counts are real; llvm-profdata of the
  // directory's *.profraw would count them too.
  for (const std::string &Name : S.Profiles[TD.Key])
    if (!Used.count(Name))
      addUnit(joinPath(Sub, Name), context(labelOf(DirLabel), DirTest))
          .Volatile = false;
  for (auto &[Name, Why] : S.Skipped[TD.Key])
    if (!Used.count(Name)) {
      ContextState &Ctx = context(labelOf(DirLabel), DirTest);
      ++Ctx.C.Unreadable;
      Ctx.C.Problems.push_back({"unreadable", joinPath(Sub, Name), Why});
      ++BadInputs;
      badInput(fileError(joinPath(Sub, Name), Why));
    }
}

/// Files that could not be read: a record or marker belongs to its key
/// directory's test; a file where a key directory should be, to no test.
void Merger::collectUnreadable(StringRef Dir, DirectorySnapshot &S) {
  for (auto &[Path, Message] : S.Unreadable) {
    StringRef Parent = sys::path::parent_path(Path);
    std::optional<std::string> Test, Label = S.DirectoryLabel;
    if (Parent != StringRef(Dir).rtrim('/')) {
      std::string Key = sys::path::filename(Parent).str();
      auto It = S.TestOfKey.find(Key);
      if (It != S.TestOfKey.end()) {
        Test = It->second;
        Label = S.LabelOfKey[Key];
      } else {
        TestDirectory Empty;
        Empty.Key = Key;
        Test = identifyTest(Empty).Id;
      }
    }
    ContextState &Ctx = context(labelOf(Label), Test);
    ++Ctx.C.Unreadable;
    Ctx.C.Problems.push_back({"unreadable", Path, Message});
    ++BadInputs;
    badInput(fileError(Path, Message));
  }
}

/// Each process once in each of its contexts; one without a final record
/// failed (a .failed marker), still runs, or was lost.
void Merger::accountProcesses(ProcessTable &Table) {
  for (auto &[Id, P] : Table.Processes) {
    for (ContextState *Ctx : P.Contexts) {
      ++Ctx->C.Processes;
      if (P.Contexts.size() > 1)
        Ctx->Boundary = true; // one process ran several tests
    }
    if (P.Final)
      continue;
    if (P.MarkerFailed) {
      std::string Msg = "process " + std::to_string(Id.Pid) + " on " + Id.Host +
                        " could not write its final flush: its counts since "
                        "its last flush are gone";
      ++P.MarkerCtx->C.Failed;
      P.MarkerCtx->C.Problems.push_back({"failed", P.MarkerPath, Msg});
      warn(fileError(P.MarkerPath, Msg));
      continue;
    }
    bool Running = !P.MarkerPath.empty() && isProcessImageRunning(Id);
    ContextState *Ctx = P.MarkerCtx ? P.MarkerCtx : P.LastCtx;
    std::string Path = P.MarkerPath.empty() ? P.LastPath : P.MarkerPath;
    std::string Msg =
        "process " + std::to_string(Id.Pid) + " on " + Id.Host +
        (Running ? " is still running: its counts since its last flush are "
                   "not in any profile"
                 : " was lost (killed before its final flush): its counts "
                   "since its last flush are gone");
    ++Ctx->C.Lost;
    Ctx->C.Problems.push_back({"lost", Path, Msg});
    warn(fileError(Path, Msg));
  }
}

void Merger::collectFile(StringRef Path) {
  // lit's --per-test-coverage names each test's profile after the test.
  ContextState &Ctx =
      context(labelOf(std::nullopt), sys::path::stem(Path).str());
  ++Ctx.C.Processes;
  addUnit(Path.str(), Ctx);
}

void Merger::splitConcatenatedProfiles() {
  // Only files compiler-rt wrote itself (stock profiles, files given by
  // name) can hold several profiles; the runtime writes one per file.
  size_t NumUnits = Units.size();
  for (size_t I = 0; I != NumUnits; ++I) {
    if (!Units[I]->Volatile)
      continue;
    std::vector<RawProfileSlice> Slices = splitRawProfiles(Units[I]->Path);
    if (Slices.size() < 2)
      continue;
    for (size_t S = 0; S != Slices.size(); ++S) {
      Unit &U = S ? addUnit(Units[I]->Path, *Units[I]->Ctx) : *Units[I];
      U.Offset = Slices[S].Offset;
      U.Size = Slices[S].Size;
      U.Exe = Units[I]->Exe;
      U.BinaryId = Units[I]->BinaryId;
    }
  }
}

Error Merger::collect() {
  std::set<std::string> Seen; // real paths
  for (const std::string &Input : Opts.Inputs) {
    fs::file_status S;
    if (std::error_code EC = fs::status(Input, S)) {
      ++BadInputs;
      badInput(createFileError(Input, EC));
      continue;
    }
    // Merged again, as asked (a re-upload sums too), but said.
    SmallString<256> Real;
    if (!fs::real_path(Input, Real) && !Seen.insert(std::string(Real)).second)
      warn(fileError(Input, "given more than once: what it holds is counted "
                            "each time"));
    if (fs::is_directory(S)) {
      if (!isCovlockDirectory(Input)) {
        Error E = fileError(Input, whyNotCovlockDirectory(Input) +
                                       "; pass its profiles as files instead");
        ++BadInputs;
        badInput(std::move(E));
        continue;
      }
      if (Error E = collectDirectory(Input))
        return E;
      continue;
    }
    // A file named on the command line may be a link to a profile, but a
    // FIFO or a device must not hang or flood the merge.
    if (!fs::is_regular_file(S)) {
      ++BadInputs;
      badInput(fileError(Input, "not a regular file"));
      continue;
    }
    if (StringRef(Input).ends_with(".covdb")) {
      Databases.push_back(Input);
      continue;
    }
    collectFile(Input);
  }
  splitConcatenatedProfiles();
  // One order for everything that follows: the files' paths, the order in
  // which a shell's glob would pass them to llvm-profdata, and within a file
  // its profiles' order, as llvm-profdata reads them.
  llvm::sort(Units, [](const std::unique_ptr<Unit> &A,
                       const std::unique_ptr<Unit> &B) {
    return std::tie(A->Path, A->Offset) < std::tie(B->Path, B->Offset);
  });
  for (size_t I = 0; I < Units.size(); ++I) {
    Units[I]->Index = I;
    Units[I]->Ctx->Units.push_back(Units[I].get());
  }
  return Error::success();
}

} // namespace merge
} // namespace covlock
