//===- Directory.cpp - Reading and counting a coverage directory ----------===//

#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <signal.h>
#include <unistd.h>

using namespace llvm;
namespace fs = llvm::sys::fs;

namespace covlock {

bool TestDirectory::isModuleOfCovlockProcess(const StockProfile &P) const {
  // <raw host>.<pid>.stock.profraw; covlock's files name the host by its key.
  StringRef Stem = StringRef(P.Name).drop_back(strlen(".stock.profraw"));
  auto [RawHost, PidText] = Stem.rsplit('.');
  int64_t Pid;
  if (PidText.getAsInteger(10, Pid))
    return false;
  std::string Host = encodeTestKey(RawHost);
  for (const NamedRecord<FlushRecord> &R : Records)
    if (R.Record.Pid == Pid && R.Record.Host == Host)
      return true;
  for (const NamedRecord<BootMarker> &M : Markers)
    if (M.Record.Pid == Pid && M.Record.Host == Host)
      return true;
  return false;
}

bool isCovlockDirectory(StringRef Dir) {
  fs::file_status S;
  if (fs::status(getControlDir(Dir), S, /*Follow=*/false))
    return false;
  return fs::is_directory(S);
}

std::string whyNotCovlockDirectory(StringRef Dir) {
  fs::file_status S;
  if (fs::status(getControlDir(Dir), S, /*Follow=*/false))
    return "not a covlock directory (no .covlock/)";
  if (fs::is_symlink_file(S))
    return "not a covlock directory (its .covlock is a symbolic link; not "
           "followed)";
  return "not a covlock directory (its .covlock is not a directory)";
}

/// Names in \p Dir, sorted, so that everything downstream is deterministic.
static Expected<std::vector<std::string>> listDirectory(StringRef Dir) {
  std::vector<std::string> Names;
  std::error_code EC;
  for (fs::directory_iterator I(Dir, EC, /*follow_symlinks=*/false), E;
       I != E && !EC; I.increment(EC))
    Names.push_back(sys::path::filename(I->path()).str());
  if (EC)
    return createFileError(Dir, EC);
  llvm::sort(Names);
  return Names;
}

/// Puts what the packs of \p TD say in its place: a record a pack absorbed
/// (same name and start) and a pack another absorbed become remnants, and
/// the records the live packs carry join the directory's records.
static void applyPacks(StringRef Dir, TestDirectory &TD,
                       std::vector<NamedRecord<Pack>> &AllPacks,
                       uint64_t &Unreadable, function_ref<void(Error)> Warn) {
  auto Ignore = [&](StringRef Name, const Twine &Why) {
    SmallString<256> Path(Dir);
    sys::path::append(Path, Name);
    ++Unreadable;
    Warn(createFileError(Path,
                         createStringError(inconvertibleErrorCode(), Why)));
  };
  // Which packs stand: not absorbed by another, and, oldest first, not
  // carrying a record an earlier one carries (a copy, never the
  // compactor's doing). Only they, and the absorbed ones, are obeyed.
  std::set<std::string> AbsorbedPacks;
  for (const NamedRecord<Pack> &P : AllPacks)
    AbsorbedPacks.insert(P.Record.AbsorbedPacks.begin(),
                         P.Record.AbsorbedPacks.end());
  llvm::sort(AllPacks,
             [](const NamedRecord<Pack> &A, const NamedRecord<Pack> &B) {
               return A.Record.Number < B.Record.Number;
             });
  std::set<std::pair<std::string, int64_t>> Carried, AbsorbedRecords;
  std::vector<NamedRecord<FlushRecord>> Kept;
  for (NamedRecord<Pack> &P : AllPacks) {
    bool Absorbed = AbsorbedPacks.count(P.Name);
    if (!Absorbed && llvm::any_of(P.Record.Records, [&](const auto &R) {
          return Carried.count({R.Name, R.Record.Start});
        })) {
      Ignore(P.Name, "carries records that an earlier pack carries (a "
                     "copy?); not read");
      continue;
    }
    for (const AbsorbedRecord &A : P.Record.AbsorbedRecords)
      AbsorbedRecords.insert({A.Name, A.Start});
    if (Absorbed) {
      for (const PackProfile &PP : P.Record.Profiles)
        TD.Remnants.push_back(PP.Profile);
      TD.Remnants.push_back(P.Name);
      continue;
    }
    for (const NamedRecord<FlushRecord> &R : P.Record.Records) {
      Carried.insert({R.Name, R.Record.Start});
      Kept.push_back({R.Name, R.Record, P.Name});
    }
    TD.Packs.push_back(std::move(P));
  }
  for (NamedRecord<FlushRecord> &R : TD.Records) {
    bool IsAbsorbed = AbsorbedRecords.count({R.Name, R.Record.Start});
    // A record file that a pack carries but does not say it absorbed (a
    // restored copy): its counts are the pack's already.
    if (!IsAbsorbed && Carried.count({R.Name, R.Record.Start}))
      Ignore(R.Name, "a pack carries this record already; not read");
    else if (!IsAbsorbed) {
      Kept.push_back(std::move(R));
      continue;
    }
    for (const ModuleProfile &MP : R.Record.profiles())
      TD.Remnants.push_back(MP.Profile);
    TD.Remnants.push_back(R.Name);
  }
  llvm::sort(Kept, [](const NamedRecord<FlushRecord> &A,
                      const NamedRecord<FlushRecord> &B) {
    return std::tie(A.Name, A.Record.Start, A.Pack) <
           std::tie(B.Name, B.Record.Start, B.Pack);
  });
  TD.Records = std::move(Kept);
}

/// A process image killed between creating its marker and writing it
/// leaves an empty <host>.<pid>[.b<N>].boot: a process nonetheless, known
/// by its name, started when the file was made (its modification time),
/// and lost once its pid is gone.
static std::optional<BootMarker> markerOfEmptyFile(StringRef Name) {
  StringRef Stem = Name.drop_back(strlen(".boot"));
  auto [Rest, Last] = Stem.rsplit('.');
  if (Last.starts_with("b") && !Last.drop_front().empty() &&
      llvm::all_of(Last.drop_front(), isDigit))
    Stem = Rest;
  auto [Host, PidText] = Stem.rsplit('.');
  BootMarker M;
  if (Host.empty() || PidText.getAsInteger(10, M.Pid) || M.Pid <= 0)
    return std::nullopt;
  M.Host = Host.str();
  return M;
}

static Expected<BootMarker> readBootMarker(StringRef Path, StringRef Name) {
  fs::file_status S;
  if (!fs::status(Path, S, /*Follow=*/false) && fs::is_regular_file(S) &&
      S.getSize() == 0)
    if (std::optional<BootMarker> M = markerOfEmptyFile(Name)) {
      M->Start = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     S.getLastModificationTime().time_since_epoch())
                     .count();
      return *M;
    }
  return readRecordFile<BootMarker>(Path);
}

