//===- Merger.h - The state of one merge, private to lib/Merge --*- C++ -*-===//
//
// What the steps of a merge (Merge.cpp) share: the units (profile files),
// the contexts they belong to, the raw profile layouts found while summing,
// and the Merger that runs the steps. Each step lives in its own file:
// CollectInputs.cpp, SumProfiles.cpp, ResolveBinaries.cpp, WriteProfile.cpp
// and BuildResult.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_MERGE_MERGER_H
#define COVLOCK_LIB_MERGE_MERGER_H

#include "covlock/Locking/LockFile.h"
#include "covlock/Merge/Contexts.h"
#include "covlock/Merge/Merge.h"
#include "covlock/Merge/RawProfile.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class InstrProfWriter;
} // namespace llvm

namespace covlock {
struct TestDirectory;

namespace merge {

using llvm::DenseMap;
using llvm::Error;
using llvm::Expected;
using llvm::InstrProfWriter;
using llvm::MemoryBuffer;
using llvm::StringLiteral;
using llvm::StringRef;
using llvm::Twine;

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

  /// Sparse sums of one profile's \p N counters at \p C: no dense copy.
  void assignSparse(const uint64_t *C, size_t N) {
    for (size_t I = 0; I != N; ++I)
      if (C[I]) {
        NonZero.push_back(uint32_t(I));
        NonZeroCounts.push_back(C[I]);
      }
    NumCounters = N;
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
// Step 1's view of one coverage directory (CollectInputs.cpp).
struct DirectorySnapshot;
struct ProcessTable;

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
  /// A slice of Path, when it holds several raw profiles one after
  /// another (Size 0: the whole file).
  uint64_t Offset = 0, Size = 0;
  /// A pack's sparse profile: the layout file of its binary.
  std::string LayoutPath;
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

  /// This layout as the binary at \p Path.
  BinaryLayout describe(std::string Path) const {
    BinaryLayout B;
    B.Path = std::move(Path);
    B.BinaryId = View.firstBinaryId();
    B.Functions = Functions;
    B.NumCounters = View.NumCounters;
    B.NumBitmapBytes = View.NumBitmapBytes;
    return B;
  }
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
                         std::unique_ptr<MemoryBuffer> &Buf,
                         bool *IsNew = nullptr);

  /// The layout of the layout file at \p Path (a pack's; read once).
  Expected<Layout *> getFile(StringRef Path, bool *IsNew = nullptr);

  std::vector<std::unique_ptr<Layout>> &layouts() { return Layouts; }

private:
  std::mutex Lock;
  std::vector<std::unique_ptr<Layout>> Layouts;
  /// A layout file's outcome, decided once: a damaged file (a gzip bomb
  /// among them) costs one read, not one per pack that names it.
  struct FileOutcome {
    std::mutex Lock;
    bool Read = false;
    Layout *L = nullptr;
    std::string Error;
  };
  Expected<Layout *> readFile(StringRef Path, bool *IsNew);
  std::mutex FileLock;
  std::map<std::string, std::unique_ptr<FileOutcome>> ByFile;
};

// Sparse raw profiles (SparseProfile.cpp), the profiles of packs.

/// \p L's first profile with every counter and bitmap byte zero: the
/// layout file of its binary.
std::string zeroedLayoutProfile(const Layout &L);
/// A raw profile of \p L's binary holding the functions with a count in
/// \p Counters or a bitmap bit in \p Bitmap (dense, in \p L's layout; at
/// least one function).
Expected<std::string> writeSparseProfile(const Layout &L,
                                         const uint64_t *Counters,
                                         const uint8_t *Bitmap);
/// Adds sparse profile \p V of \p L's binary to \p S (sized here if
/// empty; kept sparse if empty and \p KeepSparse, else dense). A malformed
/// profile adds nothing.
Error addSparseProfile(const Layout &L, const RawProfileView &V, Sums &S,
                       bool KeepSparse = false);

// Packs' profiles and layout files, gzip-compressed (GzipProfile.cpp).

/// The largest layout file a reader inflates, and the compactor writes: a
/// raw profile of 1 GiB is a binary of some ten million functions.
constexpr uint64_t MaxLayoutBytes = uint64_t(1) << 30;
/// The most a pack's profile of \p L's binary may inflate to: never more
/// than its layout, give or take the names' compression.
inline uint64_t maxPackProfileBytes(const Layout &L) {
  return 2 * uint64_t(L.View.Buffer.size()) + (1 << 20);
}
/// Whether a pack names \p Name's contents gzip-compressed (protocol v4).
bool isGzipProfileName(StringRef Name);
/// \p Raw as one gzip member.
Expected<std::string> gzipProfile(StringRef Raw);
/// The contents of gzip member \p Gzip, at most \p MaxSize bytes; errors
/// for damaged, truncated or trailing data and for more than \p MaxSize.
Expected<std::unique_ptr<MemoryBuffer>>
gunzipProfile(StringRef Gzip, StringRef Name, uint64_t MaxSize);
/// The regular file \p Path (never through a symbolic link), inflated if
/// its name ends in ".gz"; errors name \p Path.
Expected<std::unique_ptr<MemoryBuffer>> readProfileFile(StringRef Path,
                                                        uint64_t MaxSize);

/// Sums per label and layout: what a label's aggregate profile is made of.
using LabelSums = std::map<std::pair<std::string, Layout *>, Sums>;

/// Adds \p Src into \p Dst (saturating; bitmaps ORed).
void addSums(Sums &Dst, const Sums &Src);

/// An error about \p Path with \p Message.
Error fileError(StringRef Path, const Twine &Message);

/// The message of \p E without a file name: readers' errors name no file.
std::string messageOf(Error E);

class Merger {
public:
  explicit Merger(const MergeOptions &Opts) : Opts(Opts) {}
  /// Runs the steps (Merge.cpp).
  Expected<MergeOutput> run();

private:
  const MergeOptions &Opts;
  std::map<ContextKey, ContextState> Contexts;
  std::vector<std::unique_ptr<Unit>> Units;
  std::vector<std::string> Databases;
  std::vector<LockFile> HeldLocks; ///< compact locks of the directories read
  uint64_t BadInputs = 0;          ///< inputs that yielded no unit at all
  std::set<std::string> ExecutablesSeen; ///< told to ExecutableFound
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

