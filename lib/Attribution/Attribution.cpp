//===- Attribution.cpp - Lines and regions per context --------------------===//
//
// The mapping of a binary is decoded once into owned records and cut into
// components: per source file, the records whose lines overlap there, since
// only those decide each other's lines. Each component gets a LineProgram
// (LineRules.h), so a context is attributed by evaluating the region counts
// of the functions it ran and applying the programs they touch.
//
// What the programs cannot follow exactly (MC/DC, records whose loading by
// llvm-cov depends on counts, the rare line whose segments depend on counts)
// marks its component "by LLVM": those components are replayed, with an
// in-memory indexed profile, through llvm::coverage::CoverageMapping itself.
//
//===----------------------------------------------------------------------===//

#include "covlock/Attribution/Attribution.h"
#include "LineRules.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ProfileData/Coverage/CoverageMapping.h"
#include "llvm/ProfileData/Coverage/CoverageMappingReader.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/StringSaver.h"
#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <thread>
#include <condition_variable>
#include <tuple>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {

namespace {
/// How a mapping record relates to the profile layout; this decides what
/// llvm-cov does with it given a profile of the whole layout.
enum class JoinKind : uint8_t {
  Joined,   ///< (name, hash) is a layout function: counts from the profile
  Unknown,  ///< name not in the layout: llvm-cov shows it with zero counts
  Mismatch, ///< name in the layout with another hash: llvm-cov drops it
};

/// Whether llvm-cov keeps a record, as far as the line rules can tell.
enum class Loading : uint8_t {
  Dropped, ///< never (hash mismatch, bad expression, same function seen)
  Kept,    ///< always
  ByLLVM,  ///< it depends on counts, or on MC/DC: ask LLVM
};

/// A decoded mapping record that owns (or outlives) everything it points to.
struct OwnedRecord {
  StringRef Name;
  uint64_t NameRef = 0; ///< MD5 of Name, as the profile layout names it
  /// The function as llvm-cov tells records apart: (files, name) hashes.
  std::pair<size_t, size_t> Key;
  uint64_t Hash = 0;
  JoinKind Join = JoinKind::Unknown;
  Loading Loads = Loading::Dropped;
  uint32_t Layout = 0; ///< layout function when Joined
  std::vector<StringRef> Filenames;
  std::vector<uint32_t> FileIndices; ///< Impl::Files index of each file id
  std::vector<CounterExpression> Expressions;
  std::vector<CounterMappingRegion> Regions;
  /// Kept: its counted regions' values, Impl::Values[FirstValue, +NumValues).
  uint32_t FirstValue = 0, NumValues = 0;
  /// Kept: the expressions its regions use, each after its operands.
  std::vector<uint32_t> ExpressionOrder;
};

/// A region whose count llvm-cov keeps for lines (code, expansion, skipped,
/// gap: not branches or MC/DC decisions).
bool isCounted(const CounterMappingRegion &R) {
  return R.Kind <= CounterMappingRegion::GapRegion;
}

/// A counted region of a kept record.
struct CountedValue {
  Counter Count;
  uint32_t File;
  uint32_t Span; ///< into Impl::FileRegions[File]; NoSpan if not code
};
constexpr uint32_t NoSpan = UINT32_MAX;

/// The lines of one file that a set of records decide together: their
/// line extents there overlap (or they are the same function, or the
/// regions of one run on into the next's).
struct Component {
  uint32_t File = 0;
  bool ByLLVM = false;
  /// Its records (ascending; any but mismatches) in Impl::ComponentRecords,
  /// its line intervals in Impl::ComponentLines.
  uint32_t RecordsBegin = 0, RecordsEnd = 0, LinesBegin = 0, LinesEnd = 0;
  attribution::LineProgram Program;
};

/// A record's extent in one file, in whole lines.
struct LineSpan {
  uint32_t File, First, Last, Record;
};
} // namespace

class BinaryCoverage::Impl {
public:
  const BinaryLayout *Layout = nullptr;
  bool KeepForReplay = false; ///< every record stays replayable
  BumpPtrAllocator Alloc;
  StringSaver Saver{Alloc};
  std::vector<OwnedRecord> Records;
  std::vector<std::string> Files;
  StringMap<unsigned> FileIndex;
  std::vector<std::vector<RegionSpan>> FileRegions;
  /// Records of each layout function (CSR: FuncRecordsBegin has
  /// Functions.size() + 1 entries).
  std::vector<uint32_t> FuncRecordsBegin, FuncRecords;
  /// (FirstCounter, function) of the layout functions with counters, sorted.
  std::vector<std::pair<uint64_t, uint32_t>> CounterStarts;
  std::vector<CountedValue> Values;
  std::vector<Component> Components;
  std::vector<uint32_t> ComponentRecords;
  std::vector<std::pair<uint32_t, uint32_t>> ComponentLines;
  attribution::LinePrograms Programs;
  /// Components of each record (CSR).
  std::vector<uint32_t> RecordComponentsBegin, RecordComponents;

  /// Reads the mapping of \p Path into Records and Files.
  Error decode(StringRef Path);
  /// With Layout set: joins the records to it, then builds the components.
  void index();
  Expected<Attribution> attribute(const CounterView &Counters,
                                  ArrayRef<uint8_t> Bitmap,
                                  const AttributeOptions &Options) const;

private:
  void join();
  void decideLoading();
  void buildComponents();
  void evaluate(const OwnedRecord &R, const CounterView &Counters,
                std::vector<uint64_t> &Scratch,
                MutableArrayRef<uint64_t> Out) const;
  Error replay(ArrayRef<uint32_t> Selected, const CounterView &Counters,
               ArrayRef<uint8_t> Bitmap, bool Executable,
               std::map<unsigned, FileAttribution> &ByFile) const;
};

namespace {
/// Replays cached records to CoverageMapping::load.
class ReplayReader : public CoverageMappingReader {
  const std::vector<OwnedRecord> &Records;
  ArrayRef<uint32_t> Selected;
  size_t Next = 0;

public:
  ReplayReader(const std::vector<OwnedRecord> &Records,
               ArrayRef<uint32_t> Selected)
      : Records(Records), Selected(Selected) {}

  Error readNextRecord(CoverageMappingRecord &R) override {
    if (Next == Selected.size())
      return make_error<CoverageMapError>(coveragemap_error::eof);
    const OwnedRecord &O = Records[Selected[Next++]];
    R.FunctionName = O.Name;
    R.FunctionHash = O.Hash;
    R.Filenames = O.Filenames;
    R.Expressions = O.Expressions;
    R.MappingRegions = O.Regions;
    return Error::success();
  }
};
} // namespace