static Error readTestDirectory(StringRef Dir, TestDirectory &TD,
                               uint64_t &Unreadable,
                               function_ref<void(Error)> Warn) {
  std::vector<NamedRecord<Pack>> AllPacks;
  Expected<std::vector<std::string>> Names = listDirectory(Dir);
  if (!Names)
    return Names.takeError();
  for (const std::string &Name : *Names) {
    // Hidden files are temporaries being written (".<name>.tmp").
    if (StringRef(Name).starts_with("."))
      continue;
    SmallString<256> Path(Dir);
    sys::path::append(Path, Name);
    StringRef N(Name);
    if (N.ends_with(".stock.profraw")) {
      fs::file_status S;
      if (fs::status(Path, S, /*Follow=*/false))
        continue; // gone since listed
      if (!fs::is_regular_file(S)) {
        ++Unreadable;
        Warn(createFileError(Path, createStringError(inconvertibleErrorCode(),
                                                     "not a regular file (a "
                                                     "symbolic link?); not "
                                                     "read")));
        continue;
      }
      TD.Stock.push_back({Name, S.getSize()});
      continue;
    }
    bool IsPack = packNumberOf(N) && N.ends_with(".pack");
    bool IsRecord = N.ends_with(".json");
    // A .failed file is a marker whose image could not write its final
    // record: the image failed, it was not lost.
    bool IsFailed = N.ends_with(".failed");
    bool IsMarker = N.ends_with(".boot") || IsFailed;
    if (!IsRecord && !IsMarker && !IsPack)
      continue;

    auto Skip = [&](Error E) {
      // Writers remove markers at any time: a file that vanished between
      // listing and reading is not a problem.
      if (!fs::exists(Path)) {
        consumeError(std::move(E));
        return;
      }
      ++Unreadable;
      Warn(std::move(E));
    };

    if (IsPack) {
      Expected<Pack> P = readPackFile(Path);
      if (P && packFileName(P->Number) != Name)
        P = createFileError(Path, createStringError(inconvertibleErrorCode(),
                                                    "a pack under another "
                                                    "pack's name"));
      if (P)
        AllPacks.push_back({Name, std::move(*P)});
      else
        Skip(P.takeError());
    } else if (IsRecord) {
      Expected<FlushRecord> R = readRecordFile<FlushRecord>(Path);
      if (R)
        TD.Records.push_back({Name, std::move(*R)});
      else
        Skip(R.takeError());
    } else {
      Expected<BootMarker> M =
          IsFailed ? readRecordFile<BootMarker>(Path) : readBootMarker(Path, N);
      if (M) {
        M->FlushFailed = IsFailed;
        TD.Markers.push_back({Name, std::move(*M)});
      } else
        Skip(M.takeError());
    }
  }
  applyPacks(Dir, TD, AllPacks, Unreadable, Warn);
  return Error::success();
}

