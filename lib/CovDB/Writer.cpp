//===- Writer.cpp - Attribute contexts and write a covdb ------------------===//
//
// writeCovDB builds an in-memory model of the database (labels, binaries,
// contexts with their lines and regions per file), fills it from the merge
// (attributing every context on a thread pool, one decoded mapping per
// binary) and from input databases, then writes it in one transaction into a
// temporary file that is renamed over the target.
//
//===----------------------------------------------------------------------===//

#include "SQLite.h"
#include "covlock/Attribution/Attribution.h"
#include "covlock/CovDB/CovDB.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/CovDB/Encoding.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include <condition_variable>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <set>
#include <unistd.h>

using namespace llvm;

namespace covlock {

/// \p Writer as an indexed profile in memory. InstrProfWriter::writeBuffer
/// holds up to three times the profile's size while writing; this holds the
/// result only. The writer patches its header afterwards, so it needs a
/// seekable stream: an anonymous temporary file (TMPDIR), read back at its
/// size. Without a usable one, memory will do.
static Expected<std::string> indexedProfileBytes(InstrProfWriter &Writer) {
  auto InMemory = [&]() -> Expected<std::string> {
    std::unique_ptr<MemoryBuffer> Buffer = Writer.writeBuffer();
    if (!Buffer)
      return createStringError(std::make_error_code(std::errc::io_error),
                               "cannot write an indexed profile");
    return Buffer->getBuffer().str();
  };
  int FD;
  SmallString<128> Path;
  if (sys::fs::createTemporaryFile("covlock-label", "profdata", FD, Path))
    return InMemory();
  sys::fs::remove(Path); // anonymous from now on
  auto Close = make_scope_exit([&] { ::close(FD); });
  bool Failed;
  {
    raw_fd_ostream OS(FD, /*shouldClose=*/false);
    // An error of the profile itself is one in memory too.
    if (Error E = Writer.write(OS)) {
      OS.clear_error();
      return std::move(E);
    }
    OS.flush();
    Failed = OS.has_error();
    OS.clear_error();
  }
  off_t Size = Failed ? -1 : ::lseek(FD, 0, SEEK_END);
  if (Size < 0)
    return InMemory(); // e.g. no space for it
  std::string Bytes(Size, '\0');
  for (off_t Done = 0; Done < Size;) {
    ssize_t N = ::pread(FD, &Bytes[Done], Size - Done, Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return InMemory();
    Done += N;
  }
  return std::move(Bytes);
}

namespace {
using Lines = std::vector<uint32_t>;
using Spans = std::vector<RegionSpan>;

template <typename T> void unionInto(std::vector<T> &Acc, ArrayRef<T> More) {
  if (More.empty())
    return;
  if (Acc.empty()) {
    Acc.assign(More.begin(), More.end());
    return;
  }
  std::vector<T> Out;
  Out.reserve(Acc.size() + More.size());
  std::set_union(Acc.begin(), Acc.end(), More.begin(), More.end(),
                 std::back_inserter(Out));
  Out.shrink_to_fit();
  Acc = std::move(Out);
}

struct LabelFile {
  Lines Executable, Covered;
  Spans Regions, CoveredRegions;
};

struct LabelModel {
  std::map<std::string, LabelFile> Files;
  /// Indexed profiles to sum into the label's aggregate.
  std::vector<std::string> Profiles;
};

struct BinaryModel {
  std::string Path, BuildId, Functions;
  uint64_t NumFunctions = 0, NumCounters = 0, NumBitmapBytes = 0;
};

struct ContextFile {
  Lines Covered;
  Spans CoveredRegions;
  /// Or, when the attribution could already tell the label's region
  /// indices (CovDBBuilder::Impl::EncodeEarly): the row as written.
  bool Encoded = false;
  uint32_t NumLines = 0, NumRegions = 0;
  std::string LinesBlob, RegionsBlob;
};

struct ContextModel {
  std::string Label;
  std::optional<std::string> Test;
  Confidence Conf = Confidence::Exact;
  unsigned Processes = 0, Lost = 0, Failed = 0, Unreadable = 0;
  std::vector<MergeProblem> Problems;
  std::map<std::string, ContextFile> Files;
  /// (index into Model::Binaries, sparse counters)
  std::vector<std::pair<unsigned, std::string>> Profiles;
  std::string Source; ///< where it came from, for duplicate errors
};

struct Model {
  std::map<std::string, LabelModel> Labels;
  std::vector<BinaryModel> Binaries;
  std::vector<ContextModel> Contexts;

  unsigned addBinary(BinaryModel B) {
    for (unsigned I = 0; I != Binaries.size(); ++I)
      if (Binaries[I].Path == B.Path && Binaries[I].BuildId == B.BuildId &&
          Binaries[I].Functions == B.Functions)
        return I;
    Binaries.push_back(std::move(B));
    return Binaries.size() - 1;
  }
};

Error stringError(const Twine &Msg) {
  return createStringError(inconvertibleErrorCode(), Msg);
}

} // namespace

/// Indexed profile bytes of one binary's counters, every function included
/// (zero or not) as llvm-profdata merge writes them.
static void addLayoutRecords(InstrProfWriter &Writer, const BinaryLayout &B,
                             ArrayRef<uint64_t> Counters,
                             ArrayRef<uint8_t> Bitmap, Error &WriteErr) {
  for (const LayoutFunction &F : B.Functions) {
    if (F.FirstCounter + F.NumCounters > Counters.size())
      continue;
    std::vector<uint64_t> Counts(Counters.begin() + F.FirstCounter,
                                 Counters.begin() + F.FirstCounter +
                                     F.NumCounters);
    std::vector<uint8_t> Bytes(F.NumBitmapBytes, 0);
    if (F.FirstBitmapByte + F.NumBitmapBytes <= Bitmap.size())
      std::copy_n(Bitmap.begin() + F.FirstBitmapByte, F.NumBitmapBytes,
                  Bytes.begin());
    Writer.addRecord(NamedInstrProfRecord(F.Name, F.Hash, std::move(Counts),
                                          std::move(Bytes)),
                     1, [&](Error E) {
                       WriteErr = joinErrors(std::move(WriteErr), std::move(E));
                     });
  }
}

static Error writeAll(Model &M, ArrayRef<std::string> InputDatabases,
                      StringRef OutPath);

/// The sum of a label's contexts for one binary.
namespace {
struct Aggregate {
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;

  /// Adds a context's profile \p P of the binary \p B: saturating sums as
  /// llvm-profdata's; MC/DC bitmaps ORed. Both are independent of the order
  /// of additions.
  void add(const BinaryLayout &B, const ContextProfile &P) {
    if (Counters.empty()) {
      Counters.assign(B.NumCounters, 0);
      Bitmap.assign(B.NumBitmapBytes, 0);
    }
    CounterView::of(P).forEachNonZero([&](uint64_t I, uint64_t V) {
      Counters[I] = SaturatingAdd(Counters[I], V);
    });
    for (size_t I = 0, N = P.Bitmap.size(); I != N; ++I)
      Bitmap[I] |= P.Bitmap[I];
  }
};
} // namespace

class CovDBBuilder::Impl {
public:
  explicit Impl(const CovDBWriteOptions &Options)
      : Options(Options),
        Threads(hardware_concurrency(Options.Threads).compute_thread_count()) {
    if (Threads > 1)
      Pool.emplace(hardware_concurrency(Threads));
  }
  ~Impl() {
    // Unfinished (an error, or no finish()): let the jobs end, drop errors.
    if (Pool)
      Pool->wait();
    consumeError(std::move(Errors));
    for (Error &E : AggErrors)
      consumeError(std::move(E));
    for (Error &E : AggProfileErrors)
      consumeError(std::move(E));
  }

  Expected<unsigned> addBinary(const BinaryLayout &Layout);
  void addContext(const Context &C, std::unique_ptr<Context> Owned);
  /// When every context is known up front (writeCovDB), the aggregates can
  /// be summed first and their long full replays started before the
  /// contexts, instead of after them.
  Error presumAggregates(const MergeResult &Merged);
  void encodeEarly(bool Yes) { EncodeEarly = Yes && Presummed; }
  Error finish(ArrayRef<std::string> InputDatabases, StringRef OutPath);

private:
  /// \p P names an added binary and fits its profile layout.
  Error checkProfile(const ContextProfile &P) const;
  void startAggregates();

  Error attributeContext(const Context &C, ContextModel &CM);
  void progress();

  CovDBWriteOptions Options;
  unsigned Threads;
  std::optional<DefaultThreadPool> Pool;
  Model M;
  std::vector<std::unique_ptr<BinaryLayout>> Layouts;
  std::vector<std::unique_ptr<BinaryCoverage>> Coverage;
  std::vector<unsigned> BinaryIndex; ///< layout -> M.Binaries

  // Shared with the workers.
  std::mutex Mutex;
  std::condition_variable Drained;
  size_t InFlight = 0, Added = 0, Done = 0;
  std::map<std::pair<std::string, unsigned>, Aggregate> Aggregates;
  std::vector<std::unique_ptr<ContextModel>> Results; ///< by arrival
  Error Errors = Error::success();

  bool Presummed = false, AggregatesStarted = false;
  /// Contexts' rows may be encoded by their jobs: set, with the labels'
  /// binaries known (presumAggregates), when no input database can add
  /// regions to a label.
  bool EncodeEarly = false;
  std::map<std::string, std::set<unsigned>> LabelBinaries;
  std::vector<std::pair<const std::pair<std::string, unsigned>, Aggregate> *>
      AggList;
  /// Each aggregate's full replay runs in AggParts parts (see
  /// AttributeOptions::NumParts): results [I * AggParts, (I + 1) * AggParts)
  /// are aggregate I's.
  static constexpr unsigned AggParts = 8;
  std::vector<std::optional<Attribution>> AggResults;
  std::vector<Error> AggErrors;
  /// Each aggregate's indexed profile, written by a job of its own.
  std::vector<std::string> AggProfiles;
  std::vector<Error> AggProfileErrors;
};

Expected<unsigned> CovDBBuilder::Impl::addBinary(const BinaryLayout &Layout) {
  // The mapping is decoded here, once per binary; every context of the
  // binary replays it.
  std::unique_ptr<BinaryLayout> L;
  std::unique_ptr<BinaryCoverage> Preloaded;
  if (Options.Preloaded)
    Preloaded = Options.Preloaded->take(Layout, L);
  if (!Preloaded) {
    L = std::make_unique<BinaryLayout>(Layout);
    auto BC = BinaryCoverage::load(*L, Options.ReplayThroughLLVM);
    if (!BC)
      return BC.takeError();
    Preloaded = std::move(*BC);
  }
  BinaryModel BM;
  BM.Path = L->Path;
  BM.BuildId = L->BinaryId;
  BM.Functions = covdb::encodeFunctions(*L);
  BM.NumFunctions = L->Functions.size();
  BM.NumCounters = L->NumCounters;
  BM.NumBitmapBytes = L->NumBitmapBytes;
  BinaryIndex.push_back(M.addBinary(std::move(BM)));
  Layouts.push_back(std::move(L));
  Coverage.push_back(std::move(Preloaded));
  return Layouts.size() - 1;
}

Error CovDBBuilder::Impl::checkProfile(const ContextProfile &P) const {
  if (P.Binary >= Layouts.size())
    return stringError("a context's profile names binary " + Twine(P.Binary) +
                       ", which was not added");
  const BinaryLayout &B = *Layouts[P.Binary];
  if (!CounterView::of(P).fits(B.NumCounters) ||
      (!P.Bitmap.empty() && P.Bitmap.size() != B.NumBitmapBytes))
    return createFileError(B.Path,
                           stringError("a context's counters do not match "
                                       "the binary's profile layout"));
  return Error::success();
}

Error CovDBBuilder::Impl::attributeContext(const Context &C, ContextModel &CM) {
  CM.Label = C.Label;
  CM.Test = C.Test;
  CM.Conf = C.Conf;
  CM.Processes = C.Processes;
  CM.Lost = C.Lost;
  CM.Failed = C.Failed;
  CM.Unreadable = C.Unreadable;
  CM.Problems = C.Problems;
  CM.Source = "the merged inputs";
  for (const ContextProfile &P : C.Profiles) {
    if (Error E = checkProfile(P))
      return E;
    const BinaryCoverage &BC = *Coverage[P.Binary];
    // A label with this one binary has its regions (BC.regions) as the
    // label's: the row can be encoded here, on a worker, and no spans kept.
    bool Early = EncodeEarly && C.Profiles.size() == 1 &&
                 LabelBinaries[C.Label].size() == 1;
    auto R = BC.attribute(CounterView::of(P), P.Bitmap, {});
    if (!R)
      return R.takeError();
    for (const FileAttribution &F : R->Files) {
      ContextFile &CF = CM.Files[BC.files()[F.File]];
      if (Early) {
        CF.Encoded = true;
        CF.NumLines = F.Covered.size();
        CF.NumRegions = F.CoveredRegions.size();
        CF.LinesBlob = covdb::encodeBitmap(F.Covered);
        CF.RegionsBlob = covdb::encodeBitmap(F.CoveredRegions);
        continue;
      }
      unionInto<uint32_t>(CF.Covered, F.Covered);
      Spans Covered;
      for (uint32_t Reg : F.CoveredRegions)
        Covered.push_back(BC.regions(F.File)[Reg]);
      unionInto<RegionSpan>(CF.CoveredRegions, Covered);
    }
    CM.Profiles.push_back({BinaryIndex[P.Binary],
                           covdb::encodeSparse(CounterView::of(P), P.Bitmap)});
  }
  return Error::success();
}

void CovDBBuilder::Impl::addContext(const Context &C,
                                    std::unique_ptr<Context> Owned) {
  size_t Slot;
  {
    // Back-pressure: a merge that reads faster than contexts are attributed
    // waits, so that at most a few contexts' counters are alive at once.
    std::unique_lock<std::mutex> Lock(Mutex);
    Drained.wait(Lock, [&] { return InFlight < 2 * Threads; });
    ++InFlight;
    Slot = Added++;
    Results.emplace_back();
  }
  auto Job = [this, &C, Slot,
              Owned = std::shared_ptr<Context>(std::move(Owned))]() mutable {
    auto CM = std::make_unique<ContextModel>();
    Error E = attributeContext(C, *CM);
    std::lock_guard<std::mutex> Lock(Mutex);
    if (!E && !Presummed) {
      // The label's aggregate, independent of the order contexts finish in.
      for (const ContextProfile &P : C.Profiles)
        Aggregates[{C.Label, P.Binary}].add(*Layouts[P.Binary], P);
    }
    if (!E)
      Results[Slot] = std::move(CM);
    else
      Errors = joinErrors(std::move(Errors), std::move(E));
    Owned.reset(); // its counters are in the model now
    --InFlight;
    ++Done;
    if (Options.Progress)
      Options.Progress(Done, Added);
    Drained.notify_all();
  };
  if (Pool)
    Pool->async(std::move(Job));
  else
    Job();
}

Error CovDBBuilder::Impl::presumAggregates(const MergeResult &Merged) {
  for (const Context &C : Merged.Contexts)
    for (const ContextProfile &P : C.Profiles) {
      if (Error E = checkProfile(P))
        return E;
      Aggregates[{C.Label, P.Binary}].add(*Layouts[P.Binary], P);
      LabelBinaries[C.Label].insert(P.Binary);
    }
  Presummed = true;
  startAggregates();
  return Error::success();
}

/// The labels' executable lines: a full replay of each aggregate, the
/// longest jobs of all, each in parts that bound its memory and spread it
/// over the threads.
void CovDBBuilder::Impl::startAggregates() {
  if (AggregatesStarted)
    return;
  AggregatesStarted = true;
  for (auto &KV : Aggregates)
    AggList.push_back(&KV);
  size_t Jobs = AggList.size() * AggParts;
  AggResults.resize(Jobs);
  for (size_t J = 0; J != Jobs; ++J)
    AggErrors.push_back(Error::success());
  auto RunPart = [this](size_t J) {
    AttributeOptions AO;
    AO.Executable = true;
    AO.Part = J % AggParts;
    AO.NumParts = AggParts;
    const auto &Agg = *AggList[J / AggParts];
    auto R = Coverage[Agg.first.second]->attribute(Agg.second.Counters,
                                                   Agg.second.Bitmap, AO);
    if (R) {
      AggResults[J] = std::move(*R);
    } else {
      consumeError(std::move(AggErrors[J])); // the unchecked success
      AggErrors[J] = R.takeError();
    }
  };
  for (size_t J = 0; J != Jobs; ++J) {
    if (Pool)
      Pool->async([RunPart, J] { RunPart(J); });
    else
      RunPart(J);
  }
  AggProfiles.resize(AggList.size());
  for (size_t I = 0; I != AggList.size(); ++I)
    AggProfileErrors.push_back(Error::success());
  auto WriteProfile = [this](size_t I) {
    const Aggregate &A = AggList[I]->second;
    InstrProfWriter Writer;
    Error WriteErr =
        Writer.mergeProfileKind(InstrProfKind::FrontendInstrumentation);
    if (!WriteErr)
      addLayoutRecords(Writer, *Layouts[AggList[I]->first.second], A.Counters,
                       A.Bitmap, WriteErr);
    if (!WriteErr) {
      auto Bytes = indexedProfileBytes(Writer);
      if (Bytes)
        AggProfiles[I] = std::move(*Bytes);
      else
        WriteErr = Bytes.takeError();
    }
    if (WriteErr) {
      consumeError(std::move(AggProfileErrors[I])); // the unchecked success
      AggProfileErrors[I] = std::move(WriteErr);
    }
  };
  for (size_t I = 0; I != AggList.size(); ++I) {
    if (Pool)
      Pool->async([WriteProfile, I] { WriteProfile(I); });
    else
      WriteProfile(I);
  }
}

Error CovDBBuilder::Impl::finish(ArrayRef<std::string> InputDatabases,
                                 StringRef OutPath) {
  if (Pool)
    Pool->wait();
  if (Errors)
    return std::move(Errors);

  startAggregates();
  if (Pool)
    Pool->wait();
  Error Errs = Error::success();
  for (Error &E : AggErrors)
    if (E)
      Errs = joinErrors(std::move(Errs), std::move(E));
  for (Error &E : AggProfileErrors)
    if (E)
      Errs = joinErrors(std::move(Errs), std::move(E));
  if (Errs)
    return Errs;

  for (std::unique_ptr<BinaryCoverage> &BC : Coverage)
    if (BC)
      BC->endAttribution();
  for (size_t AI = 0; AI != AggList.size(); ++AI) {
    const std::string &Label = AggList[AI]->first.first;
    const BinaryCoverage &BC = *Coverage[AggList[AI]->first.second];
    LabelModel &L = M.Labels[Label];
    std::set<unsigned> Seen; // a file's regions once per binary, not part
    for (unsigned Part = 0; Part != AggParts; ++Part) {
      for (const FileAttribution &F : AggResults[AI * AggParts + Part]->Files) {
        LabelFile &LF = L.Files[BC.files()[F.File]];
        unionInto<uint32_t>(LF.Executable, F.Executable);
        unionInto<uint32_t>(LF.Covered, F.Covered);
        if (Seen.insert(F.File).second)
          unionInto<RegionSpan>(LF.Regions, BC.regions(F.File));
        Spans Covered;
        for (uint32_t R : F.CoveredRegions)
          Covered.push_back(BC.regions(F.File)[R]);
        unionInto<RegionSpan>(LF.CoveredRegions, Covered);
      }
      AggResults[AI * AggParts + Part].reset();
    }
  }
  // Every context and aggregate is attributed: the decoded mappings, the
  // biggest structures here, can go before the profiles and the database
  // are written.
  AggResults.clear();
  Coverage.clear();
  for (size_t AI = 0; AI != AggList.size(); ++AI)
    M.Labels[AggList[AI]->first.first].Profiles.push_back(
        std::move(AggProfiles[AI]));
  Aggregates.clear();
  for (std::unique_ptr<ContextModel> &CM : Results) {
    M.Labels[CM->Label]; // a label with only empty contexts still exists
    M.Contexts.push_back(std::move(*CM));
  }
  Results.clear();
  return writeAll(M, InputDatabases, OutPath);
}

/// Adds the aggregate profile of each label of the contexts \p ContextIndex
/// names (one database's) to \p M, summed from their counters. The label
/// rows hold the same sums as an indexed profile, but that format is one
/// LLVM's reader trusts (offsets, sizes and hash tables it does not check),
/// so a damaged database is read through the covdb's own bounded decoders
/// instead; the contexts are where the counts come from in any case.
static Error addLabelAggregates(Model &M,
                                const std::map<int64_t, size_t> &ContextIndex) {
  std::map<unsigned, BinaryLayout> Layouts; // by index into M.Binaries
  std::map<std::string, std::map<unsigned, std::pair<std::vector<uint64_t>,
                                                     std::vector<uint8_t>>>>
      Sums; // label -> binary -> (counters, bitmap)
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;
  for (const auto &[Id, Index] : ContextIndex) {
    const ContextModel &C = M.Contexts[Index];
    for (const auto &[Binary, Blob] : C.Profiles) {
      auto [It, New] = Layouts.try_emplace(Binary);
      if (New)
        if (Error E = covdb::decodeFunctions(M.Binaries[Binary].Functions,
                                             It->second))
          return E;
      if (Error E = covdb::decodeSparse(Blob, It->second, Counters, Bitmap))
        return E;
      auto &[Sum, Bits] = Sums[C.Label][Binary];
      if (Sum.empty() && Bits.empty()) {
        Sum.swap(Counters);
        Bits.swap(Bitmap);
        continue;
      }
      for (size_t I = 0; I != Sum.size(); ++I)
        Sum[I] = SaturatingAdd(Sum[I], Counters[I]);
      for (size_t I = 0; I != Bits.size(); ++I)
        Bits[I] |= Bitmap[I];
    }
  }
  for (const auto &[Label, ByBinary] : Sums) {
    InstrProfWriter Writer;
    Error WriteErr =
        Writer.mergeProfileKind(InstrProfKind::FrontendInstrumentation);
    for (const auto &[Binary, Sum] : ByBinary)
      if (!WriteErr)
        addLayoutRecords(Writer, Layouts[Binary], Sum.first, Sum.second,
                         WriteErr);
    if (WriteErr)
      return WriteErr;
    auto Bytes = indexedProfileBytes(Writer);
    if (!Bytes)
      return Bytes.takeError();
    M.Labels[Label].Profiles.push_back(std::move(*Bytes));
  }
  return Error::success();
}

/// Adds every context of the database \p Path to \p M.
static Error addDatabase(StringRef Path, Model &M) {
  auto DBOrErr = CovDB::open(Path);
  if (!DBOrErr)
    return DBOrErr.takeError();
  CovDB &DB = **DBOrErr;
  sqlite3 *H = DB.handle();
  auto Damaged = [&](Error E) {
    return DB.error("damaged coverage database: " + toString(std::move(E)));
  };
  bool BadBitmap = false;
  auto Bits = [&](StringRef Blob) {
    auto V = covdb::decodeBitmapChecked(Blob);
    BadBitmap |= !V;
    return V.value_or(std::vector<uint32_t>());
  };

  std::map<int64_t, std::string> Files, LabelNames;
  std::map<int64_t, unsigned> Binaries;
  {
    sql::Statement S(H, Path);
    if (Error E = S.prepare("SELECT id, path FROM file"))
      return E;
    if (Error E = S.forEachRow([&] { Files[S.integer(0)] = S.text(1).str(); }))
      return E;
  }
  {
    sql::Statement S(H, Path);
    if (Error E = S.prepare("SELECT id, path, build_id, functions, "
                            "num_functions, num_counters, num_bitmap_bytes "
                            "FROM binary ORDER BY id"))
      return E;
    if (Error E = S.forEachRow([&] {
          BinaryModel B;
          B.Path = S.text(1).str();
          B.BuildId = S.text(2).str();
          B.Functions = S.blob(3).str();
          B.NumFunctions = S.integer(4);
          B.NumCounters = S.integer(5);
          B.NumBitmapBytes = S.integer(6);
          Binaries[S.integer(0)] = M.addBinary(std::move(B));
        }))
      return E;
  }
  // Region indices of this database -> spans, per (label, file).
  std::map<std::pair<int64_t, int64_t>, Spans> RegionLists;
  {
    sql::Statement S(H, Path);
    // Not the stored aggregate profile: see addLabelAggregates.
    if (Error E = S.prepare("SELECT id, name FROM label"))
      return E;
    if (Error E = S.forEachRow([&] {
          LabelNames[S.integer(0)] = S.text(1).str();
          M.Labels[S.text(1).str()];
        }))
      return E;
    sql::Statement F(H, Path);
    if (Error E = F.prepare("SELECT label_id, file_id, executable, covered, "
                            "region_spans, covered_regions FROM label_file"))
      return E;
    if (Error E = F.forEachRow([&]() -> Error {
          if (!LabelNames.count(F.integer(0)) || !Files.count(F.integer(1)))
            return Damaged(
                stringError("label_file names a missing label or file"));
          auto Regions = covdb::decodeRegions(F.blob(4));
          if (!Regions)
            return Damaged(Regions.takeError());
          LabelFile &LF =
              M.Labels[LabelNames[F.integer(0)]].Files[Files[F.integer(1)]];
          unionInto<uint32_t>(LF.Executable, Bits(F.blob(2)));
          unionInto<uint32_t>(LF.Covered, Bits(F.blob(3)));
          unionInto<RegionSpan>(LF.Regions, *Regions);
          Spans Covered;
          for (uint32_t R : Bits(F.blob(5)))
            if (R < Regions->size())
              Covered.push_back((*Regions)[R]);
          unionInto<RegionSpan>(LF.CoveredRegions, Covered);
          RegionLists[{F.integer(0), F.integer(1)}] = std::move(*Regions);
          return Error::success();
        }))
      return E;
  }

  // Contexts, with their problems, coverage and profiles.
  std::map<int64_t, size_t> ContextIndex;
  {
    sql::Statement S(H, Path);
    if (Error E =
            S.prepare("SELECT id, label_id, test, confidence, processes, "
                      "lost, failed, unreadable FROM context ORDER BY id"))
      return E;
    if (Error E = S.forEachRow([&]() -> Error {
          if (!LabelNames.count(S.integer(1)))
            return Damaged(stringError("a context names a missing label"));
          ContextModel C;
          C.Label = LabelNames[S.integer(1)];
          if (!S.isNull(2))
            C.Test = S.text(2).str();
          C.Conf = parseConfidence(S.text(3)).value_or(Confidence::Dubious);
          C.Processes = S.integer(4);
          C.Lost = S.integer(5);
          C.Failed = S.integer(6);
          C.Unreadable = S.integer(7);
          C.Source = Path.str();
          ContextIndex[S.integer(0)] = M.Contexts.size();
          M.Contexts.push_back(std::move(C));
          return Error::success();
        }))
      return E;
  }
  auto ContextOf = [&](int64_t Id) -> ContextModel * {
    auto It = ContextIndex.find(Id);
    return It == ContextIndex.end() ? nullptr : &M.Contexts[It->second];
  };
  {
    sql::Statement S(H, Path);
    if (Error E = S.prepare("SELECT context_id, kind, path, message FROM "
                            "problem ORDER BY context_id, seq"))
      return E;
    if (Error E = S.forEachRow([&]() -> Error {
          ContextModel *C = ContextOf(S.integer(0));
          if (!C)
            return Damaged(stringError("a problem names a missing context"));
          C->Problems.push_back(
              {S.text(1).str(), S.text(2).str(), S.text(3).str()});
          return Error::success();
        }))
      return E;
  }
  {
    sql::Statement S(H, Path);
    if (Error E = S.prepare("SELECT c.id, c.label_id, cv.file_id, cv.lines, "
                            "cv.regions FROM coverage cv JOIN context c ON "
                            "c.id = cv.context_id"))
      return E;
    if (Error E = S.forEachRow([&]() -> Error {
          ContextModel *C = ContextOf(S.integer(0));
          if (!C || !Files.count(S.integer(2)))
            return Damaged(
                stringError("coverage names a missing context or file"));
          ContextFile &CF = C->Files[Files[S.integer(2)]];
          unionInto<uint32_t>(CF.Covered, Bits(S.blob(3)));
          const Spans &List = RegionLists[{S.integer(1), S.integer(2)}];
          Spans Covered;
          for (uint32_t R : Bits(S.blob(4)))
            if (R < List.size())
              Covered.push_back(List[R]);
          unionInto<RegionSpan>(CF.CoveredRegions, Covered);
          return Error::success();
        }))
      return E;
  }
  {
    sql::Statement S(H, Path);
    if (Error E = S.prepare("SELECT context_id, binary_id, counters FROM "
                            "profile ORDER BY context_id, binary_id"))
      return E;
    if (Error E = S.forEachRow([&]() -> Error {
          ContextModel *C = ContextOf(S.integer(0));
          auto B = Binaries.find(S.integer(1));
          if (!C || B == Binaries.end())
            return Damaged(stringError("a profile names a missing context or "
                                       "binary"));
          C->Profiles.push_back({B->second, S.blob(2).str()});
          return Error::success();
        }))
      return E;
  }
  if (BadBitmap)
    return Damaged(stringError("malformed bitmap blob"));
  if (Error E = addLabelAggregates(M, ContextIndex))
    return Damaged(std::move(E));
  return Error::success();
}

/// The sum of indexed profiles.
static Expected<std::string> sumProfiles(ArrayRef<std::string> Profiles) {
  InstrProfWriter Writer;
  if (Error E = Writer.mergeProfileKind(InstrProfKind::FrontendInstrumentation))
    return std::move(E);
  Error WriteErr = Error::success();
  for (const std::string &P : Profiles) {
    auto ReaderOrErr = IndexedInstrProfReader::create(
        MemoryBuffer::getMemBuffer(P, "", /*RequiresNullTerminator=*/false));
    if (!ReaderOrErr) {
      consumeError(std::move(WriteErr));
      return ReaderOrErr.takeError();
    }
    for (NamedInstrProfRecord &R : **ReaderOrErr)
      Writer.addRecord(std::move(R), 1, [&](Error E) {
        WriteErr = joinErrors(std::move(WriteErr), std::move(E));
      });
    if (Error E = (*ReaderOrErr)->getError()) {
      consumeError(std::move(WriteErr));
      return std::move(E);
    }
  }
  if (WriteErr)
    return std::move(WriteErr);
  return indexedProfileBytes(Writer);
}

/// Writes \p M into a new database at \p Path.
static Error writeModel(Model &M, StringRef Path) {
  sqlite3 *DB = nullptr;
  if (sqlite3_open_v2(Path.str().c_str(), &DB,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    Error E = sql::error(DB, Path, "cannot create the database");
    sqlite3_close(DB);
    return E;
  }
  auto Close = make_scope_exit([&] { sqlite3_close(DB); });
  // No journal: the file is private until renamed, and a failure removes it.
  if (Error E = sql::exec(DB, Path,
                          "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                          " PRAGMA page_size = 4096; BEGIN;"))
    return E;
  if (Error E = sql::exec(DB, Path, CovDBSchemaSQL))
    return E;

  sql::Statement Meta(DB, Path);
  if (Error E = Meta.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)"))
    return E;
  std::pair<const char *, std::string> MetaRows[] = {
      {"format", "covlock-covdb"},
      {"schema_version", std::to_string(CovDBSchemaVersion)},
      {"writer", "llvm-covmerge (covlock)"},
      {"llvm_version", LLVM_VERSION_STRING},
      {"line_semantics", "llvm-cov"},
  };
  for (auto &[K, V] : MetaRows)
    if (Error E = Meta.bind(1, K).bind(2, V).exec())
      return E;

  // Labels, sorted by name; ids from 1.
  std::map<std::string, int64_t> LabelIds;
  {
    sql::Statement S(DB, Path);
    if (Error E = S.prepare(
            "INSERT INTO label (id, name, profile) VALUES (?1, ?2, ?3)"))
      return E;
    for (auto &[Name, L] : M.Labels) {
      if (L.Profiles.size() != 1) {
        auto Sum = sumProfiles(L.Profiles);
        if (!Sum)
          return createFileError(Path, Sum.takeError());
        L.Profiles.assign(1, std::move(*Sum));
      }
      int64_t Id = LabelIds.size() + 1;
      LabelIds[Name] = Id;
      if (Error E =
              S.bind(1, Id).bind(2, Name).bindBlob(3, L.Profiles[0]).exec())
        return E;
      // Written: the biggest blob of the database need not wait for the rest.
      std::vector<std::string>().swap(L.Profiles);
    }
  }
  {
    sql::Statement S(DB, Path);
    if (Error E =
            S.prepare("INSERT INTO binary (id, path, build_id, num_functions, "
                      "num_counters, num_bitmap_bytes, functions) VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
      return E;
    for (size_t I = 0; I != M.Binaries.size(); ++I) {
      const BinaryModel &B = M.Binaries[I];
      if (Error E = S.bind(1, int64_t(I + 1))
                        .bind(2, B.Path)
                        .bind(3, B.BuildId)
                        .bind(4, int64_t(B.NumFunctions))
                        .bind(5, int64_t(B.NumCounters))
                        .bind(6, int64_t(B.NumBitmapBytes))
                        .bindBlob(7, B.Functions)
                        .exec())
        return E;
    }
  }
  // Files: every path a label or context names, sorted.
  std::map<std::string, int64_t> FileIds;
  for (auto &KV : M.Labels)
    for (auto &F : KV.second.Files)
      FileIds[F.first];
  for (ContextModel &C : M.Contexts)
    for (auto &F : C.Files)
      FileIds[F.first];
  {
    sql::Statement S(DB, Path);
    if (Error E = S.prepare("INSERT INTO file (id, path) VALUES (?1, ?2)"))
      return E;
    int64_t Next = 1;
    for (auto &KV : FileIds) {
      KV.second = Next++;
      if (Error E = S.bind(1, KV.second).bind(2, KV.first).exec())
        return E;
    }
  }
  // Both lists are sorted: each search starts where the last one ended and
  // gallops, since covered regions are a thin spread over a big file.
  auto RegionIndices = [](const Spans &List, const Spans &Covered) {
    std::vector<uint32_t> V;
    auto From = List.begin();
    for (const RegionSpan &R : Covered) {
      size_t Step = 1;
      auto To = From;
      while (To != List.end() && *To < R) {
        From = To;
        To = Step < size_t(List.end() - To) ? To + Step : List.end();
        Step *= 2;
      }
      From = std::lower_bound(From, To, R);
      if (From != List.end() && *From == R)
        V.push_back(From - List.begin());
    }
    return V;
  };
  {
    sql::Statement S(DB, Path);
    if (Error E = S.prepare(
            "INSERT INTO label_file (label_id, file_id, lines, lines_covered, "
            "regions, regions_covered, executable, covered, region_spans, "
            "covered_regions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
            "?10)"))
      return E;
    for (auto &[Name, L] : M.Labels)
      for (auto &[File, LF] : L.Files) {
        std::vector<uint32_t> CoveredRegions =
            RegionIndices(LF.Regions, LF.CoveredRegions);
        std::string Exec = covdb::encodeBitmap(LF.Executable);
        std::string Cov = covdb::encodeBitmap(LF.Covered);
        std::string Regions = covdb::encodeRegions(LF.Regions);
        std::string CovRegions = covdb::encodeBitmap(CoveredRegions);
        if (Error E = S.bind(1, LabelIds[Name])
                          .bind(2, FileIds[File])
                          .bind(3, int64_t(LF.Executable.size()))
                          .bind(4, int64_t(LF.Covered.size()))
                          .bind(5, int64_t(LF.Regions.size()))
                          .bind(6, int64_t(CoveredRegions.size()))
                          .bindBlob(7, Exec)
                          .bindBlob(8, Cov)
                          .bindBlob(9, Regions)
                          .bindBlob(10, CovRegions)
                          .exec())
          return E;
      }
  }

  // Contexts, sorted by (label, test), outside first.
  llvm::sort(M.Contexts, [](const ContextModel &A, const ContextModel &B) {
    return std::make_tuple(StringRef(A.Label), A.Test.has_value(),
                           StringRef(A.Test.value_or(""))) <
           std::make_tuple(StringRef(B.Label), B.Test.has_value(),
                           StringRef(B.Test.value_or("")));
  });
  sql::Statement Ctx(DB, Path), Prob(DB, Path), Cov(DB, Path), Prof(DB, Path);
  if (Error E = Ctx.prepare(
          "INSERT INTO context (id, label_id, test, confidence, processes, "
          "lost, failed, unreadable, lines_covered, regions_covered) VALUES "
          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"))
    return E;
  if (Error E = Prob.prepare("INSERT INTO problem (context_id, seq, kind, "
                             "path, message) VALUES (?1, ?2, ?3, ?4, ?5)"))
    return E;
  if (Error E = Cov.prepare(
          "INSERT INTO coverage (file_id, context_id, lines_covered, "
          "regions_covered, lines, regions) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))
    return E;
  if (Error E = Prof.prepare("INSERT INTO profile (context_id, binary_id, "
                             "counters) VALUES (?1, ?2, ?3)"))
    return E;
  for (size_t I = 0; I != M.Contexts.size(); ++I) {
    ContextModel &C = M.Contexts[I];
    int64_t Id = I + 1;
    int64_t LabelId = LabelIds[C.Label];
    uint32_t LinesCovered = 0, RegionsCovered = 0;
    struct Row {
      int64_t File;
      uint32_t NumLines, NumRegions;
      std::string Lines, Regions;
    };
    std::vector<Row> Rows;
    for (auto &[File, CF] : C.Files) {
      if (CF.Encoded) {
        if (!CF.NumLines && !CF.NumRegions)
          continue;
        LinesCovered += CF.NumLines;
        RegionsCovered += CF.NumRegions;
        Rows.push_back({FileIds[File], CF.NumLines, CF.NumRegions,
                        std::move(CF.LinesBlob), std::move(CF.RegionsBlob)});
        continue;
      }
      if (CF.Covered.empty() && CF.CoveredRegions.empty())
        continue;
      auto LIt = M.Labels[C.Label].Files.find(File);
      std::vector<uint32_t> Regions;
      if (LIt != M.Labels[C.Label].Files.end())
        Regions = RegionIndices(LIt->second.Regions, CF.CoveredRegions);
      LinesCovered += CF.Covered.size();
      RegionsCovered += Regions.size();
      Rows.push_back({FileIds[File], uint32_t(CF.Covered.size()),
                      uint32_t(Regions.size()), covdb::encodeBitmap(CF.Covered),
                      covdb::encodeBitmap(Regions)});
    }
    Ctx.bind(1, Id).bind(2, LabelId);
    if (C.Test)
      Ctx.bind(3, *C.Test);
    else
      Ctx.bindNull(3);
    if (Error E = Ctx.bind(4, confidenceName(C.Conf))
                      .bind(5, C.Processes)
                      .bind(6, C.Lost)
                      .bind(7, C.Failed)
                      .bind(8, C.Unreadable)
                      .bind(9, LinesCovered)
                      .bind(10, RegionsCovered)
                      .exec())
      return E;
    for (size_t P = 0; P != C.Problems.size(); ++P) {
      const MergeProblem &MP = C.Problems[P];
      if (Error E = Prob.bind(1, Id)
                        .bind(2, int64_t(P))
                        .bind(3, MP.Kind)
                        .bind(4, MP.Path)
                        .bind(5, MP.Message)
                        .exec())
        return E;
    }
    for (Row &R : Rows)
      if (Error E = Cov.bind(1, R.File)
                        .bind(2, Id)
                        .bind(3, R.NumLines)
                        .bind(4, R.NumRegions)
                        .bindBlob(5, R.Lines)
                        .bindBlob(6, R.Regions)
                        .exec())
        return E;
    llvm::sort(C.Profiles);
    for (auto &[Binary, Sparse] : C.Profiles)
      if (Error E = Prof.bind(1, Id)
                        .bind(2, int64_t(Binary + 1))
                        .bindBlob(3, Sparse)
                        .exec())
        return E;
  }
  if (Error E = sql::exec(DB, Path, CovDBIndexSQL))
    return E;
  std::string Version =
      "PRAGMA user_version = " + std::to_string(CovDBSchemaVersion) + ";";
  if (Error E = sql::exec(DB, Path, Version.c_str()))
    return E;
  return sql::exec(DB, Path, "COMMIT;");
}

static Error writeAll(Model &M, ArrayRef<std::string> InputDatabases,
                      StringRef OutPath) {
  for (const std::string &In : InputDatabases)
    if (Error E = addDatabase(In, M))
      return E;

  // A context is one (label, test): the same one twice is an error naming
  // both of its sources.
  {
    std::map<std::pair<std::string, std::optional<std::string>>,
             const ContextModel *>
        Seen;
    for (const ContextModel &C : M.Contexts) {
      auto [It, New] = Seen.try_emplace({C.Label, C.Test}, &C);
      if (!New) {
        std::string What =
            "context (label '" + C.Label + "', " +
            (C.Test ? "test '" + *C.Test + "'" : std::string("outside tests")) +
            ")";
        // Twice in one database can only be a damaged (or forged) file.
        if (It->second->Source == C.Source)
          return stringError(What + " appears twice in " + C.Source +
                             ", which a coverage database never holds "
                             "(damaged?)");
        return stringError(What + " is in both " + It->second->Source +
                           " and " + C.Source);
      }
    }
  }

  std::string Tmp =
      (OutPath + ".tmp-" + Twine(sys::Process::getProcessId())).str();
  sys::fs::remove(Tmp);
  if (Error E = writeModel(M, Tmp)) {
    sys::fs::remove(Tmp);
    return E;
  }
  // Durable before it replaces the previous database.
  {
    int FD = ::open(Tmp.c_str(), O_RDONLY);
    if (FD >= 0) {
      ::fsync(FD);
      ::close(FD);
    }
  }
  if (std::error_code EC = sys::fs::rename(Tmp, OutPath)) {
    sys::fs::remove(Tmp);
    return createFileError(OutPath, errorCodeToError(EC));
  }
  return Error::success();
}

CovDBBuilder::CovDBBuilder(const CovDBWriteOptions &Options)
    : I(std::make_unique<Impl>(Options)) {}
CovDBBuilder::~CovDBBuilder() = default;

Expected<unsigned> CovDBBuilder::addBinary(const BinaryLayout &Layout) {
  return I->addBinary(Layout);
}

void CovDBBuilder::addContext(Context C) {
  auto Owned = std::make_unique<Context>(std::move(C));
  const Context &Ref = *Owned;
  I->addContext(Ref, std::move(Owned));
}

Error CovDBBuilder::finish(ArrayRef<std::string> InputDatabases,
                           StringRef OutPath) {
  return I->finish(InputDatabases, OutPath);
}

/// writeCovDB, from \p Merged itself (\p Owned null) or from contexts it
/// may take (\p Owned is &Merged): each is then freed once attributed.
static Error writeFrom(const MergeResult &Merged, MergeResult *Owned,
                       ArrayRef<std::string> InputDatabases, StringRef OutPath,
                       const CovDBWriteOptions &Options) {
  CovDBBuilder::Impl B(Options);
  for (const BinaryLayout &L : Merged.Binaries) {
    auto Index = B.addBinary(L);
    if (!Index)
      return Index.takeError();
  }
  if (Error E = B.presumAggregates(Merged))
    return E;
  B.encodeEarly(InputDatabases.empty());
  for (size_t I = 0; I != Merged.Contexts.size(); ++I) {
    if (!Owned) {
      // The merge result outlives the jobs: no copies of its counters.
      B.addContext(Merged.Contexts[I], nullptr);
      continue;
    }
    auto C = std::make_unique<Context>(std::move(Owned->Contexts[I]));
    const Context &Ref = *C;
    B.addContext(Ref, std::move(C));
  }
  return B.finish(InputDatabases, OutPath);
}

Error writeCovDB(const MergeResult &Merged,
                 ArrayRef<std::string> InputDatabases, StringRef OutPath,
                 const CovDBWriteOptions &Options) {
  return writeFrom(Merged, nullptr, InputDatabases, OutPath, Options);
}

Error writeCovDB(MergeResult &&Merged, ArrayRef<std::string> InputDatabases,
                 StringRef OutPath, const CovDBWriteOptions &Options) {
  return writeFrom(Merged, &Merged, InputDatabases, OutPath, Options);
}

} // namespace covlock
