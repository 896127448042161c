//===- Components.cpp - Components and their line programs ----------------===//
//
// Which records llvm-cov keeps, decided from their shape; then the
// components: per source file, the records whose lines overlap there (or
// that are one function, or whose counts run on into the next), each with
// its line program (LineRules.h).
//
//===----------------------------------------------------------------------===//

#include "BinaryCoverageImpl.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ProfileData/InstrProf.h"
#include <algorithm>
#include <numeric>
#include <optional>
#include <thread>
#include <tuple>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {
using namespace attribution;

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
static uint64_t maxCounterId(const OwnedRecord &R, PackedCounter C,
                             unsigned Depth) {
  switch (C.kind()) {
  case Counter::Zero:
    return 0;
  case Counter::CounterValueReference:
    return C.id();
  case Counter::Expression:
    break;
  }
  if (C.id() >= R.Expressions.size() || Depth > R.Expressions.size())
    return 0;
  const PackedExpression &E = R.Expressions[C.id()];
  return std::max(maxCounterId(R, E.LHS, Depth + 1),
                  maxCounterId(R, E.RHS, Depth + 1));
}

/// Visits the expressions \p Roots use, each after its operands. False if
/// one refers past \p NumCounts counters or \p R's expressions, or to itself:
/// llvm-cov then cannot evaluate the record and drops it.
template <typename Fn>
static bool walkExpressions(const OwnedRecord &R, ArrayRef<PackedCounter> Roots,
                            uint64_t NumCounts, Fn Visit) {
  enum : uint8_t { New, Open, Done };
  // Reused: this runs twice for every record of a binary.
  static thread_local std::vector<uint8_t> State;
  static thread_local std::vector<std::pair<uint32_t, bool>> Stack;
  State.assign(R.Expressions.size(), New);
  Stack.clear(); // (expression, operands done)
  auto Push = [&](PackedCounter C) {
    if (C.kind() == Counter::CounterValueReference)
      return C.id() < NumCounts;
    if (C.kind() != Counter::Expression)
      return true;
    if (C.id() >= R.Expressions.size() || State[C.id()] == Open)
      return false;
    if (State[C.id()] == New)
      Stack.push_back({C.id(), false});
    return true;
  };
  for (PackedCounter Root : Roots) {
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
  SmallVector<StringRef, 8> Filenames;
  std::vector<PackedCounter> All, Counted;
  std::vector<uint32_t> Order;
  for (OwnedRecord &R : Records) {
    Filenames.clear();
    for (uint32_t F : R.FileIndices)
      Filenames.push_back(Files[F]);
    StringRef Name = Filenames.empty()
                         ? getFuncNameWithoutPrefix(R.Name)
                         : getFuncNameWithoutPrefix(R.Name, Filenames[0]);
    R.Key = {hash_combine_range(Filenames.begin(), Filenames.end()),
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
      for (const PackedRegion &CMR : R.Regions)
        NumCounts = std::max(NumCounts, maxCounterId(R, CMR.Count, 0));
      ++NumCounts;
    }
    if (R.Regions.empty())
      Loads = Loading::ByLLVM;
    All.clear();
    Counted.clear();
    bool MCDC = false;
    for (const PackedRegion &CMR : R.Regions) {
      if (CMR.FileID >= R.FileIndices.size())
        Loads = Loading::ByLLVM; // malformed
      else if (!isCounted(CMR) &&
               CMR.Kind != CounterMappingRegion::BranchRegion)
        MCDC = true;
      All.push_back(CMR.Count);
      All.push_back(falseCount(CMR));
      if (isCounted(CMR))
        Counted.push_back(CMR.Count);
    }
    // Whether llvm-cov loads an MC/DC record depends on its bitmap; its
    // lines depend only on its counted regions, as any record's do.
    if (Loads == Loading::Kept) {
      if (!walkExpressions(R, All, NumCounts, [](uint32_t) {}))
        continue; // dropped
      Order.clear();
      walkExpressions(R, Counted, NumCounts,
                      [&](uint32_t E) { Order.push_back(E); });
      R.ExpressionOrder = copyTo<uint32_t>(Alloc, Order);
    }
    // Under covlock's rules a record is kept for itself, whatever llvm-cov
    // decides from its bitmap or from the others of its function.
    bool KeptForItself = Loads == Loading::Kept && Rules == LineRules::Covlock;
    if (MCDC)
      Loads = Loading::ByLLVM;
    auto [It, New] = SeenKept.try_emplace(R.Key, false);
    if (It->second) {
      R.Revived = KeptForItself; // the same function was kept before
      continue;                  // dropped
    }
    if (!New)
      Loads = Loading::ByLLVM; // kept only if the earlier ones were not
    It->second = Loads == Loading::Kept;
    R.Loads = Loads;
    R.Revived = KeptForItself && Loads != Loading::Kept;
  }
}

void BinaryCoverage::Impl::buildComponents() {
  // The values of the kept records' counted regions.
  size_t NumValues = 0;
  for (const OwnedRecord &R : Records)
    if (hasValues(R))
      NumValues += llvm::count_if(R.Regions, isCounted);
  // Line programs tell values from sums by the top bit.
  if (NumValues >= attribution::LinePrograms::SumBit)
    ReplayAll = true;
  Values.reserve(NumValues);
  for (OwnedRecord &R : Records) {
    if (!hasValues(R))
      continue;
    R.FirstValue = Values.size();
    for (const PackedRegion &CMR : R.Regions) {
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
      uint64_t Start, End;  ///< line << 32 | column
      uint32_t File, Value; ///< Value: NoSpan if not a kept record's
    };
    std::vector<Code> Codes;
    for (const OwnedRecord &R : Records) {
      uint32_t Value = R.FirstValue;
      for (const PackedRegion &CMR : R.Regions) {
        bool Counted = hasValues(R) && isCounted(CMR);
        if (CMR.FileID < R.FileIndices.size() &&
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
    for (const PackedRegion &CMR : R.Regions) {
      if (CMR.FileID >= R.FileIndices.size())
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
    return std::get<2>(*std::lower_bound(BaseOf.begin(), BaseOf.end(),
                                         std::make_tuple(Record, File, 0u)));
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
          if (R.Loads != Loading::Dropped)
            appendRegionsIn(R, C.File, R.Loads == Loading::Kept, Rules);
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
  if (Rules == LineRules::Covlock)
    buildViews();

  // A record that only the line programs use needs its counts' expressions,
  // not its regions (the programs and Values have what they need): free
  // them, the biggest part of the decoded mapping. Those that LLVM may
  // replay keep them (all of them with ReplayAll).
  if (!ReplayAll) {
    std::vector<uint8_t> Replayable(Records.size(), 0);
    for (const Component &C : Components)
      if (C.ByLLVM)
        for (uint32_t K = C.RecordsBegin; K != C.RecordsEnd; ++K)
          Replayable[ComponentRecords[K]] = 1;
    BumpPtrAllocator Keep;
    DenseMap<const PackedRegion *, mcdc::Parameters> KeepParams;
    for (uint32_t I = 0; I != Records.size(); ++I) {
      OwnedRecord &R = Records[I];
      if (!Replayable[I]) {
        R.Regions = {};
        R.FileIndices = {};
        continue;
      }
      ArrayRef<PackedRegion> Old = R.Regions;
      R.Regions = copyTo(Keep, Old);
      R.FileIndices = copyTo(Keep, R.FileIndices);
      for (size_t K = 0; K != Old.size(); ++K) {
        auto It = MCDCParams.find(&Old[K]);
        if (It != MCDCParams.end())
          KeepParams[&R.Regions[K]] = It->second;
      }
    }
    RegionAlloc = std::move(Keep);
    MCDCParams = std::move(KeepParams);
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

} // namespace covlock
