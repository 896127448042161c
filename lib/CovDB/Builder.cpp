//===- Builder.cpp - Attributing the merge's contexts into a covdb --------===//
//
// writeCovDB and CovDBBuilder: every context of a merge is attributed to
// lines and regions (lib/Attribution) on a thread pool, one decoded mapping
// per binary, while the labels' aggregates are summed and given their full
// replay (executable lines) and their indexed profile; the results fill the
// model (Model.h) that TableWriter.cpp writes.
//
//===----------------------------------------------------------------------===//

#include "Model.h"
#include "ProfileBytes.h"
#include "covlock/Attribution/Attribution.h"
#include "covlock/CovDB/CovDB.h"
#include "covlock/CovDB/Encoding.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <unistd.h>

using namespace llvm;
using namespace covlock::covdb;

namespace covlock {

static Error stringError(const Twine &Msg) {
  return createStringError(inconvertibleErrorCode(), Msg);
}

class CovDBBuilder::Impl {
public:
  explicit Impl(const CovDBWriteOptions &Options)
      : Options(Options),
        Threads(hardware_concurrency(Options.Threads).compute_thread_count()) {
    M.Paths = Options.Paths;
    M.Label = Options.Label;
    M.LineSemantics = lineSemanticsName(Options.Coverage.Rules);
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
  /// LineRules::Covlock: \p BC's lines past the end of the source files
  /// \p Names (its files(), as stored) are left out, with a note.
  void limitToSources(BinaryCoverage &BC, ArrayRef<std::string> Names);
  void addContext(const Context &C, std::unique_ptr<Context> Owned);
  /// When every context is known up front (writeCovDB), the aggregates can
  /// be summed first and their long full replays started before the
  /// contexts, instead of after them.
  Error presumAggregates(const MergeResult &Merged);
  /// (Not when paths are remapped: two files of one binary may become one.)
  void encodeEarly(bool Yes) {
    EncodeEarly = Yes && Presummed && Options.Paths.empty();
  }
  Error finish(ArrayRef<std::string> InputDatabases, StringRef OutPath);

private:
  /// \p P names an added binary and fits its profile layout.
  Error checkProfile(const ContextProfile &P) const;
  void startAggregates();

  Error attributeContext(const Context &C, ContextModel &CM);
  void progress();

  CovDBWriteOptions Options;
  std::mutex NotesLock;
  std::set<std::string> NotedFiles; ///< each file's note once
  unsigned Threads;
  std::optional<DefaultThreadPool> Pool;
  Model M;
  std::vector<std::unique_ptr<BinaryLayout>> Layouts;
  std::vector<std::unique_ptr<BinaryCoverage>> Coverage;
  std::vector<unsigned> BinaryIndex; ///< layout -> M.Binaries
  /// Per layout, its mapping's file names as stored (remapped).
  std::vector<std::vector<std::string>> FileNames;

  // Shared with the workers.
  std::mutex Mutex;
  std::condition_variable Drained;
  size_t InFlight = 0, Added = 0, Done = 0;
  std::map<std::pair<std::string, unsigned>, CounterSum> Aggregates;
  std::vector<std::unique_ptr<ContextModel>> Results; ///< by arrival
  Error Errors = Error::success();

  bool Presummed = false, AggregatesStarted = false;
  /// Contexts' rows may be encoded by their jobs: set, with the labels'
  /// binaries known (presumAggregates), when no input database can add
  /// regions to a label.
  bool EncodeEarly = false;
  std::map<std::string, std::set<unsigned>> LabelBinaries;
  std::vector<std::pair<const std::pair<std::string, unsigned>, CounterSum> *>
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
    auto BC = BinaryCoverage::load(*L, Options.Coverage);
    if (!BC)
      return BC.takeError();
    Preloaded = std::move(*BC);
  }
  BinaryModel BM;
  BM.Path = L->Path;
  BM.BuildId = L->BinaryId;
  BM.Functions = encodeFunctions(*L);
  BM.NumFunctions = L->Functions.size();
  BM.NumCounters = L->NumCounters;
  BM.NumBitmapBytes = L->NumBitmapBytes;
  BinaryIndex.push_back(M.addBinary(std::move(BM)));
  Layouts.push_back(std::move(L));
  std::vector<std::string> &Names = FileNames.emplace_back();
  for (StringRef File : Preloaded->files())
    Names.push_back(Options.Paths.map(File));
  if (Options.Coverage.Rules == LineRules::Covlock)
    limitToSources(*Preloaded, Names);
  Coverage.push_back(std::move(Preloaded));
  return Layouts.size() - 1;
}

/// The number of lines of the source file \p Path as clang numbers them
/// ("\n", "\r", "\r\n" and "\n\r" each end a line; a last line without
/// one counts), read in pieces (a file truncated meanwhile cannot fault
/// the merge). Unknown (std::nullopt) for a relative path (it would name a
/// file relative to the merge, not to the compilation), a file that is not
/// a regular one or that cannot be read, or one over MaxSourceBytes.
static std::optional<uint32_t> countSourceLines(StringRef Path) {
  constexpr uint64_t MaxSourceBytes = uint64_t(1) << 30;
  if (!sys::path::is_absolute(Path))
    return std::nullopt;
  sys::fs::file_status Status;
  Expected<int> Opened = openRegularFile(Path, /*NoFollow=*/false, Status);
  if (!Opened) {
    consumeError(Opened.takeError());
    return std::nullopt;
  }
  int FD = *Opened;
  auto Close = make_scope_exit([&] { ::close(FD); });
  if (Status.getSize() > MaxSourceBytes)
    return std::nullopt;
  uint64_t Lines = 0, Read = 0;
  char Prev = 0, Buf[1 << 16];
  bool EndsLine = false, SecondOfPair = false;
  while (true) {
    ssize_t N = ::read(FD, Buf, sizeof(Buf));
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return std::nullopt;
    if (N == 0)
      break;
    if ((Read += N) > MaxSourceBytes)
      return std::nullopt;
    for (ssize_t I = 0; I != N; ++I) {
      char C = Buf[I];
      EndsLine = C == '\n' || C == '\r';
      // The second of a "\r\n" or "\n\r" pair ends no line of its own.
      bool Pair = EndsLine && !SecondOfPair &&
                  ((Prev == '\r' && C == '\n') || (Prev == '\n' && C == '\r'));
      Lines += EndsLine && !Pair;
      SecondOfPair = Pair;
      Prev = C;
    }
  }
  if (Read && !EndsLine)
    ++Lines;
  return uint32_t(std::min<uint64_t>(Lines, UINT32_MAX - 1));
}

void CovDBBuilder::Impl::limitToSources(BinaryCoverage &BC,
                                        ArrayRef<std::string> Names) {
  std::vector<uint32_t> LastLine;
  for (const std::string &Name : Names)
    LastLine.push_back(countSourceLines(Name).value_or(NoLineLimit));
  std::vector<uint32_t> Limits = LastLine;
  for (unsigned File : BC.limitLines(std::move(Limits))) {
    std::lock_guard<std::mutex> G(NotesLock);
    if (Options.Note && NotedFiles.insert(Names[File]).second)
      Options.Note(Names[File], "the coverage mapping names lines past its "
                                "last line (" +
                                    Twine(LastLine[File]) +
                                    "); they are left out");
  }
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
  CM.Outcomes = C.Outcomes;
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
      ContextFile &CF = CM.Files[FileNames[P.Binary][F.File]];
      if (Early) {
        CF.Encoded = true;
        CF.NumLines = F.Covered.size();
        CF.NumRegions = F.CoveredRegions.size();
        CF.LinesBlob = encodeBitmap(F.Covered);
        CF.RegionsBlob = encodeBitmap(F.CoveredRegions);
        continue;
      }
      unionInto<uint32_t>(CF.Covered, F.Covered);
      Spans Covered;
      for (uint32_t Reg : F.CoveredRegions)
        Covered.push_back(BC.regions(F.File)[Reg]);
      unionInto<RegionSpan>(CF.CoveredRegions, Covered);
    }
    CM.Profiles.push_back(
        {BinaryIndex[P.Binary], encodeSparse(CounterView::of(P), P.Bitmap)});
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
        Aggregates[{C.Label, P.Binary}].add(*Layouts[P.Binary],
                                            CounterView::of(P), P.Bitmap);
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
      Aggregates[{C.Label, P.Binary}].add(*Layouts[P.Binary],
                                          CounterView::of(P), P.Bitmap);
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
    const CounterSum &A = AggList[I]->second;
    IndexedProfileBuilder Builder;
    Builder.add(*Layouts[AggList[I]->first.second], A.Counters, A.Bitmap);
    auto Bytes = Builder.take();
    Error WriteErr = Error::success();
    if (Bytes)
      AggProfiles[I] = std::move(*Bytes);
    else
      WriteErr = Bytes.takeError();
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
        LabelFile &LF = L.Files[FileNames[AggList[AI]->first.second][F.File]];
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
  return writeModel(M, InputDatabases, OutPath);
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