Expected<TestDirectory> readKeyDirectory(StringRef Path, StringRef Key,
                                         uint64_t &Unreadable,
                                         function_ref<void(Error)> Warn) {
  TestDirectory TD;
  TD.Key = Key.str();
  if (Error E = readTestDirectory(Path, TD, Unreadable, Warn))
    return std::move(E);
  return std::move(TD);
}

Expected<DirectoryContents>
readCoverageDirectory(StringRef Dir, function_ref<void(Error)> Warn) {
  DirectoryContents C;
  C.Dir = Dir.str();
  Expected<std::vector<std::string>> Names = listDirectory(Dir);
  if (!Names)
    return Names.takeError();
  for (const std::string &Name : *Names) {
    // ".covlock" and anything else hidden is not a test key.
    if (StringRef(Name).starts_with("."))
      continue;
    SmallString<256> Path(Dir);
    sys::path::append(Path, Name);
    fs::file_status S;
    if (fs::status(Path, S, /*Follow=*/false))
      continue;
    if (!fs::is_directory(S)) {
      // Where a test's directory should be: a symlink is never followed,
      // and whatever else is there, it is said.
      ++C.Unreadable;
      Warn(createFileError(
          Path, createStringError(inconvertibleErrorCode(),
                                  fs::is_symlink_file(S)
                                      ? "a symbolic link; not followed"
                                      : "not a test key's directory")));
      continue;
    }
    TestDirectory TD;
    TD.Key = Name;
    if (Error E = readTestDirectory(Path, TD, C.Unreadable, Warn)) {
      // A test directory removed under us (by a concurrent clean) is empty;
      // one that cannot be listed is said, and costs the others nothing.
      if (fs::exists(Path)) {
        ++C.Unreadable;
        Warn(std::move(E));
      } else {
        consumeError(std::move(E));
      }
      continue;
    }
    C.Tests.push_back(std::move(TD));
  }
  return C;
}

/// Start time of \p Pid in nanoseconds since the epoch, from /proc.
static std::optional<int64_t> getProcessStartTime(int64_t Pid) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> Stat =
      MemoryBuffer::getFileAsStream("/proc/" + Twine(Pid) + "/stat");
  ErrorOr<std::unique_ptr<MemoryBuffer>> ProcStat =
      MemoryBuffer::getFileAsStream("/proc/stat");
  if (!Stat || !ProcStat)
    return std::nullopt;
  // The command name may hold spaces and ')': fields start after the last ')'.
  StringRef S = (*Stat)->getBuffer();
  size_t Paren = S.rfind(')');
  if (Paren == StringRef::npos)
    return std::nullopt;
  SmallVector<StringRef, 64> Fields;
  S.drop_front(Paren + 1).split(Fields, ' ', -1, /*KeepEmpty=*/false);
  // Field 22 (starttime) is the 20th after the command name.
  uint64_t Ticks;
  if (Fields.size() < 20 || Fields[19].getAsInteger(10, Ticks))
    return std::nullopt;
  uint64_t BootTime = 0;
  SmallVector<StringRef, 32> Lines;
  (*ProcStat)->getBuffer().split(Lines, '\n');
  for (StringRef Line : Lines)
    if (Line.consume_front("btime "))
      if (Line.trim().getAsInteger(10, BootTime))
        return std::nullopt;
  long Hz = sysconf(_SC_CLK_TCK);
  if (!BootTime || Hz <= 0)
    return std::nullopt;
  return static_cast<int64_t>(BootTime) * 1000000000 +
         static_cast<int64_t>(Ticks) * (1000000000 / Hz);
}

