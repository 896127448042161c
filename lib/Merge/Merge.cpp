//===- Merge.cpp - Merging profiles and directories -----------------------===//
//
// The merge runs in three steps:
//
// 1. Collect. Inputs become profile files ("units"), each belonging to one
//    context (label x test). A coverage directory is snapshotted under its
//    flush lock: records, markers, stock and orphan profiles; its processes
//    are classified as docs/protocol.md says, and what is missing (lost
//    processes, failed flushes) is recorded against its context.
//
// 2. Sum (parallel, one task per context). A raw profile that the bulk view
//    accepts (RawProfile.h) is matched to a layout by comparing its data and
//    names sections with the layout's first profile, and its counter section
//    is added to the context's dense sums as an array. The first profile of
//    a new layout is read once with LLVM's reader, to check it and to learn
//    the function names. Contexts are disjoint, so tasks share nothing but
//    the layout registry; each worker also keeps its own aggregate per
//    layout.
//
// 3. Write (sequential, in the sorted order of the files). Each layout's
//    first profile, its counters replaced by the layout's sums, goes through
//    RawInstrProfReader into an InstrProfWriter, in the position where
//    `llvm-profdata merge` would meet it first; files the bulk view does not
//    take (.profdata, other variants) are read whole there. The order of
//    insertion is the order llvm-profdata would use, so the written file is
//    the same, byte for byte.
//
// Sums saturate as InstrProfRecord::merge's do, so they are independent of
// the order and of the number of threads; bitmap bytes are ORed.
//
//===----------------------------------------------------------------------===//

#include "covlock/Merge/Merge.h"
#include "covlock/Locking/RunLock.h"
#include "covlock/Merge/Binaries.h"
#include "covlock/Merge/RawProfile.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

using namespace llvm;
namespace fs = llvm::sys::fs;

namespace covlock {

char DirectoryBusyError::ID = 0;

void DirectoryBusyError::log(raw_ostream &OS) const {
  OS << "a run is in progress (" << Holder
     << "); wait for it to finish, or pass --wait";
}

std::error_code DirectoryBusyError::convertToErrorCode() const {
  return std::make_error_code(std::errc::resource_unavailable_try_again);
}

namespace {

constexpr StringLiteral DefaultLabel = "default";

/// Sums of one binary layout: dense while profiles are added, sparse (if
/// asked for) once a context is complete.
struct Sums {
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;
  bool Saturated = false;
  bool Sparse = false;
  uint64_t NumCounters = 0; ///< of the dense form, while Sparse
  std::vector<uint32_t> NonZero;
  std::vector<uint64_t> NonZeroCounts;

  void sparsify() {
    if (Sparse)
      return;
    for (size_t I = 0, E = Counters.size(); I != E; ++I)
      if (Counters[I]) {
        NonZero.push_back(uint32_t(I));
        NonZeroCounts.push_back(Counters[I]);
      }
    NumCounters = Counters.size();
    std::vector<uint64_t>().swap(Counters);
    Sparse = true;
  }

  void densify() {
    if (!Sparse)
      return;
    Counters.assign(NumCounters, 0);
    for (size_t I = 0, E = NonZero.size(); I != E; ++I)
      Counters[NonZero[I]] = NonZeroCounts[I];
    std::vector<uint32_t>().swap(NonZero);
    std::vector<uint64_t>().swap(NonZeroCounts);
    Sparse = false;
  }
};

struct Layout;
struct ContextState;

/// One profile file.
struct Unit {
  std::string Path;
  ContextState *Ctx = nullptr;
  std::string Exe, BinaryId; ///< from its flush record, if any
  /// Read, rather than map: a file that someone may still be writing (a
  /// stock profile, a file named on the command line) could shrink under a
  /// mapping, and touching the lost pages would kill the merge. Published
  /// profiles of a coverage directory are never written again.
  bool Volatile = true;
  enum StateKind { Pending, Bulk, Other, Bad } State = Pending;
  Layout *L = nullptr;
  size_t Index = 0; ///< position in the sorted list of all units
};

/// A raw profile layout: a binary, as seen through its profiles.
struct Layout {
  std::unique_ptr<MemoryBuffer> Ref; ///< the profile that defined it
  RawProfileView View;
  uint64_t Key = 0;
  std::atomic<size_t> FirstUnit{SIZE_MAX};
  std::vector<LayoutFunction> Functions;
  /// (NameRef, FuncHash) -> index into Functions, for profiles read whole.
  DenseMap<std::pair<uint64_t, uint64_t>, unsigned> ByName;
  std::string BinaryPath;
  bool Rejected = false;
  unsigned Index = 0; ///< in MergeResult::Binaries
};

struct ContextState {
  Context C;
  bool Boundary = false; ///< in-process test boundaries were seen
  std::vector<Unit *> Units;
  /// Per layout; filled by the one task that owns this context.
  std::map<Layout *, Sums> PerLayout;
};

using ContextKey = std::pair<std::string, std::optional<std::string>>;

/// Layouts found so far, shared by the workers.
class LayoutRegistry {
public:
  /// The layout of \p V (whose buffer \p Buf owns), registering it (and
  /// reading it once with LLVM's reader) if it is new.
  Expected<Layout *> get(const RawProfileView &V,
                         std::unique_ptr<MemoryBuffer> &Buf);