Error BinaryCoverage::Impl::decode(StringRef Path) {
  auto BufOrErr = MemoryBuffer::getFile(Path, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
  if (!BufOrErr)
    return createFileError(Path, errorCodeToError(BufOrErr.getError()));
  std::unique_ptr<MemoryBuffer> Buf = std::move(*BufOrErr);
  SmallVector<std::unique_ptr<MemoryBuffer>, 4> ObjectBuffers;
  auto ReadersOrErr =
      BinaryCoverageReader::create(Buf->getMemBufferRef(), "", ObjectBuffers);
  if (!ReadersOrErr)
    return createFileError(Path, ReadersOrErr.takeError());

  StringMap<bool> SeenFiles;
  for (std::unique_ptr<BinaryCoverageReader> &Reader : *ReadersOrErr) {
    while (true) {
      CoverageMappingRecord R;
      Error E = Reader->readNextRecord(R);
      if (E) {
        bool End = false;
        Error Rest = handleErrors(std::move(E), [&](const CoverageMapError &CME) -> Error {
          if (CME.get() == coveragemap_error::eof) {
            End = true;
            return Error::success();
          }
          return make_error<CoverageMapError>(CME.get(), CME.message());
        });
        if (Rest)
          return createFileError(Path, std::move(Rest));
        if (End)
          break;
      }
      OwnedRecord O;
      // The reader's strings die with it: keep copies.
      O.Name = Saver.save(R.FunctionName);
      O.Hash = R.FunctionHash;
      for (StringRef F : R.Filenames) {
        O.Filenames.push_back(Saver.save(F));
        SeenFiles.try_emplace(F, true);
      }
      O.Expressions.assign(R.Expressions.begin(), R.Expressions.end());
      O.Regions.assign(R.MappingRegions.begin(), R.MappingRegions.end());
      O.NameRef = IndexedInstrProf::ComputeHash(O.Name);
      Records.push_back(std::move(O));
    }
  }
  for (const auto &KV : SeenFiles)
    Files.push_back(KV.getKey().str());
  llvm::sort(Files);
  for (unsigned I = 0, E = Files.size(); I != E; ++I)
    FileIndex[Files[I]] = I;
  for (OwnedRecord &R : Records)
    for (StringRef F : R.Filenames)
      R.FileIndices.push_back(FileIndex.lookup(F));
  return Error::success();
}

void BinaryCoverage::Impl::join() {
  // The profile layout names functions by MD5 of the PGO name.
  DenseMap<std::pair<uint64_t, uint64_t>, uint32_t> ByKey;
  DenseMap<uint64_t, uint32_t> ByName;
  for (uint32_t I = 0, E = Layout->Functions.size(); I != E; ++I) {
    const LayoutFunction &F = Layout->Functions[I];
    ByKey.try_emplace({F.NameRef, F.Hash}, I);
    ByName.try_emplace(F.NameRef, I);
  }
  for (OwnedRecord &O : Records) {
    auto It = ByKey.find({O.NameRef, O.Hash});
    if (It != ByKey.end()) {
      O.Join = JoinKind::Joined;
      O.Layout = It->second;
    } else if (ByName.count(O.NameRef)) {
      O.Join = JoinKind::Mismatch;
    }
  }
}

void BinaryCoverage::Impl::index() {
  join();
  // Layout function -> records.
  size_t NumFuncs = Layout->Functions.size();
  for (uint32_t I = 0; I != NumFuncs; ++I)
    if (Layout->Functions[I].NumCounters)
      CounterStarts.push_back({Layout->Functions[I].FirstCounter, I});
  llvm::sort(CounterStarts);
  FuncRecordsBegin.assign(NumFuncs + 1, 0);
  for (const OwnedRecord &R : Records)
    if (R.Join == JoinKind::Joined)
      ++FuncRecordsBegin[R.Layout + 1];
  for (size_t I = 0; I != NumFuncs; ++I)
    FuncRecordsBegin[I + 1] += FuncRecordsBegin[I];
  FuncRecords.resize(FuncRecordsBegin.back());
  {
    std::vector<uint32_t> Fill(FuncRecordsBegin.begin(),
                               FuncRecordsBegin.end() - 1);
    for (uint32_t I = 0, E = Records.size(); I != E; ++I)
      if (Records[I].Join == JoinKind::Joined)
        FuncRecords[Fill[Records[I].Layout]++] = I;
  }

  decideLoading();
  buildComponents();
}

/// The highest counter \p C refers to, as llvm-cov sizes the zero counts of
/// a function the profile does not have.
static uint64_t maxCounterId(const OwnedRecord &R, Counter C, unsigned Depth) {
  switch (C.getKind()) {
  case Counter::Zero:
    return 0;
  case Counter::CounterValueReference:
    return C.getCounterID();
  case Counter::Expression:
    break;
  }
  if (C.getExpressionID() >= R.Expressions.size() ||
      Depth > R.Expressions.size())
    return 0;
  const CounterExpression &E = R.Expressions[C.getExpressionID()];
  return std::max(maxCounterId(R, E.LHS, Depth + 1),
                  maxCounterId(R, E.RHS, Depth + 1));
}

/// Visits the expressions \p Roots use, each after its operands. False if
/// one refers past \p NumCounts counters or \p R's expressions, or to itself:
/// llvm-cov then cannot evaluate the record and drops it.
template <typename Fn>
static bool walkExpressions(const OwnedRecord &R, ArrayRef<Counter> Roots,
                            uint64_t NumCounts, Fn Visit) {
  enum : uint8_t { New, Open, Done };
  // Reused: this runs twice for every record of a binary.
  static thread_local std::vector<uint8_t> State;
  static thread_local std::vector<std::pair<uint32_t, bool>> Stack;
  State.assign(R.Expressions.size(), New);
  Stack.clear(); // (expression, operands done)
  auto Push = [&](Counter C) {
    if (C.getKind() == Counter::CounterValueReference)
      return C.getCounterID() < NumCounts;
    if (C.getKind() != Counter::Expression)
      return true;
    if (C.getExpressionID() >= R.Expressions.size() ||
        State[C.getExpressionID()] == Open)
      return false;
    if (State[C.getExpressionID()] == New)
      Stack.push_back({C.getExpressionID(), false});
    return true;
  };
  for (Counter Root : Roots) {
    if (!Push(Root))
      return false;
    while (!Stack.empty()) {
      auto [E, OperandsDone] = Stack.back();
      if (OperandsDone) {
        Stack.pop_back();
        if (State[E] != Done) {
          State[E] = Done;
          Visit(E);
        }
        continue;
      }
      Stack.back().second = true;
      if (State[E] == Done) {
        Stack.pop_back();
        continue;
      }
      State[E] = Open;
      if (!Push(R.Expressions[E].LHS) || !Push(R.Expressions[E].RHS))
        return false;
    }
  }
  return true;
}

void BinaryCoverage::Impl::decideLoading() {
  // Per (files, function name) as llvm-cov keys them: whether a record
  // that is always kept has been seen; absent if none of the key was.
  DenseMap<std::pair<size_t, size_t>, bool> SeenKept;
  for (OwnedRecord &R : Records) {
    StringRef Name = R.Filenames.empty()
                         ? getFuncNameWithoutPrefix(R.Name)
                         : getFuncNameWithoutPrefix(R.Name, R.Filenames[0]);
    R.Key = {hash_combine_range(R.Filenames.begin(), R.Filenames.end()),
             hash_value(Name)};
    R.Loads = Loading::Dropped;
    if (R.Join == JoinKind::Mismatch)
      continue;
    uint64_t NumCounts;
    Loading Loads = Loading::Kept;
    if (R.Join == JoinKind::Joined) {
      const LayoutFunction &F = Layout->Functions[R.Layout];
      NumCounts = F.NumCounters;
      if (!F.NumCounters ||
          F.FirstCounter + F.NumCounters > Layout->NumCounters)
        Loads = Loading::ByLLVM;
      // A lone zero region of a function used elsewhere: llvm-cov skips it
      // when the function's first counter is not zero.
      if (R.Regions.size() == 1 && R.Regions[0].Count.isZero())
        Loads = Loading::ByLLVM;
    } else {
      NumCounts = 0;
      for (const CounterMappingRegion &CMR : R.Regions)
        NumCounts = std::max(NumCounts, maxCounterId(R, CMR.Count, 0));
      ++NumCounts;
    }
    if (R.Regions.empty())
      Loads = Loading::ByLLVM;
    std::vector<Counter> All, Counted;
    for (const CounterMappingRegion &CMR : R.Regions) {
      if (CMR.FileID >= R.Filenames.size() ||
          (!isCounted(CMR) && CMR.Kind != CounterMappingRegion::BranchRegion))
        Loads = Loading::ByLLVM; // MC/DC, or malformed
      All.push_back(CMR.Count);
      All.push_back(CMR.FalseCount);
      if (isCounted(CMR))
        Counted.push_back(CMR.Count);
    }
    if (Loads == Loading::Kept) {
      if (!walkExpressions(R, All, NumCounts, [](uint32_t) {}))
        continue; // dropped
      walkExpressions(R, Counted, NumCounts,
                      [&](uint32_t E) { R.ExpressionOrder.push_back(E); });
    }
    auto [It, New] = SeenKept.try_emplace(R.Key, false);
    if (It->second)
      continue; // the same function was kept before: dropped
    if (!New)
      Loads = Loading::ByLLVM; // kept only if the earlier ones were not
    It->second = Loads == Loading::Kept;
    R.Loads = Loads;
  }
}

void BinaryCoverage::Impl::buildComponents() {
  // The values of the kept records' counted regions.
  size_t NumValues = 0;
  for (const OwnedRecord &R : Records)
    if (R.Loads == Loading::Kept)
      NumValues += llvm::count_if(R.Regions, isCounted);
  Values.reserve(NumValues);
  for (OwnedRecord &R : Records) {
    if (R.Loads != Loading::Kept)
      continue;
    R.FirstValue = Values.size();
    for (const CounterMappingRegion &CMR : R.Regions) {
      if (!isCounted(CMR))
        continue;
      Values.push_back({CMR.Count, R.FileIndices[CMR.FileID], NoSpan});
    }
    R.NumValues = Values.size() - R.FirstValue;
  }

  // The distinct code regions per file (of every record), and the span of
  // each code value: one sort of packed keys.
  {
    struct Code {
      uint64_t Start, End; ///< line << 32 | column
      uint32_t File, Value; ///< Value: NoSpan if not a kept record's
    };
    std::vector<Code> Codes;
    for (const OwnedRecord &R : Records) {
      uint32_t Value = R.FirstValue;
      for (const CounterMappingRegion &CMR : R.Regions) {
        bool Counted = R.Loads == Loading::Kept && isCounted(CMR);
        if (CMR.FileID < R.Filenames.size() &&
            CMR.Kind == CounterMappingRegion::CodeRegion)
          Codes.push_back({uint64_t(CMR.LineStart) << 32 | CMR.ColumnStart,
                           uint64_t(CMR.LineEnd) << 32 | CMR.ColumnEnd,
                           R.FileIndices[CMR.FileID],
                           Counted ? Value : NoSpan});
        Value += Counted;
      }
    }
    // Records come mostly in source order: a merge sort gains from that.
    std::stable_sort(Codes.begin(), Codes.end(),
                     [](const Code &A, const Code &B) {
                       return std::tie(A.File, A.Start, A.End) <
                              std::tie(B.File, B.Start, B.End);
                     });
    FileRegions.assign(Files.size(), {});
    for (size_t I = 0; I != Codes.size(); ++I) {
      const Code &C = Codes[I];
      std::vector<RegionSpan> &V = FileRegions[C.File];
      if (!I || C.File != Codes[I - 1].File || C.Start != Codes[I - 1].Start ||
          C.End != Codes[I - 1].End)
        V.push_back({uint32_t(C.Start >> 32), uint32_t(C.Start),
                     uint32_t(C.End >> 32), uint32_t(C.End)});
      if (C.Value != NoSpan)
        Values[C.Value].Span = V.size() - 1;
    }
    for (std::vector<RegionSpan> &V : FileRegions)
      V.shrink_to_fit();
  }

  // Line extents per (record, file) of the records llvm-cov may keep; and
  // which record has the last region of each file in llvm-cov's order.
  std::vector<LineSpan> Spans;
  using SortKey = std::tuple<uint32_t, uint32_t, int64_t, int64_t, uint8_t>;
  std::vector<std::optional<std::pair<SortKey, uint32_t>>> FileLast(
      Files.size());
  for (uint32_t I = 0, E = Records.size(); I != E; ++I) {
    const OwnedRecord &R = Records[I];
    if (R.Join == JoinKind::Mismatch)
      continue;
    SmallDenseMap<unsigned, std::pair<uint32_t, uint32_t>, 4> Extent;
    for (const CounterMappingRegion &CMR : R.Regions) {
      if (CMR.FileID >= R.Filenames.size())
        continue;
      unsigned File = R.FileIndices[CMR.FileID];
      auto [It, New] =
          Extent.try_emplace(File, std::make_pair(CMR.LineStart, CMR.LineEnd));
      if (!New) {
        It->second.first = std::min(It->second.first, CMR.LineStart);
        It->second.second = std::max(It->second.second, CMR.LineEnd);
      }
      if (R.Loads != Loading::Dropped && isCounted(CMR)) {
        SortKey K(CMR.LineStart, CMR.ColumnStart, -int64_t(CMR.LineEnd),
                  -int64_t(CMR.ColumnEnd), uint8_t(CMR.Kind));
        if (!FileLast[File] || FileLast[File]->first < K)
          FileLast[File] = {K, I};
      }
    }
    for (const auto &KV : Extent)
      Spans.push_back({KV.first, KV.second.first, KV.second.second, I});
  }
  llvm::sort(Spans, [](const LineSpan &A, const LineSpan &B) {
    return std::tie(A.File, A.First, A.Last, A.Record) <
           std::tie(B.File, B.First, B.Last, B.Record);
  });

  // Base components: per file, runs of extents that overlap or touch:
  // Spans[BaseBegin[B], BaseBegin[B + 1]).
  std::vector<uint32_t> BaseBegin;
  std::vector<uint32_t> BaseLast;
  for (uint32_t K = 0; K != Spans.size(); ++K) {
    const LineSpan &S = Spans[K];
    if (BaseBegin.empty() || Spans[BaseBegin.back()].File != S.File ||
        S.First > BaseLast.back()) {
      BaseBegin.push_back(K);
      BaseLast.push_back(S.Last);
    }
    BaseLast.back() = std::max(BaseLast.back(), S.Last);
  }
  uint32_t NumBases = BaseBegin.size();
  BaseBegin.push_back(Spans.size());
  auto FileOfBase = [&](uint32_t B) { return Spans[BaseBegin[B]].File; };
  // (record, file, base), sorted: the base of a record's extent in a file.
  std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> BaseOf;
  for (uint32_t B = 0; B != NumBases; ++B)
    for (uint32_t K = BaseBegin[B]; K != BaseBegin[B + 1]; ++K)
      BaseOf.push_back({Spans[K].Record, Spans[K].File, B});
  llvm::sort(BaseOf);
  auto BaseOfRecord = [&](uint32_t Record, uint32_t File) {
    return std::get<2>(*std::lower_bound(
        BaseOf.begin(), BaseOf.end(), std::make_tuple(Record, File, 0u)));
  };

  std::vector<uint32_t> Parent(NumBases);
  std::iota(Parent.begin(), Parent.end(), 0u);
  auto Find = [&](uint32_t X) {
    while (Parent[X] != X)
      X = Parent[X] = Parent[Parent[X]];
    return X;
  };
  auto Union = [&](uint32_t A, uint32_t B) {
    A = Find(A);
    B = Find(B);
    if (A == B)
      return false;
    Parent[std::max(A, B)] = std::min(A, B);
    return true;
  };
  // The same function in several records: llvm-cov keeps one, so they are
  // decided together.
  {
    std::vector<std::tuple<size_t, size_t, uint32_t, uint32_t>> ByKey;
    for (const auto &[Record, File, B] : BaseOf)
      ByKey.push_back(
          {Records[Record].Key.first, Records[Record].Key.second, File, B});
    llvm::sort(ByKey);
    for (size_t I = 1; I < ByKey.size(); ++I)
      if (std::get<0>(ByKey[I]) == std::get<0>(ByKey[I - 1]) &&
          std::get<1>(ByKey[I]) == std::get<1>(ByKey[I - 1]) &&
          std::get<2>(ByKey[I]) == std::get<2>(ByKey[I - 1]))
        Union(std::get<3>(ByKey[I]), std::get<3>(ByKey[I - 1]));
  }

  // Components from the union-find; a component whose count runs on past
  // its lines decides the lines up to the next base: join them and start
  // again.
  while (true) {
    Components.clear();
    ComponentRecords.clear();
    ComponentLines.clear();
    Programs.clear();
    // Numbered by their first base, so in (file, line) order.
    std::vector<uint32_t> ComponentOf(NumBases);
    std::vector<uint32_t> Number(NumBases, UINT32_MAX);
    for (uint32_t B = 0; B != NumBases; ++B) {
      uint32_t &N = Number[Find(B)];
      if (N == UINT32_MAX) {
        N = Components.size();
        Components.emplace_back();
        Components.back().File = FileOfBase(B);
      }
      ComponentOf[B] = N;
    }
    // Bases and records of each component (CSR through a counting sort).
    std::vector<uint32_t> BasesBegin(Components.size() + 1, 0), Bases(NumBases);
    for (uint32_t B = 0; B != NumBases; ++B)
      ++BasesBegin[ComponentOf[B] + 1];
    for (size_t C = 0; C != Components.size(); ++C)
      BasesBegin[C + 1] += BasesBegin[C];
    {
      std::vector<uint32_t> Fill(BasesBegin.begin(), BasesBegin.end() - 1);
      for (uint32_t B = 0; B != NumBases; ++B)
        Bases[Fill[ComponentOf[B]]++] = B;
    }
    std::vector<uint8_t> EndsFile(Components.size(), 0);
    for (uint32_t F = 0; F != Files.size(); ++F)
      if (FileLast[F])
        EndsFile[ComponentOf[BaseOfRecord(FileLast[F]->second, F)]] = 1;

    for (uint32_t CI = 0; CI != Components.size(); ++CI) {
      Component &C = Components[CI];
      C.RecordsBegin = ComponentRecords.size();
      C.LinesBegin = ComponentLines.size();
      for (uint32_t K = BasesBegin[CI]; K != BasesBegin[CI + 1]; ++K) {
        uint32_t B = Bases[K];
        for (uint32_t S = BaseBegin[B]; S != BaseBegin[B + 1]; ++S)
          ComponentRecords.push_back(Spans[S].Record);
        ComponentLines.push_back({Spans[BaseBegin[B]].First, BaseLast[B]});
      }
      auto RecordsOfC = ComponentRecords.begin() + C.RecordsBegin;
      std::sort(RecordsOfC, ComponentRecords.end());
      ComponentRecords.erase(std::unique(RecordsOfC, ComponentRecords.end()),
                             ComponentRecords.end());
      C.RecordsEnd = ComponentRecords.size();
      C.LinesEnd = ComponentLines.size();
    }

    // The programs, the costly part: a big binary's in two halves on two
    // threads, joined as if built in one go.
    auto BuildPrograms = [&](uint32_t From, uint32_t To,
                             attribution::LinePrograms &Into) {
      std::vector<attribution::RuleRegion> Rules;
      for (uint32_t CI = From; CI != To; ++CI) {
        Component &C = Components[CI];
        Rules.clear();
        for (uint32_t K = C.RecordsBegin; K != C.RecordsEnd; ++K) {
          const OwnedRecord &R = Records[ComponentRecords[K]];
          if (R.Loads == Loading::ByLLVM)
            C.ByLLVM = true;
          if (R.Loads == Loading::Dropped)
            continue;
          uint32_t Value = R.FirstValue;
          for (const CounterMappingRegion &CMR : R.Regions) {
            if (!isCounted(CMR))
              continue;
            if (R.FileIndices[CMR.FileID] == C.File)
              Rules.push_back({CMR.LineStart, CMR.ColumnStart, CMR.LineEnd,
                               CMR.ColumnEnd, uint8_t(CMR.Kind),
                               R.Loads == Loading::Kept ? Value : 0});
            if (R.Loads == Loading::Kept)
              ++Value;
          }
        }
        C.Program = attribution::addLineProgram(Rules, EndsFile[CI], Into);
        C.ByLLVM |= !C.Program.Exact;
      }
    };
    uint32_t NumComponents = Components.size();
    if (NumComponents < 4096) {
      BuildPrograms(0, NumComponents, Programs);
    } else {
      uint32_t Half = NumComponents / 2;
      attribution::LinePrograms Second;
      std::thread Helper([&] { BuildPrograms(Half, NumComponents, Second); });
      BuildPrograms(0, Half, Programs);
      Helper.join();
      uint32_t Offset = Programs.append(std::move(Second));
      for (uint32_t CI = Half; CI != NumComponents; ++CI) {
        Components[CI].Program.RunsBegin += Offset;
        Components[CI].Program.RunsEnd += Offset;
      }
    }

    // A count that runs on past a component's lines (out of one of its
    // bases, or after its last segment) reaches the next base of the file:
    // they decide those lines together.
    bool Joined = false;
    auto JoinNext = [&](uint32_t B) {
      if (B + 1 < NumBases && FileOfBase(B + 1) == FileOfBase(B))
        Joined |= Union(B, B + 1);
    };
    for (uint32_t CI = 0; CI != Components.size(); ++CI) {
      const Component &C = Components[CI];
      ArrayRef<uint32_t> Own(Bases.data() + BasesBegin[CI],
                             Bases.data() + BasesBegin[CI + 1]);
      size_t At = 0; // runs ascend, and so do the bases
      for (uint32_t RI = C.Program.RunsBegin; RI != C.Program.RunsEnd; ++RI) {
        const attribution::LineRun &Run = Programs.Runs[RI];
        while (At + 1 < Own.size() &&
               Spans[BaseBegin[Own[At + 1]]].First <= Run.First)
          ++At;
        if (Run.Last > BaseLast[Own[At]])
          JoinNext(Own[At]);
      }
      if (C.Program.OpenEnd && !EndsFile[CI])
        JoinNext(Own.back());
    }
    if (!Joined)
      break;
  }

  // Line intervals: sorted, adjacent ones merged.
  {
    std::vector<std::pair<uint32_t, uint32_t>> All;
    for (Component &C : Components) {
      auto First = ComponentLines.begin() + C.LinesBegin;
      auto Last = ComponentLines.begin() + C.LinesEnd;
      std::sort(First, Last);
      uint32_t Begin = All.size();
      for (auto It = First; It != Last; ++It)
        if (All.size() > Begin && It->first <= All.back().second + 1)
          All.back().second = std::max(All.back().second, It->second);
        else
          All.push_back(*It);
      C.LinesBegin = Begin;
      C.LinesEnd = All.size();
    }
    ComponentLines = std::move(All);
  }
  // A record that only the line programs use needs its counts' expressions,
  // not its regions (the programs and Values have what they need): free
  // them, the biggest part of the decoded mapping. Those that LLVM may
  // replay keep them.
  {
    std::vector<uint8_t> Replayable(Records.size(), 0);
    for (const Component &C : Components)
      if (C.ByLLVM)
        for (uint32_t K = C.RecordsBegin; K != C.RecordsEnd; ++K)
          Replayable[ComponentRecords[K]] = 1;
    for (uint32_t I = 0; I != Records.size(); ++I)
      if (!Replayable[I] && !KeepForReplay) {
        std::vector<CounterMappingRegion>().swap(Records[I].Regions);
        std::vector<StringRef>().swap(Records[I].Filenames);
        std::vector<uint32_t>().swap(Records[I].FileIndices);
      }
  }
  Programs.shrink();
  ComponentRecords.shrink_to_fit();
  RecordComponentsBegin.assign(Records.size() + 1, 0);
  for (uint32_t R : ComponentRecords)
    ++RecordComponentsBegin[R + 1];
  for (size_t I = 0; I != Records.size(); ++I)
    RecordComponentsBegin[I + 1] += RecordComponentsBegin[I];
  RecordComponents.resize(RecordComponentsBegin.back());
  std::vector<uint32_t> Fill(RecordComponentsBegin.begin(),
                             RecordComponentsBegin.end() - 1);
  for (uint32_t CI = 0; CI != Components.size(); ++CI)
    for (uint32_t K = Components[CI].RecordsBegin;
         K != Components[CI].RecordsEnd; ++K)
      RecordComponents[Fill[ComponentRecords[K]]++] = CI;
}

bool CounterView::fits(uint64_t NumCounters) const {
  if (!Sparse)
    return Dense.size() == NumCounters;
  if (Indices.size() != Counts.size())
    return false;
  for (size_t I = 0, E = Indices.size(); I != E; ++I)
    if (Indices[I] >= NumCounters || (I && Indices[I] <= Indices[I - 1]))
      return false;
  return true;
}

void CounterView::slice(uint64_t First, uint32_t N,
                        std::vector<uint64_t> &Out) const {
  if (!Sparse) {
    Out.assign(Dense.begin() + First, Dense.begin() + First + N);
    return;
  }
  Out.assign(N, 0);
  for (auto It = std::lower_bound(Indices.begin(), Indices.end(), First);
       It != Indices.end() && *It < First + N; ++It)
    Out[*It - First] = Counts[It - Indices.begin()];
}

void BinaryCoverage::Impl::evaluate(const OwnedRecord &R,
                                    const CounterView &Counters,
                                    std::vector<uint64_t> &Scratch,
                                    MutableArrayRef<uint64_t> Out) const {
  const LayoutFunction &F = Layout->Functions[R.Layout];
  std::vector<uint64_t> Sliced;
  ArrayRef<uint64_t> Counts;
  if (Counters.Sparse) {
    Counters.slice(F.FirstCounter, F.NumCounters, Sliced);
    Counts = Sliced;
  } else {
    Counts = Counters.Dense.slice(F.FirstCounter, F.NumCounters);
  }
  if (Scratch.size() < R.Expressions.size())
    Scratch.resize(R.Expressions.size());
  // As llvm-cov's signed arithmetic, in unsigned form: the same bits.
  auto Value = [&](Counter C) -> uint64_t {
    switch (C.getKind()) {
    case Counter::Zero:
      return 0;
    case Counter::CounterValueReference:
      return Counts[C.getCounterID()];
    case Counter::Expression:
      return Scratch[C.getExpressionID()];
    }
    return 0;
  };
  for (uint32_t E : R.ExpressionOrder) {
    const CounterExpression &X = R.Expressions[E];
    uint64_t L = Value(X.LHS), Rv = Value(X.RHS);
    Scratch[E] = X.Kind == CounterExpression::Subtract ? L - Rv : L + Rv;
  }
  for (uint32_t K = 0; K != R.NumValues; ++K)
    Out[K] = Value(Values[R.FirstValue + K].Count);
}

Error BinaryCoverage::Impl::replay(
    ArrayRef<uint32_t> Selected, const CounterView &Counters,
    ArrayRef<uint8_t> Bitmap, bool Executable,
    std::map<unsigned, FileAttribution> &ByFile) const {
  const std::vector<LayoutFunction> &Funcs = Layout->Functions;
  // The profile holds every layout function a selected record joins, zero
  // or not, exactly as a merged profile of the whole layout would.
  InstrProfWriter Writer;
  if (Error E = Writer.mergeProfileKind(InstrProfKind::FrontendInstrumentation))
    return E;
  std::vector<uint8_t> InProfile(Funcs.size(), 0);
  Error WriteErr = Error::success();
  for (uint32_t R : Selected) {
    const OwnedRecord &O = Records[R];
    if (O.Join != JoinKind::Joined || InProfile[O.Layout])
      continue;
    InProfile[O.Layout] = 1;
    const LayoutFunction &F = Funcs[O.Layout];
    if (F.FirstCounter + F.NumCounters > Layout->NumCounters)
      continue;
    std::vector<uint64_t> Counts;
    Counters.slice(F.FirstCounter, F.NumCounters, Counts);
    std::vector<uint8_t> Bytes;
    if (!Bitmap.empty() && F.NumBitmapBytes &&
        F.FirstBitmapByte + F.NumBitmapBytes <= Bitmap.size())
      Bytes.assign(Bitmap.begin() + F.FirstBitmapByte,
                   Bitmap.begin() + F.FirstBitmapByte + F.NumBitmapBytes);
    else
      Bytes.assign(F.NumBitmapBytes, 0);
    Writer.addRecord(NamedInstrProfRecord(F.Name, F.Hash, std::move(Counts),
                                          std::move(Bytes)),
                     1, [&](Error E) {
                       WriteErr = joinErrors(std::move(WriteErr), std::move(E));
                     });
  }
  if (WriteErr)
    return WriteErr;
  auto ProfOrErr = IndexedInstrProfReader::create(Writer.writeBuffer());
  if (!ProfOrErr)
    return ProfOrErr.takeError();

  std::vector<std::unique_ptr<CoverageMappingReader>> Readers;
  Readers.push_back(std::make_unique<ReplayReader>(Records, Selected));
  auto CMOrErr = CoverageMapping::load(Readers, **ProfOrErr);
  if (!CMOrErr)
    return CMOrErr.takeError();
  const CoverageMapping &CM = **CMOrErr;

  for (StringRef Name : CM.getUniqueSourceFiles()) {
    auto It = FileIndex.find(Name);
    if (It == FileIndex.end())
      continue;
    CoverageData CD = CM.getCoverageForFile(Name);
    if (CD.empty())
      continue;
    FileAttribution &FA = ByFile[It->second];
    FA.File = It->second;
    // As llvm-cov export -format=lcov: a mapped line is executable, and
    // covered when its count is not zero. LineCoverageIterator steps through
    // every line up to the last segment; a line without segments depends
    // only on the segment that wraps into it, so one LineCoverageStats
    // answers for a whole run of such lines.
    auto Add = [&](const LineCoverageStats &S, unsigned First, unsigned Last) {
      if (!S.isMapped())
        return;
      for (unsigned L = First; L != Last; ++L) {
        if (Executable)
          FA.Executable.push_back(L);
        if (S.getExecutionCount())
          FA.Covered.push_back(L);
      }
    };
    const CoverageSegment *Wrapped = nullptr;
    SmallVector<const CoverageSegment *, 8> LineSegments;
    unsigned Line = 1;
    for (auto It = CD.begin(), End = CD.end(); It != End;) {
      unsigned SegLine = It->Line;
      if (Line < SegLine) {
        if (Wrapped)
          Add(LineCoverageStats({}, Wrapped, Line), Line, SegLine);
        Line = SegLine;
      }
      LineSegments.clear();
      for (; It != End && It->Line == SegLine; ++It)
        LineSegments.push_back(&*It);
      Add(LineCoverageStats(LineSegments, Wrapped, SegLine), SegLine,
          SegLine + 1);
      Wrapped = LineSegments.back();
      Line = SegLine + 1;
    }
  }

  for (const FunctionRecord &FR : CM.getCoveredFunctions()) {
    for (const CountedRegion &CR : FR.CountedRegions) {
      if (CR.Kind != CounterMappingRegion::CodeRegion || !CR.ExecutionCount ||
          CR.FileID >= FR.Filenames.size())
        continue;
      auto It = FileIndex.find(FR.Filenames[CR.FileID]);
      if (It == FileIndex.end())
        continue;
      const std::vector<RegionSpan> &Spans = FileRegions[It->second];
      RegionSpan S{CR.LineStart, CR.ColumnStart, CR.LineEnd, CR.ColumnEnd};
      auto Pos = std::lower_bound(Spans.begin(), Spans.end(), S);
      if (Pos == Spans.end() || !(*Pos == S))
        continue;
      FileAttribution &FA = ByFile[It->second];
      FA.File = It->second;
      FA.CoveredRegions.push_back(Pos - Spans.begin());
    }
  }
  return Error::success();
}

namespace {
/// Per thread, what attributing a context needs besides its result. Values
/// is all zeros between contexts.
struct Scratch {
  std::vector<uint64_t> Values, Expressions;
  std::vector<uint32_t> Seen; ///< components and records, by Epoch
  uint32_t Epoch = 0;

  void reserve(size_t NumValues, size_t NumSeen) {
    if (Values.size() < NumValues)
      Values.resize(NumValues, 0);
    if (Seen.size() < NumSeen)
      Seen.resize(NumSeen, 0);
    if (++Epoch == 0) {
      std::fill(Seen.begin(), Seen.end(), 0);
      Epoch = 1;
    }
  }
  bool firstTime(size_t I) {
    if (Seen[I] == Epoch)
      return false;
    Seen[I] = Epoch;
    return true;
  }
};
} // namespace

Expected<Attribution>
BinaryCoverage::Impl::attribute(const CounterView &Counters,
                                ArrayRef<uint8_t> Bitmap,
                                const AttributeOptions &Options) const {
  const std::vector<LayoutFunction> &Funcs = Layout->Functions;
  if (!Counters.fits(Layout->NumCounters) ||
      (!Bitmap.empty() && Bitmap.size() != Layout->NumBitmapBytes))
    return createStringError(inconvertibleErrorCode(),
                             "counters do not match the layout of %s",
                             Layout->Path.c_str());

  static thread_local Scratch S;
  // Seen: components first, then records.
  S.reserve(Values.size(), Components.size() + Records.size());
  size_t RecordSeen = Components.size();
  std::vector<uint32_t> Touched, Evaluated;
  auto Touch = [&](uint32_t R) {
    if (!S.firstTime(RecordSeen + R))
      return;
    if (Records[R].Loads == Loading::Kept && Records[R].Join == JoinKind::Joined)
      Evaluated.push_back(R);
    for (uint32_t K = RecordComponentsBegin[R];
         K != RecordComponentsBegin[R + 1]; ++K)
      if (S.firstTime(RecordComponents[K]))
        Touched.push_back(RecordComponents[K]);
  };
  if (Options.Executable) {
    // Every component of the part, and the records they hold.
    unsigned Parts = std::max(1u, Options.NumParts);
    auto InPart = [&](size_t C) {
      return uint64_t(C) * Parts / Components.size() == Options.Part;
    };
    for (size_t C = 0, E = Components.size(); C != E; ++C)
      if (InPart(C))
        for (uint32_t K = Components[C].RecordsBegin;
             K != Components[C].RecordsEnd; ++K)
          Touch(ComponentRecords[K]);
    llvm::erase_if(Touched, [&](uint32_t C) { return !InPart(C); });
  } else {
    // Non-zero counters are rare in a test's vector: find them, then their
    // functions by the layout's counter offsets. A component no function
    // ran in has only zero counts: nothing covered.
    uint64_t SkipUntil = 0;
    Counters.forEachNonZero([&](uint64_t C, uint64_t) {
      if (C < SkipUntil)
        return;
      auto It = std::upper_bound(
          CounterStarts.begin(), CounterStarts.end(),
          std::make_pair(C, std::numeric_limits<uint32_t>::max()));
      if (It == CounterStarts.begin())
        return;
      uint32_t F = std::prev(It)->second;
      const LayoutFunction &LF = Funcs[F];
      if (C >= LF.FirstCounter + LF.NumCounters)
        return;
      for (uint32_t K = FuncRecordsBegin[F]; K != FuncRecordsBegin[F + 1]; ++K)
        Touch(FuncRecords[K]);
      // The rest of this function's counters add nothing.
      SkipUntil = LF.FirstCounter + LF.NumCounters;
    });
  }

  for (uint32_t R : Evaluated) {
    const OwnedRecord &O = Records[R];
    evaluate(O, Counters, S.Expressions,
             MutableArrayRef<uint64_t>(S.Values).drop_front(O.FirstValue));
  }
  // Components are numbered in (file, line) order; both lists mostly come
  // sorted already (functions are met in layout order).
  for (std::vector<uint32_t> *V : {&Touched, &Evaluated})
    if (!std::is_sorted(V->begin(), V->end()))
      llvm::sort(*V);
  std::map<unsigned, FileAttribution> ByFile;
  std::vector<uint32_t> Replayed;
  std::vector<uint32_t> ByLLVM;
  for (uint32_t CI : Touched) {
    const Component &C = Components[CI];
    if (C.ByLLVM || Options.ReplayThroughLLVM) {
      ByLLVM.push_back(CI);
      Replayed.insert(Replayed.end(),
                      ComponentRecords.begin() + C.RecordsBegin,
                      ComponentRecords.begin() + C.RecordsEnd);
      continue;
    }
    FileAttribution *FA = nullptr;
    for (uint32_t RI = C.Program.RunsBegin; RI != C.Program.RunsEnd; ++RI) {
      const attribution::LineRun &Run = Programs.Runs[RI];
      bool Covered = Programs.isCovered(Run, S.Values);
      if (!Covered && !Options.Executable)
        continue;
      if (!FA) {
        FA = &ByFile[C.File];
        FA->File = C.File;
      }
      for (uint32_t L = Run.First; L <= Run.Last; ++L) {
        if (Options.Executable)
          FA->Executable.push_back(L);
        if (Covered)
          FA->Covered.push_back(L);
      }
    }
  }
  for (uint32_t R : Evaluated) {
    const OwnedRecord &O = Records[R];
    for (uint32_t V = O.FirstValue, E = V + O.NumValues; V != E; ++V) {
      const CountedValue &CV = Values[V];
      if (S.Values[V] && CV.Span != NoSpan) {
        FileAttribution &FA = ByFile[CV.File];
        FA.File = CV.File;
        FA.CoveredRegions.push_back(CV.Span);
      }
      S.Values[V] = 0;
    }
  }

  if (!Replayed.empty()) {
    llvm::sort(Replayed);
    Replayed.erase(std::unique(Replayed.begin(), Replayed.end()),
                   Replayed.end());
    std::map<unsigned, FileAttribution> FromLLVM;
    if (Error E = replay(Replayed, Counters, Bitmap, Options.Executable,
                         FromLLVM))
      return std::move(E);
    // Lines: only those of the components LLVM answers for.
    for (uint32_t CI : ByLLVM) {
      const Component &C = Components[CI];
      auto It = FromLLVM.find(C.File);
      if (It == FromLLVM.end())
        continue;
      FileAttribution &FA = ByFile[C.File];
      FA.File = C.File;
      auto Copy = [&](const std::vector<uint32_t> &From,
                      std::vector<uint32_t> &To) {
        for (const auto &[First, Last] :
             ArrayRef(ComponentLines).slice(C.LinesBegin,
                                            C.LinesEnd - C.LinesBegin))
          for (auto L = std::lower_bound(From.begin(), From.end(), First);
               L != From.end() && *L <= Last; ++L)
            To.push_back(*L);
      };
      Copy(It->second.Executable, FA.Executable);
      Copy(It->second.Covered, FA.Covered);
    }
    for (auto &[File, FA] : FromLLVM) {
      FileAttribution &To = ByFile[File];
      To.File = File;
      To.CoveredRegions.insert(To.CoveredRegions.end(),
                               FA.CoveredRegions.begin(),
                               FA.CoveredRegions.end());
    }
  }

  Attribution Result;
  for (auto &[File, FA] : ByFile) {
    // Components come in line order, so lines mostly arrive sorted.
    for (std::vector<uint32_t> *V :
         {&FA.Executable, &FA.Covered, &FA.CoveredRegions}) {
      if (!std::is_sorted(V->begin(), V->end()))
        llvm::sort(*V);
      V->erase(std::unique(V->begin(), V->end()), V->end());
    }
    if (FA.Covered.empty() && FA.Executable.empty() &&
        FA.CoveredRegions.empty())
      continue;
    Result.Files.push_back(std::move(FA));
  }
  return Result;
}

BinaryCoverage::BinaryCoverage(std::unique_ptr<Impl> I) : I(std::move(I)) {}
BinaryCoverage::~BinaryCoverage() = default;

Expected<std::unique_ptr<BinaryCoverage>>
BinaryCoverage::load(const BinaryLayout &Layout, bool ForReplay) {
  auto BC = read(Layout.Path);
  if (!BC)
    return BC.takeError();
  (*BC)->join(Layout, ForReplay);
  return std::move(*BC);
}

Expected<std::unique_ptr<BinaryCoverage>>
BinaryCoverage::read(StringRef Path) {
  auto I = std::make_unique<Impl>();
  if (Error E = I->decode(Path))
    return std::move(E);
  return std::unique_ptr<BinaryCoverage>(new BinaryCoverage(std::move(I)));
}

void BinaryCoverage::join(const BinaryLayout &Layout, bool ForReplay) {
  I->Layout = &Layout;
  I->KeepForReplay = ForReplay;
  I->index();
}

ArrayRef<std::string> BinaryCoverage::files() const { return I->Files; }

ArrayRef<RegionSpan> BinaryCoverage::regions(unsigned File) const {
  return I->FileRegions[File];
}

Expected<Attribution>
BinaryCoverage::attribute(const CounterView &Counters, ArrayRef<uint8_t> Bitmap,
                          const AttributeOptions &Options) const {
  return I->attribute(Counters, Bitmap, Options);
}

struct CoveragePreloader::Load {
  std::string Path;
  std::thread Thread;
  bool Taken = false;       ///< under the preloader's lock
  std::mutex Lock;          ///< the rest, shared with the thread
  std::condition_variable LayoutGiven;
  std::unique_ptr<BinaryLayout> Layout;
  bool ForReplay = false, Cancelled = false;
  std::unique_ptr<BinaryCoverage> Coverage;

  /// The thread: reads the mapping, waits for the layout, joins them.
  void run() {
    auto BC = BinaryCoverage::read(Path);
    std::unique_lock<std::mutex> G(Lock);
    LayoutGiven.wait(G, [&] { return Layout || Cancelled; });
    if (!BC) {
      consumeError(BC.takeError());
      return;
    }
    if (Cancelled)
      return;
    (*BC)->join(*Layout, ForReplay);
    Coverage = std::move(*BC);
  }
};

CoveragePreloader::CoveragePreloader() = default;

CoveragePreloader::~CoveragePreloader() {
  for (std::unique_ptr<Load> &L : Loads) {
    {
      std::lock_guard<std::mutex> G(L->Lock);
      L->Cancelled = true;
    }
    L->LayoutGiven.notify_all();
    if (L->Thread.joinable())
      L->Thread.join();
  }
}

void CoveragePreloader::read(StringRef Path) {
  std::lock_guard<std::mutex> G(Lock);
  for (std::unique_ptr<Load> &L : Loads)
    if (L->Path == Path)
      return;
  Loads.push_back(std::make_unique<Load>());
  Load *Raw = Loads.back().get();
  Raw->Path = Path.str();
  Raw->Thread = std::thread([Raw] { Raw->run(); });
}

void CoveragePreloader::start(BinaryLayout Layout, bool ForReplay) {
  std::lock_guard<std::mutex> G(Lock);
  Load *Into = nullptr;
  for (std::unique_ptr<Load> &L : Loads) {
    std::lock_guard<std::mutex> LG(L->Lock);
    if (L->Path == Layout.Path && !L->Layout) {
      Into = L.get();
      break;
    }
  }
  if (!Into) {
    Loads.push_back(std::make_unique<Load>());
    Into = Loads.back().get();
    Into->Path = Layout.Path;
    Into->Thread = std::thread([Into] { Into->run(); });
  }
  {
    std::lock_guard<std::mutex> LG(Into->Lock);
    Into->Layout = std::make_unique<BinaryLayout>(std::move(Layout));
    Into->ForReplay = ForReplay;
  }
  Into->LayoutGiven.notify_all();
}

static bool sameLayout(const BinaryLayout &A, const BinaryLayout &B) {
  auto Fields = [](const LayoutFunction &F) {
    return std::tie(F.Name, F.NameRef, F.Hash, F.FirstCounter, F.NumCounters,
                    F.FirstBitmapByte, F.NumBitmapBytes);
  };
  return A.Path == B.Path && A.BinaryId == B.BinaryId &&
         A.NumCounters == B.NumCounters &&
         A.NumBitmapBytes == B.NumBitmapBytes &&
         A.Functions.size() == B.Functions.size() &&
         std::equal(A.Functions.begin(), A.Functions.end(),
                    B.Functions.begin(),
                    [&](const LayoutFunction &X, const LayoutFunction &Y) {
                      return Fields(X) == Fields(Y);
                    });
}

std::unique_ptr<BinaryCoverage>
CoveragePreloader::take(const BinaryLayout &Layout,
                        std::unique_ptr<BinaryLayout> &Copy) {
  std::lock_guard<std::mutex> G(Lock);
  for (std::unique_ptr<Load> &L : Loads) {
    {
      std::lock_guard<std::mutex> LG(L->Lock);
      if (L->Taken || !L->Layout || !sameLayout(*L->Layout, Layout))
        continue;
    }
    L->Thread.join();
    L->Taken = true;
    if (!L->Coverage)
      return nullptr;
    Copy = std::move(L->Layout);
    return std::move(L->Coverage);
  }
  return nullptr;
}

} // namespace covlock