bool isProcessImageRunning(const ProcessId &Id) {
  static const std::string Host = getHostName();
  if (Id.Host != Host || Id.Pid <= 0)
    return false;
  if (kill(static_cast<pid_t>(Id.Pid), 0) != 0 && errno != EPERM)
    return false;
  // A pid can be reused. The kernel's start time is that of the process
  // (exec keeps it), so it is never after the image's own start; a process
  // that started later is someone else. btime has a resolution of one
  // second, hence the slack.
  if (std::optional<int64_t> Started = getProcessStartTime(Id.Pid))
    return *Started - 2000000000LL <= Id.Start; // Start is read from disk
  return true;
}

namespace {
/// What is known about one process image across all test directories.
struct ProcessInfo {
  const FlushRecord *Final = nullptr;
  bool HasMarker = false;
  bool FlushFailed = false; ///< a .failed marker
};
} // namespace

static ProcessState classify(const ProcessId &Id, const ProcessInfo &Info,
                             function_ref<bool(const ProcessId &)> IsRunning) {
  // The final record is published before the marker is removed, so a final
  // record wins over a marker that is still there.
  if (Info.Final)
    return Info.Final->Error ? ProcessState::Failed : ProcessState::Flushed;
  if (Info.FlushFailed)
    return ProcessState::Failed;
  if (Info.HasMarker && IsRunning(Id))
    return ProcessState::Running;
  // A marker left behind, or records without a final one and without a
  // marker (the image died between flushes): its last data is gone.
  return ProcessState::Lost;
}

static void count(ProcessCounts &C, ProcessState S) {
  ++C.Processes;
  switch (S) {
  case ProcessState::Flushed:
    ++C.Flushed;
    break;
  case ProcessState::Failed:
    ++C.Failed;
    break;
  case ProcessState::Running:
    ++C.Running;
    break;
  case ProcessState::Lost:
    ++C.Lost;
    break;
  }
}

static uint64_t profileBytes(const FlushRecord &R) {
  uint64_t Bytes = 0;
  for (const ModuleProfile &MP : R.profiles())
    Bytes += MP.Size;
  return Bytes;
}