  std::vector<std::unique_ptr<Layout>> &layouts() { return Layouts; }

private:
  std::mutex Lock;
  std::vector<std::unique_ptr<Layout>> Layouts;
};

Expected<Layout *> LayoutRegistry::get(const RawProfileView &V,
                                       std::unique_ptr<MemoryBuffer> &Buf) {
  uint64_t Key = layoutKey(V);
  // Layouts are never changed once published; compare outside the lock.
  size_t Seen;
  {
    std::lock_guard<std::mutex> G(Lock);
    Seen = Layouts.size();
  }
  auto Find = [&](size_t Begin, size_t End) -> Layout * {
    for (size_t I = Begin; I < End; ++I) {
      Layout *L = Layouts[I].get();
      if (L->Key == Key && haveSameLayout(L->View, V))
        return L;
    }
    return nullptr;
  };
  std::vector<Layout *> Snapshot;
  {
    std::lock_guard<std::mutex> G(Lock);
    for (size_t I = 0; I < Seen; ++I)
      Snapshot.push_back(Layouts[I].get());
  }
  for (Layout *L : Snapshot)
    if (L->Key == Key && haveSameLayout(L->View, V))
      return L;

  std::lock_guard<std::mutex> G(Lock);
  if (Layout *L = Find(Seen, Layouts.size()))
    return L;

  // A new layout: read it once with LLVM's reader, which checks what the
  // bulk view does not (names, offsets), and learn the functions.
  auto NewL = std::make_unique<Layout>();
  auto Reader = InstrProfReader::create(
      MemoryBuffer::getMemBuffer(V.Buffer, Buf->getBufferIdentifier(),
                                 /*RequiresNullTerminator=*/false));
  if (!Reader)
    return Reader.takeError();
  uint64_t I = 0;
  for (NamedInstrProfRecord &R : **Reader) {
    if (I >= V.NumData)
      return make_error<InstrProfError>(instrprof_error::malformed,
                                        "more records than data entries");
    std::optional<RawDataRecord> D = decodeDataRecord(V, I);
    if (!D || D->NumCounters != R.Counts.size() || D->FuncHash != R.Hash)
      return make_error<InstrProfError>(instrprof_error::malformed,
                                        "data record " + Twine(I) +
                                            " does not match its counters");
    LayoutFunction F;
    F.Name = R.Name.str();
    F.NameRef = D->NameRef;
    F.Hash = D->FuncHash;
    F.FirstCounter = D->FirstCounter;
    F.NumCounters = D->NumCounters;
    F.FirstBitmapByte = D->FirstBitmapByte;
    F.NumBitmapBytes = D->NumBitmapBytes;
    NewL->ByName.try_emplace({F.NameRef, F.Hash}, unsigned(I));
    NewL->Functions.push_back(std::move(F));
    ++I;
  }
  if (Error E = (*Reader)->getError())
    return std::move(E);
  if (I != V.NumData)
    return make_error<InstrProfError>(instrprof_error::malformed,
                                      "fewer records than data entries");
  NewL->View = V;
  NewL->Key = Key;
  NewL->Ref = std::move(Buf);
  Layouts.push_back(std::move(NewL));
  return Layouts.back().get();
}

void addSums(Sums &Dst, const Sums &Src) {
  if (Dst.Counters.empty() && Dst.Bitmap.empty()) {
    Dst = Src;
    return;
  }
  Dst.Saturated |= addCounters(Dst.Counters.data(), Src.Counters.data(),
                               Src.Counters.size());
  orBitmap(Dst.Bitmap.data(), Src.Bitmap.data(), Src.Bitmap.size());
  Dst.Saturated |= Src.Saturated;
}

Error fileError(StringRef Path, const Twine &Message) {
  return createFileError(Path,
                         createStringError(inconvertibleErrorCode(), Message));
}

/// The message of \p E without a file name: readers' errors name no file.
std::string messageOf(Error E) {
  std::string Msg;
  handleAllErrors(
      std::move(E),
      [&](const FileError &FE) {
        if (!Msg.empty())
          Msg += "; ";
        Msg += FE.messageWithoutFileInfo();
      },
      [&](const ErrorInfoBase &EI) {
        if (!Msg.empty())
          Msg += "; ";
        Msg += EI.message();
      });
  // Some of LLVM's messages run over several lines; ours are one line each.
  for (size_t I; (I = Msg.find('\n')) != std::string::npos;)
    Msg.replace(I, 1, " ");
  return Msg;
}

std::string joinPath(StringRef A, StringRef B, StringRef C = "") {
  SmallString<256> P(A);
  sys::path::append(P, B);
  if (!C.empty())
    sys::path::append(P, C);
  return std::string(P);
}

class Merger {
public:
  explicit Merger(const MergeOptions &Opts) : Opts(Opts) {}
  Expected<MergeOutput> run();

private:
  const MergeOptions &Opts;
  std::map<ContextKey, ContextState> Contexts;
  std::vector<std::unique_ptr<Unit>> Units;
  std::vector<std::string> Databases;
  uint64_t BadInputs = 0; ///< inputs that yielded no unit at all
  LayoutRegistry Registry;
  std::mutex WarnLock;
  std::atomic<bool> AnySaturated{false};