  /// The unit's bytes: its slice, or its whole file.
  static llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
  readUnit(const Unit &U) {
    if (U.Size)
      return llvm::MemoryBuffer::getFileSlice(U.Path, U.Size, U.Offset,
                                              /*IsVolatile=*/U.Volatile);
    return llvm::MemoryBuffer::getFile(U.Path, /*IsText=*/false,
                                       /*RequiresNullTerminator=*/false,
                                       /*IsVolatile=*/U.Volatile);
  }

  Unit &addUnit(std::string Path, ContextState &Ctx) {
    Units.push_back(std::make_unique<Unit>());
    Unit &U = *Units.back();
    U.Path = std::move(Path);
    U.Ctx = &Ctx;
    return U;
  }

  /// A profile a coverage directory published (a record's or a pack's),
  /// written by the module \p Exe: told to ExecutableFound once.
  Unit &addPublishedUnit(std::string Path, ContextState &Ctx, StringRef Exe,
                         const std::optional<std::string> &BinaryId);

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

  // Step 1: CollectInputs.cpp.
  Error collectDirectory(StringRef Dir);
  Error waitForRun(StringRef Dir);
  Error snapshotDirectory(StringRef Dir, DirectorySnapshot &S);
  void collectKey(StringRef Dir, const TestDirectory &TD, DirectorySnapshot &S,
                  ProcessTable &Table);
  void collectRecords(StringRef Sub, const TestDirectory &TD,
                      DirectorySnapshot &S, ProcessTable &Table,
                      std::set<std::string> &Used);
  void collectPacks(StringRef Dir, StringRef Sub, const TestDirectory &TD,
                    DirectorySnapshot &S);
  void collectUnreadable(StringRef Dir, DirectorySnapshot &S);
  void accountProcesses(ProcessTable &Table);
  void collectFile(StringRef Path);
  Error collect();
  /// A file holding several raw profiles becomes a unit per profile.
  void splitConcatenatedProfiles();
  // Step 2: SumProfiles.cpp, then ResolveBinaries.cpp.
  void sumContext(ContextState &Ctx, LabelSums &Aggregate);
  void sumPackProfile(Unit &U, ContextState &Ctx);
  static void noteUnitOfLayout(Unit &U, Layout *L);
  void sumAll(std::vector<LabelSums> &Aggregates);
  Error resolveBinaries();
  // Step 3: WriteProfile.cpp, then BuildResult.cpp.
  void writeInOrder(
      std::map<std::string, std::unique_ptr<InstrProfWriter>> &Profiles,
      const std::vector<LabelSums> &Aggregates);
  Error feedLayout(InstrProfWriter &W, Layout &L, const Sums &S);
  void readWhole(Unit &U, InstrProfWriter *W);
  MergeResult buildResult();
};

} // namespace merge
} // namespace covlock

#endif // COVLOCK_LIB_MERGE_MERGER_H