DirectorySummary
summarizeDirectory(const DirectoryContents &Contents,
                   function_ref<bool(const ProcessId &)> IsRunning) {
  std::map<ProcessId, ProcessInfo> Processes;
  for (const TestDirectory &TD : Contents.Tests) {
    for (const NamedRecord<FlushRecord> &R : TD.Records) {
      ProcessInfo &Info = Processes[R.Record.id()];
      // Several final records would be a writer bug; the last flush wins.
      if (R.Record.Final && (!Info.Final || Info.Final->Seq <= R.Record.Seq))
        Info.Final = &R.Record;
    }
    for (const NamedRecord<BootMarker> &M : TD.Markers) {
      ProcessInfo &Info = Processes[M.Record.id()];
      (M.Record.FlushFailed ? Info.FlushFailed : Info.HasMarker) = true;
    }
  }

  std::map<ProcessId, ProcessState> States;
  DirectorySummary Sum;
  Sum.Unreadable = Contents.Unreadable;
  for (const auto &[Id, Info] : Processes) {
    ProcessState S = classify(Id, Info, IsRunning);
    States.emplace(Id, S);
    count(Sum.Total, S);
  }

  for (const TestDirectory &TD : Contents.Tests) {
    TestSummary TS;
    TS.Key = TD.Key;
    TS.Identity = identifyTest(TD);
    std::set<ProcessId> Seen;
    for (const NamedRecord<FlushRecord> &R : TD.Records) {
      Seen.insert(R.Record.id());
      if (R.Pack.empty()) // a pack's records: their bytes are the pack's
        TS.Counts.Bytes += profileBytes(R.Record);
      // Only a test end has an outcome; it is in the ended test's record.
      if (R.Record.Outcome)
        TS.Outcomes.add(*R.Record.Outcome);
    }
    for (const NamedRecord<Pack> &P : TD.Packs)
      for (const PackProfile &PP : P.Record.Profiles) // sizes read from disk
        TS.Counts.Bytes = SaturatingAdd(TS.Counts.Bytes, PP.Size);
    for (const NamedRecord<BootMarker> &M : TD.Markers)
      Seen.insert(M.Record.id());
    for (const ProcessId &Id : Seen)
      count(TS.Counts, States.at(Id));
    for (const StockProfile &P : TD.Stock) {
      if (!TD.isModuleOfCovlockProcess(P))
        ++TS.Counts.Stock;
      TS.Counts.Bytes += P.Size;
    }
    Sum.Total.Stock += TS.Counts.Stock;
    Sum.Total.Bytes += TS.Counts.Bytes;
    Sum.Outcomes.add(TS.Outcomes);
    Sum.Tests.push_back(std::move(TS));
  }
  return Sum;
}

Error createCoverageDirectory(StringRef Dir) {
  fs::file_status S;
  if (std::error_code EC = fs::status(Dir, S)) {
    if (EC != std::errc::no_such_file_or_directory)
      return createFileError(Dir, EC);
  } else {
    if (!fs::is_directory(S))
      return createFileError(Dir, make_error_code(errc::not_a_directory));
    if (!isCovlockDirectory(Dir)) {
      std::error_code EC;
      fs::directory_iterator I(Dir, EC, /*follow_symlinks=*/false);
      if (EC)
        return createFileError(Dir, EC);
      if (I != fs::directory_iterator())
        return createFileError(
            Dir, createStringError(
                     inconvertibleErrorCode(),
                     "exists and is not a covlock directory (it is not empty "
                     "and has no .covlock/); refusing to use it: choose a new "
                     "or empty directory"));
    }
  }
  std::string Control = getControlDir(Dir);
  if (std::error_code EC = fs::create_directories(Control))
    return createFileError(Control, EC);
  return Error::success();
}

/// Remove \p Path and, for a directory, everything below it. Symlinks are
/// removed, never followed.
static Error removeTree(const Twine &Path) {
  SmallString<256> P;
  Path.toVector(P);
  fs::file_status S;
  if (std::error_code EC = fs::status(P, S, /*Follow=*/false)) {
    if (EC == std::errc::no_such_file_or_directory)
      return Error::success();
    return createFileError(P, EC);
  }
  if (fs::is_directory(S)) {
    Expected<std::vector<std::string>> Names = listDirectory(P);
    if (!Names)
      return Names.takeError();
    for (const std::string &Name : *Names) {
      SmallString<256> Child(P);
      sys::path::append(Child, Name);
      if (Error E = removeTree(Child))
        return E;
    }
  }
  // Not fs::remove, which refuses FIFOs, sockets and devices: whatever a
  // program left in the directory goes.
  if ((fs::is_directory(S) ? ::rmdir(P.c_str()) : ::unlink(P.c_str())) != 0 &&
      errno != ENOENT)
    return createFileError(
        P, errorCodeToError(std::error_code(errno, std::generic_category())));
  return Error::success();
}

Error clearCoverageDirectory(StringRef Dir) {
  // The layouts of packs go with the packs.
  if (Error E = removeTree(getLayoutsDir(Dir)))
    return E;
  Expected<std::vector<std::string>> Names = listDirectory(Dir);
  if (!Names)
    return Names.takeError();
  for (const std::string &Name : *Names) {
    if (Name == ControlDirName)
      continue;
    SmallString<256> Path(Dir);
    sys::path::append(Path, Name);
    if (Error E = removeTree(Path))
      return E;
  }
  return Error::success();
}

} // namespace covlock