  void warn(Error E) {
    std::lock_guard<std::mutex> G(WarnLock);
    if (Opts.Warn)
      Opts.Warn(std::move(E));
    else
      consumeError(std::move(E));
  }

  void badInput(Error E) {
    if (!Opts.BadInput)
      return warn(std::move(E));
    std::lock_guard<std::mutex> G(WarnLock);
    Opts.BadInput(std::move(E));
  }

  std::string labelOf(const std::optional<std::string> &RecordLabel) const {
    if (Opts.Label)
      return *Opts.Label;
    return RecordLabel ? *RecordLabel : DefaultLabel.str();
  }

  ContextState &context(std::string Label, std::optional<std::string> Test) {
    ContextKey Key(std::move(Label), std::move(Test));
    auto [It, New] = Contexts.try_emplace(Key);
    if (New) {
      It->second.C.Label = Key.first;
      It->second.C.Test = Key.second;
    }
    return It->second;
  }

  Unit &addUnit(std::string Path, ContextState &Ctx) {
    Units.push_back(std::make_unique<Unit>());
    Unit &U = *Units.back();
    U.Path = std::move(Path);
    U.Ctx = &Ctx;
    return U;
  }

  /// A unit that could not be read: warned about and recorded (under the
  /// warning lock, since workers call it).
  void markBad(Unit &U, StringRef Kind, const Twine &Message) {
    U.State = Unit::Bad;
    std::string Msg = Message.str();
    {
      std::lock_guard<std::mutex> G(WarnLock);
      U.Ctx->C.Problems.push_back({Kind.str(), U.Path, Msg});
      ++U.Ctx->C.Unreadable;
    }
    badInput(fileError(U.Path, Msg));
  }

  Error collectDirectory(StringRef Dir);
  void collectFile(StringRef Path);
  Error collect();
  void sumContext(ContextState &Ctx, std::map<Layout *, Sums> &Aggregate);
  void sumAll(std::vector<std::map<Layout *, Sums>> &Aggregates);
  Error resolveBinaries();
  Error feedLayout(InstrProfWriter &W, Layout &L, const Sums &S);
  void readWhole(Unit &U, InstrProfWriter *W);
  MergeResult buildResult();
};

Error Merger::collectDirectory(StringRef Dir) {
  // A live run is still writing: refuse (or wait), unless we are part of
  // that very run (a merge step at the end of `llvm-covlock run -- ...`).
  for (bool Waited = false;; Waited = true) {
    Expected<std::optional<LockHolder>> Holder = queryRunLock(Dir);
    if (!Holder)
      return Holder.takeError();
    if (!*Holder)
      break;
    const char *OurRun = std::getenv(EnvRun.data());
    if (OurRun && (*Holder)->Record && (*Holder)->Record->Run == OurRun)
      break;
    if (!Opts.WaitForRun)
      return createFileError(Dir, make_error<DirectoryBusyError>(
                                      Dir.str(), (*Holder)->describe()));
    if (!Waited)
      warn(fileError(Dir, "waiting for the run in progress (" +
                              (*Holder)->describe() + ") to finish"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // Snapshot the file list while no process is publishing.
  DirectoryContents Contents;
  std::vector<std::pair<std::string, std::string>> Unreadable; // key, error
  std::map<std::string, std::vector<std::string>> Profiles;    // key -> names
  {
    Expected<LockFile> Flush = acquireFlushLock(Dir, LockKind::Exclusive);
    if (!Flush)
      return Flush.takeError();
    Expected<DirectoryContents> C = readCoverageDirectory(Dir, [&](Error E) {
      std::string Path;
      handleAllErrors(
          std::move(E),
          [&](const FileError &FE) {
            Path = FE.getFileName().str();
            Unreadable.push_back({Path, FE.messageWithoutFileInfo()});
          },
          [&](const ErrorInfoBase &EI) {
            Unreadable.push_back({Dir.str(), EI.message()});
          });
    });
    if (!C)
      return C.takeError();
    Contents = std::move(*C);
    for (const TestDirectory &TD : Contents.Tests) {
      std::error_code EC;
      std::string Sub = joinPath(Dir, TD.Key);
      std::vector<std::string> &Names = Profiles[TD.Key];
      for (fs::directory_iterator I(Sub, EC, /*follow_symlinks=*/false), E;
           I != E && !EC; I.increment(EC)) {
        StringRef Name = sys::path::filename(I->path());
        if (Name.starts_with(".") || !Name.ends_with(".profraw") ||
            Name.ends_with(".stock.profraw"))
          continue;
        Names.push_back(Name.str());
      }
      llvm::sort(Names);
    }
  }

  struct ProcessInfo {
    const FlushRecord *Final = nullptr;
    const FlushRecord *Last = nullptr;
    std::string LastPath;
    ContextState *LastCtx = nullptr;
    std::string MarkerPath;
    ContextState *MarkerCtx = nullptr;
    std::set<ContextState *> Contexts;
  };
  std::map<ProcessId, ProcessInfo> Processes;

  for (const TestDirectory &TD : Contents.Tests) {
    std::string Sub = joinPath(Dir, TD.Key);
    std::set<std::string> Used;
    std::optional<std::string> DirLabel;
    for (const NamedRecord<FlushRecord> &NR : TD.Records)
      if (NR.Record.Label) {
        DirLabel = NR.Record.Label;
        break;
      }
    std::optional<std::string> DirTest = TD.testId();
    if (std::optional<std::string> Hex = TD.testHex()) {
      std::string Bytes;
      if (tryGetFromHex(*Hex, Bytes))
        DirTest = Bytes;
    }

    for (const NamedRecord<FlushRecord> &NR : TD.Records) {
      const FlushRecord &R = NR.Record;
      std::optional<std::string> Test = R.Test;
      if (R.TestHex) {
        std::string Bytes;
        if (tryGetFromHex(*R.TestHex, Bytes))
          Test = Bytes;
      }
      if (Test && Test->empty())
        Test.reset();
      ContextState &Ctx = context(labelOf(R.Label), Test);
      std::string RecordPath = joinPath(Sub, NR.Name);
      ProcessInfo &P = Processes[R.id()];
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
      if (R.Error || !R.Profile) {
        ++Ctx.C.Failed;
        std::string Why = R.Error ? *R.Error : "no profile was written";
        Ctx.C.Problems.push_back({"failed", RecordPath, Why});
        warn(fileError(RecordPath,
                       "the process could not write its profile: " + Why));
        continue;
      }
      Used.insert(*R.Profile);
      std::string ProfilePath = joinPath(Sub, *R.Profile);
      if (!std::binary_search(Profiles[TD.Key].begin(), Profiles[TD.Key].end(),
                              *R.Profile)) {
        ++Ctx.C.Unreadable;
        Ctx.C.Problems.push_back({"unreadable", ProfilePath,
                                  "the profile its record names is missing"});
        warn(fileError(ProfilePath, "missing (named by " + NR.Name + ")"));
        continue;
      }
      Unit &U = addUnit(ProfilePath, Ctx);
      U.Volatile = false;
      U.Exe = R.Exe;
      U.BinaryId = R.BinaryId.value_or("");
    }
    for (const NamedRecord<BootMarker> &NM : TD.Markers) {
      const BootMarker &M = NM.Record;
      std::optional<std::string> Test = M.Test;
      if (Test && Test->empty())
        Test.reset();
      ContextState &Ctx = context(labelOf(M.Label), Test ? Test : DirTest);
      ProcessInfo &P = Processes[M.id()];
      P.Contexts.insert(&Ctx);
      P.MarkerPath = joinPath(Sub, NM.Name);
      P.MarkerCtx = &Ctx;
    }
    // A program linked without the runtime: one whole process, if its
    // profile is readable.
    for (const StockProfile &S : TD.Stock) {
      ContextState &Ctx = context(labelOf(DirLabel), DirTest);
      ++Ctx.C.Processes;
      addUnit(joinPath(Sub, S.Name), Ctx);
    }
    // Profiles without a record: their writer died between publishing the
    // profile and the record. The counts are real; llvm-profdata of the
    // directory's *.profraw would count them too.
    for (const std::string &Name : Profiles[TD.Key])
      if (!Used.count(Name))
        addUnit(joinPath(Sub, Name), context(labelOf(DirLabel), DirTest))
            .Volatile = false;
  }

  for (auto &[Path, Message] : Unreadable) {
    // A record or marker that cannot be parsed: its test is its directory.
    StringRef Key = sys::path::filename(sys::path::parent_path(Path));
    std::optional<std::string> Test = decodeTestKey(Key);
    ContextState &Ctx = context(labelOf(std::nullopt), Test);
    ++Ctx.C.Unreadable;
    Ctx.C.Problems.push_back({"unreadable", Path, Message});
    warn(fileError(Path, Message));
  }

  for (auto &[Id, P] : Processes) {
    for (ContextState *Ctx : P.Contexts) {
      ++Ctx->C.Processes;
      if (P.Contexts.size() > 1)
        Ctx->Boundary = true; // one process ran several tests
    }
    if (P.Final)
      continue;
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
  return Error::success();
}

void Merger::collectFile(StringRef Path) {
  // lit's --per-test-coverage names each test's profile after the test.
  ContextState &Ctx =
      context(labelOf(std::nullopt), sys::path::stem(Path).str());
  ++Ctx.C.Processes;
  addUnit(Path.str(), Ctx);
}

Error Merger::collect() {
  for (const std::string &Input : Opts.Inputs) {
    fs::file_status S;
    if (std::error_code EC = fs::status(Input, S)) {
      ++BadInputs;
      badInput(createFileError(Input, EC));
      continue;
    }
    if (fs::is_directory(S)) {
      if (!isCovlockDirectory(Input)) {
        Error E = fileError(Input, "not a covlock directory (no .covlock/); "
                                   "pass its profiles as files instead");
        ++BadInputs;
        badInput(std::move(E));
        continue;
      }
      if (Error E = collectDirectory(Input))
        return E;
      continue;
    }
    if (StringRef(Input).ends_with(".covdb")) {
      Databases.push_back(Input);
      continue;
    }
    collectFile(Input);
  }
  // One order for everything that follows: the files' paths, the order in
  // which a shell's glob would pass them to llvm-profdata.
  llvm::sort(Units,
             [](const std::unique_ptr<Unit> &A,
                const std::unique_ptr<Unit> &B) { return A->Path < B->Path; });
  for (size_t I = 0; I < Units.size(); ++I) {
    Units[I]->Index = I;
    Units[I]->Ctx->Units.push_back(Units[I].get());
  }
  return Error::success();
}

void Merger::sumContext(ContextState &Ctx,
                        std::map<Layout *, Sums> &Aggregate) {
  for (Unit *U : Ctx.Units) {
    ErrorOr<std::unique_ptr<MemoryBuffer>> Buf = MemoryBuffer::getFile(
        U->Path, /*IsText=*/false, /*RequiresNullTerminator=*/false,
        /*IsVolatile=*/U->Volatile);
    if (!Buf) {
      markBad(*U, "unreadable", Buf.getError().message());
      continue;
    }
    if ((*Buf)->getBufferSize() == 0) {
      markBad(*U, "unreadable",
              "empty profile (its process was killed before it wrote "
              "anything?)");
      continue;
    }
    std::optional<RawProfileView> V = viewRawProfile((*Buf)->getBuffer());
    if (!V) {
      U->State = Unit::Other; // read whole, later
      continue;
    }
    Expected<Layout *> L = Registry.get(*V, *Buf);
    if (!L) {
      markBad(*U, "unreadable", messageOf(L.takeError()));
      continue;
    }
    Sums &S = Ctx.PerLayout[*L];
    if (S.Counters.empty() && S.Bitmap.empty()) {
      S.Counters.assign(V->counters(), V->counters() + V->NumCounters);
      S.Bitmap.assign(V->bitmap(), V->bitmap() + V->NumBitmapBytes);
    } else {
      S.Saturated |=
          addCounters(S.Counters.data(), V->counters(), V->NumCounters);
      orBitmap(S.Bitmap.data(), V->bitmap(), V->NumBitmapBytes);
    }
    U->State = Unit::Bulk;
    U->L = *L;
    size_t Cur = (*L)->FirstUnit.load();
    while (U->Index < Cur &&
           !(*L)->FirstUnit.compare_exchange_weak(Cur, U->Index))
      ;
  }
  if (Opts.WantProfile)
    for (auto &[L, S] : Ctx.PerLayout)
      addSums(Aggregate[L], S);
  if (!Opts.WantContexts)
    Ctx.PerLayout.clear();
  else if (Opts.SparseContexts)
    for (auto &[L, S] : Ctx.PerLayout)
      S.sparsify();
}

void Merger::sumAll(std::vector<std::map<Layout *, Sums>> &Aggregates) {
  std::vector<ContextState *> Tasks;
  for (auto &[Key, Ctx] : Contexts)
    if (!Ctx.Units.empty())
      Tasks.push_back(&Ctx);
  unsigned N = Opts.Threads ? Opts.Threads
                            : hardware_concurrency().compute_thread_count();
  N = std::max(1u, std::min<unsigned>(N, Tasks.size()));
  Aggregates.resize(N);

  std::atomic<size_t> Next{0};
  std::atomic<uint64_t> Done{0};
  std::mutex ProgressLock;
  auto LastReport = std::chrono::steady_clock::now();
  uint64_t Total = Units.size();
  auto Work = [&](unsigned Worker) {
    for (size_t T; (T = Next.fetch_add(1)) < Tasks.size();) {
      sumContext(*Tasks[T], Aggregates[Worker]);
      uint64_t D =
          Done.fetch_add(Tasks[T]->Units.size()) + Tasks[T]->Units.size();
      if (Opts.Progress) {
        std::unique_lock<std::mutex> G(ProgressLock, std::try_to_lock);
        auto Now = std::chrono::steady_clock::now();
        if (G.owns_lock() &&
            Now - LastReport > std::chrono::milliseconds(100)) {
          LastReport = Now;
          Opts.Progress(D, Total);
        }
      }
    }
  };
  if (N == 1) {
    Work(0);
  } else {
    DefaultThreadPool Pool(hardware_concurrency(N));
    for (unsigned W = 0; W < N; ++W)
      Pool.async(Work, W);
    Pool.wait();
  }
  if (Opts.Progress)
    Opts.Progress(Done.load(), Total);
}

Error Merger::resolveBinaries() {
  std::vector<Layout *> Layouts;
  for (auto &L : Registry.layouts())
    Layouts.push_back(L.get());
  if (Opts.Objects.empty() && !Opts.WantContexts)
    return Error::success();

  std::vector<BinaryInfo> Objects;
  for (const std::string &O : Opts.Objects) {
    Expected<BinaryInfo> Info = readBinaryInfo(O);
    if (!Info)
      return Info.takeError();
    Objects.push_back(std::move(*Info));
  }
  auto Matches = [](const BinaryInfo &B, const Layout &L) {
    std::string Id = L.View.firstBinaryId();
    if (!Id.empty() || !B.BuildId.empty())
      return Id == B.BuildId;
    return !B.Names.empty() && B.Names == L.View.Names;
  };

  // Units per layout, for the executables their records name.
  std::map<Layout *, std::vector<Unit *>> Members;
  for (auto &U : Units)
    if (U->State == Unit::Bulk)
      Members[U->L].push_back(U.get());

  Error Errors = Error::success();
  for (Layout *L : Layouts) {
    std::string Id = L->View.firstBinaryId();
    std::vector<Unit *> &Us = Members[L];
    if (!Objects.empty()) {
      for (const BinaryInfo &B : Objects)
        if (Matches(B, *L)) {
          L->BinaryPath = B.Path;
          break;
        }
      if (L->BinaryPath.empty()) {
        // Profiles of another binary than the one given: bad input.
        L->Rejected = true;
        std::string Ids;
        for (const BinaryInfo &B : Objects)
          Ids += (Ids.empty() ? "" : ", ") +
                 (B.BuildId.empty() ? "none" : B.BuildId);
        for (Unit *U : Us)
          markBad(*U, "mismatch",
                  "profile of another binary (build id " +
                      (Id.empty() ? std::string("none") : Id) +
                      ") than --object (build id " + Ids + ")");
      }
      continue;
    }
    // No --object: the binaries the flush records name, verified.
    std::set<std::string> Tried;
    std::string Why;
    for (Unit *U : Us) {
      if (U->Exe.empty() || !Tried.insert(U->Exe).second)
        continue;
      Expected<BinaryInfo> Info = readBinaryInfo(U->Exe);
      if (!Info) {
        Why = U->Exe + ": " + messageOf(Info.takeError());
        continue;
      }
      if (Matches(*Info, *L)) {
        L->BinaryPath = U->Exe;
        break;
      }
      Why = U->Exe + ": build id " +
            (Info->BuildId.empty() ? std::string("none") : Info->BuildId) +
            ", but its profiles were written by build id " +
            (Id.empty() ? std::string("none") : Id) +
            " (rebuilt since the run?)";
    }
    if (!L->BinaryPath.empty())
      continue;
    std::string Example = Us.empty() ? std::string() : Us.front()->Path;
    if (Why.empty())
      Why = Example + ": no binary is known for this profile (build id " +
            (Id.empty() ? std::string("none") : Id) + ")";
    Errors =
        joinErrors(std::move(Errors),
                   createStringError(
                       inconvertibleErrorCode(),
                       Why + "; pass the instrumented binary with --object"));
  }
  return Errors;
}

Error Merger::feedLayout(InstrProfWriter &W, Layout &L, const Sums &S) {
  // The layout's first profile with the sums in place of its counters.
  const RawProfileView &V = L.View;
  std::unique_ptr<WritableMemoryBuffer> Copy =
      WritableMemoryBuffer::getNewUninitMemBuffer(V.Buffer.size(),
                                                  L.Ref->getBufferIdentifier());
  std::memcpy(Copy->getBufferStart(), V.Buffer.data(), V.Buffer.size());
  if (!S.Counters.empty())
    std::memcpy(Copy->getBufferStart() + V.CountersOffset, S.Counters.data(),
                S.Counters.size() * sizeof(uint64_t));
  if (!S.Bitmap.empty())
    std::memcpy(Copy->getBufferStart() + V.BitmapOffset, S.Bitmap.data(),
                S.Bitmap.size());
  auto Reader = InstrProfReader::create(std::move(Copy));
  if (!Reader)
    return Reader.takeError();
  if (Error E = W.mergeProfileKind((*Reader)->getProfileKind())) {
    consumeError(std::move(E));
    return createStringError(inconvertibleErrorCode(),
                             "cannot merge IR and front-end profiles");
  }
  for (NamedInstrProfRecord &R : **Reader)
    W.addRecord(std::move(R), 1, [&](Error E) { consumeError(std::move(E)); });
  if (Error E = (*Reader)->getError())
    return E;
  std::vector<object::BuildID> Ids;
  if (Error E = (*Reader)->readBinaryIds(Ids))
    return E;
  W.addBinaryIds(Ids);
  return Error::success();
}

void Merger::readWhole(Unit &U, InstrProfWriter *W) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buf = MemoryBuffer::getFile(
      U.Path, /*IsText=*/false, /*RequiresNullTerminator=*/false,
      /*IsVolatile=*/U.Volatile);
  if (!Buf) {
    markBad(U, "unreadable", Buf.getError().message());
    return;
  }
  auto Reader = InstrProfReader::create(std::move(*Buf));
  if (!Reader) {
    markBad(U, "unreadable", messageOf(Reader.takeError()));
    return;
  }
  // All of it or nothing: a file that turns out corrupt half-way adds
  // nothing.
  std::vector<NamedInstrProfRecord> Records;
  for (NamedInstrProfRecord &R : **Reader)
    Records.push_back(std::move(R));
  if (Error E = (*Reader)->getError()) {
    markBad(U, "unreadable", messageOf(std::move(E)));
    return;
  }
  std::vector<object::BuildID> Ids;
  if (Error E = (*Reader)->readBinaryIds(Ids)) {
    markBad(U, "unreadable", messageOf(std::move(E)));
    return;
  }

  if (Opts.WantContexts) {
    // Into the context's dense sums, by name and hash, in the layout of
    // the same binary.
    Layout *Target = nullptr;
    uint64_t Found = 0;
    for (auto &L : Registry.layouts()) {
      if (L->Rejected)
        continue;
      uint64_t N = 0;
      for (NamedInstrProfRecord &R : Records)
        N += L->ByName.count({IndexedInstrProf::ComputeHash(R.Name), R.Hash});
      if (N > Found) {
        Found = N;
        Target = L.get();
      }
    }
    if (!Target) {
      markBad(U, "mismatch",
              "no raw profile of the same binary was merged, so its counts "
              "cannot be placed; merge its binary's raw profiles too");
      return;
    }
    Sums &S = U.Ctx->PerLayout[Target];
    S.densify();
    S.Counters.resize(Target->View.NumCounters);
    S.Bitmap.resize(Target->View.NumBitmapBytes);
    uint64_t Unplaced = 0;
    for (NamedInstrProfRecord &R : Records) {
      auto It =
          Target->ByName.find({IndexedInstrProf::ComputeHash(R.Name), R.Hash});
      if (It == Target->ByName.end()) {
        ++Unplaced;
        continue;
      }
      const LayoutFunction &F = Target->Functions[It->second];
      if (F.NumCounters != R.Counts.size()) {
        ++Unplaced;
        continue;
      }
      S.Saturated |= addCounters(S.Counters.data() + F.FirstCounter,
                                 R.Counts.data(), F.NumCounters);
      if (R.BitmapBytes.size() == F.NumBitmapBytes)
        orBitmap(S.Bitmap.data() + F.FirstBitmapByte, R.BitmapBytes.data(),
                 F.NumBitmapBytes);
    }
    if (Opts.SparseContexts)
      S.sparsify();
    if (Unplaced) {
      U.Ctx->C.Problems.push_back(
          {"mismatch", U.Path,
           std::to_string(Unplaced) +
               " functions are not in the binary's layout and were left out"});
      warn(fileError(U.Path, Twine(Unplaced) +
                                 " functions are not in the "
                                 "layout of " +
                                 Target->BinaryPath + " and were left out"));
    }
  }

  if (W) {
    if (Error E = W->mergeProfileKind((*Reader)->getProfileKind())) {
      consumeError(std::move(E));
      markBad(U, "unreadable", "cannot merge IR and front-end profiles");
      return;
    }
    for (NamedInstrProfRecord &R : Records)
      W->addRecord(std::move(R), 1,
                   [&](Error E) { consumeError(std::move(E)); });
    W->addBinaryIds(Ids);
  }
  U.State = Unit::Other;
}

MergeResult Merger::buildResult() {
  MergeResult R;
  std::vector<Layout *> Layouts;
  for (auto &L : Registry.layouts())
    if (!L->Rejected)
      Layouts.push_back(L.get());
  llvm::sort(Layouts, [](Layout *A, Layout *B) {
    return A->FirstUnit.load() < B->FirstUnit.load();
  });
  for (Layout *L : Layouts) {
    L->Index = R.Binaries.size();
    BinaryLayout B;
    B.Path = L->BinaryPath;
    B.BinaryId = L->View.firstBinaryId();
    B.Functions = L->Functions;
    B.NumCounters = L->View.NumCounters;
    B.NumBitmapBytes = L->View.NumBitmapBytes;
    R.Binaries.push_back(std::move(B));
  }
  for (auto &[Key, Ctx] : Contexts) {
    Context C = std::move(Ctx.C);
    for (auto &[L, S] : Ctx.PerLayout) {
      if (L->Rejected)
        continue;
      ContextProfile P;
      P.Binary = L->Index;
      P.Counters = std::move(S.Counters);
      P.Bitmap = std::move(S.Bitmap);
      P.Sparse = S.Sparse;
      P.NonZero = std::move(S.NonZero);
      P.NonZeroCounts = std::move(S.NonZeroCounts);
      C.Profiles.push_back(std::move(P));
    }
    llvm::sort(C.Profiles,
               [](const ContextProfile &A, const ContextProfile &B) {
                 return A.Binary < B.Binary;
               });
    llvm::sort(C.Problems, [](const MergeProblem &A, const MergeProblem &B) {
      return std::tie(A.Path, A.Kind, A.Message) <
             std::tie(B.Path, B.Kind, B.Message);
    });
    if (!C.Test)
      C.Conf = Confidence::Outside;
    else if (C.Lost || C.Failed || C.Unreadable || !C.Problems.empty())
      C.Conf = Confidence::Dubious;
    else if (Ctx.Boundary)
      C.Conf = Confidence::Normal;
    else
      C.Conf = Confidence::Exact;
    R.Contexts.push_back(std::move(C));
  }
  return R;
}

Expected<MergeOutput> Merger::run() {
  if (Error E = collect())
    return std::move(E);

  std::vector<std::map<Layout *, Sums>> Aggregates;
  sumAll(Aggregates);

  if (Error E = resolveBinaries())
    return std::move(E);

  // Write, in the files' order, as llvm-profdata would meet them.
  MergeOutput Out;
  if (Opts.WantProfile)
    Out.Profile = std::make_unique<InstrProfWriter>();
  std::map<Layout *, Sums> Total;
  if (Opts.WantProfile)
    for (auto &A : Aggregates)
      for (auto &[L, S] : A)
        addSums(Total[L], S);
  for (auto &U : Units) {
    if (U->State == Unit::Other) {
      readWhole(*U, Out.Profile.get());
      continue;
    }
    if (U->State != Unit::Bulk || !Opts.WantProfile || U->L->Rejected ||
        U->L->FirstUnit.load() != U->Index)
      continue;
    const Sums &S = Total[U->L];
    if (S.Saturated)
      warn(fileError(U->Path, "counter overflow: sums saturated"));
    if (Error E = feedLayout(*Out.Profile, *U->L, S)) {
      std::string Msg = messageOf(std::move(E));
      U->L->Rejected = true;
      for (auto &V : Units)
        if (V->State == Unit::Bulk && V->L == U->L)
          markBad(*V, "unreadable", Msg);
    }
  }

  MergeStats &St = Out.Stats;
  St.Profiles = Units.size();
  for (auto &U : Units) {
    St.Read += U->State == Unit::Bulk || U->State == Unit::Other;
    St.Bad += U->State == Unit::Bad;
    St.Bulk += U->State == Unit::Bulk;
  }
  for (auto &L : Registry.layouts())
    St.Layouts += !L->Rejected;
  St.Databases = Databases.size();

  uint64_t Bad = St.Bad + BadInputs;
  uint64_t All = St.Profiles + BadInputs + Databases.size();
  if (Opts.Failure == FailureMode::Any && Bad)
    return createStringError(inconvertibleErrorCode(),
                             Twine(Bad) + " of " + Twine(All) +
                                 " inputs could not be merged "
                                 "(--failure-mode=any)");
  if (St.Read == 0 && Databases.empty())
    return createStringError(inconvertibleErrorCode(),
                             All ? "no profile could be merged"
                                 : "no profiles found in the inputs");

  if (Opts.WantContexts)
    Out.Result = buildResult();
  Out.Databases = std::move(Databases);
  return std::move(Out);
}

} // namespace

Expected<MergeOutput> mergeInputs(const MergeOptions &Options) {
  Merger M(Options);
  return M.run();
}

Error writeIndexedProfile(InstrProfWriter &Writer, StringRef Path) {
  std::string Tmp = (Path + ".tmp." + Twine(::getpid())).str();
  {
    std::error_code EC;
    raw_fd_ostream OS(Tmp, EC, fs::OF_None);
    if (EC)
      return createFileError(Path, EC);
    if (Error E = Writer.write(OS)) {
      fs::remove(Tmp);
      return createFileError(Path, std::move(E));
    }
    OS.close();
    if (OS.has_error()) {
      std::error_code WEC = OS.error();
      OS.clear_error();
      fs::remove(Tmp);
      return createFileError(Path, WEC);
    }
  }
  if (std::error_code EC = fs::rename(Tmp, Path)) {
    fs::remove(Tmp);
    return createFileError(Path, EC);
  }
  return Error::success();
}

} // namespace covlock
