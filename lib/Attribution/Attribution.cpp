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

#include "BinaryCoverageImpl.h"
#include "llvm/ProfileData/Coverage/CoverageMappingReader.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include <algorithm>
#include <limits>
#include <map>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {
using namespace attribution;

namespace {
/// Replays cached records to CoverageMapping::load, unpacked one at a time:
/// the loader copies what it keeps of a record before asking for the next.
class ReplayReader : public CoverageMappingReader {
  const BinaryCoverage::Impl &Coverage;
  ArrayRef<uint32_t> Selected;
  size_t Next = 0;
  std::vector<StringRef> Filenames;
  std::vector<CounterExpression> Expressions;
  std::vector<CounterMappingRegion> Regions;

public:
  ReplayReader(const BinaryCoverage::Impl &Coverage,
               ArrayRef<uint32_t> Selected)
      : Coverage(Coverage), Selected(Selected) {}

  Error readNextRecord(CoverageMappingRecord &R) override {
    if (Next == Selected.size())
      return make_error<CoverageMapError>(coveragemap_error::eof);
    const OwnedRecord &O = Coverage.Records[Selected[Next++]];
    Filenames.clear();
    for (uint32_t F : O.FileIndices)
      Filenames.push_back(Coverage.Files[F]);
    Expressions.clear();
    for (const PackedExpression &X : O.Expressions)
      Expressions.emplace_back(CounterExpression::ExprKind(X.Kind),
                               X.LHS.unpack(), X.RHS.unpack());
    Regions.clear();
    for (const PackedRegion &P : O.Regions)
      Regions.push_back(Coverage.unpack(P));
    R.FunctionName = O.Name;
    R.FunctionHash = O.Hash;
    R.Filenames = Filenames;
    R.Expressions = Expressions;
    R.MappingRegions = Regions;
    return Error::success();
  }
};
} // namespace

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

/// llvm-cov's counts are signed sums and differences in unsigned form: one
/// with the sign bit set is negative, and counts as zero.
static uint64_t clampNegative(uint64_t Count) {
  return int64_t(Count) < 0 ? 0 : Count;
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
  auto Value = [&](PackedCounter C) -> uint64_t {
    switch (C.kind()) {
    case Counter::CounterValueReference:
      return Counts[C.id()];
    case Counter::Expression:
      return Scratch[C.id()];
    default:
      return 0;
    }
  };
  for (uint32_t E : R.ExpressionOrder) {
    const PackedExpression &X = R.Expressions[E];
    uint64_t L = Value(X.LHS), Rv = Value(X.RHS);
    Scratch[E] = X.Kind == CounterExpression::Subtract ? L - Rv : L + Rv;
  }
  // A negative region count (a context cut by a test boundary while the
  // function was in flight, docs/runtime.md) ran nothing in that context.
  for (uint32_t K = 0; K != R.NumValues; ++K)
    Out[K] = clampNegative(Value(Values[R.FirstValue + K].Count));
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
  Readers.push_back(std::make_unique<ReplayReader>(*this, Selected));
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
        if (clampNegative(S.getExecutionCount()))
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
      if (CR.Kind != CounterMappingRegion::CodeRegion ||
          !clampNegative(CR.ExecutionCount) || CR.FileID >= FR.Filenames.size())
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
    if (hasValues(Records[R]) && Records[R].Join == JoinKind::Joined)
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
  auto Apply = [&](const LinePrograms &From, const LineProgram &P,
                   unsigned File) {
    FileAttribution *FA = nullptr;
    for (uint32_t RI = P.RunsBegin; RI != P.RunsEnd; ++RI) {
      const attribution::LineRun &Run = From.Runs[RI];
      bool Covered = From.isCovered(RI, S.Values);
      if (!Covered && !Options.Executable)
        continue;
      if (!FA) {
        FA = &ByFile[File];
        FA->File = File;
      }
      // 64 bits: a run may end on the last line a mapping can name.
      for (uint64_t L = Run.First; L <= Run.Last; ++L) {
        if (Options.Executable)
          FA->Executable.push_back(L);
        if (Covered)
          FA->Covered.push_back(L);
      }
    }
  };
  std::vector<uint32_t> Replayed;
  std::vector<uint32_t> ByLLVM;
  for (uint32_t CI : Touched) {
    const Component &C = Components[CI];
    // Covlock's rules: what the functions' own views add (none under
    // llvm-cov's), also where LLVM answers for the merged view.
    Apply(Views, C.Views, C.File);
    if (C.ByLLVM || ReplayAll) {
      ByLLVM.push_back(CI);
      Replayed.insert(Replayed.end(), ComponentRecords.begin() + C.RecordsBegin,
                      ComponentRecords.begin() + C.RecordsEnd);
      continue;
    }
    Apply(Programs, C.Program, C.File);
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
    if (Error E =
            replay(Replayed, Counters, Bitmap, Options.Executable, FromLLVM))
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
             ArrayRef(ComponentLines)
                 .slice(C.LinesBegin, C.LinesEnd - C.LinesBegin))
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
    if (File < LastLine.size() && LastLine[File] != NoLineLimit)
      for (std::vector<uint32_t> *V : {&FA.Executable, &FA.Covered})
        V->erase(std::upper_bound(V->begin(), V->end(), LastLine[File]),
                 V->end());
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
BinaryCoverage::load(const BinaryLayout &Layout,
                     const CoverageOptions &Options) {
  auto BC = read(Layout.Path);
  if (!BC)
    return BC.takeError();
  (*BC)->join(Layout, Options);
  return std::move(*BC);
}

Expected<std::unique_ptr<BinaryCoverage>> BinaryCoverage::read(StringRef Path) {
  auto I = std::make_unique<Impl>();
  if (Error E = I->decode(Path))
    return std::move(E);
  return std::unique_ptr<BinaryCoverage>(new BinaryCoverage(std::move(I)));
}

void BinaryCoverage::join(const BinaryLayout &Layout,
                          const CoverageOptions &Options) {
  I->Layout = &Layout;
  I->ReplayAll = Options.ReplayThroughLLVM;
  I->Rules = Options.Rules;
  I->index();
}

void BinaryCoverage::endAttribution() {
  auto Done = std::make_unique<Impl>();
  Done->Files = std::move(I->Files);
  Done->FileRegions = std::move(I->FileRegions);
  I = std::move(Done);
}

std::vector<unsigned>
BinaryCoverage::limitLines(std::vector<uint32_t> LastLine) {
  std::vector<unsigned> Past;
  if (I->Rules != LineRules::Covlock)
    return Past;
  LastLine.resize(I->Files.size(), NoLineLimit);
  for (const Component &C : I->Components)
    if (LastLine[C.File] != NoLineLimit && C.LinesBegin != C.LinesEnd &&
        I->ComponentLines[C.LinesEnd - 1].second > LastLine[C.File])
      Past.push_back(C.File);
  llvm::sort(Past);
  Past.erase(std::unique(Past.begin(), Past.end()), Past.end());
  // Their regions that start past the end go too; the values that name the
  // others are renumbered.
  std::map<unsigned, std::vector<uint32_t>> NewSpan;
  for (unsigned File : Past) {
    std::vector<RegionSpan> &Spans = I->FileRegions[File];
    std::vector<uint32_t> &New = NewSpan[File];
    std::vector<RegionSpan> Kept;
    for (const RegionSpan &S : Spans) {
      bool Within = S.LineStart <= LastLine[File];
      New.push_back(Within ? Kept.size() : NoSpan);
      if (Within)
        Kept.push_back(S);
    }
    Spans = std::move(Kept);
  }
  if (!NewSpan.empty())
    for (CountedValue &V : I->Values) {
      auto It = NewSpan.find(V.File);
      if (It != NewSpan.end() && V.Span != NoSpan)
        V.Span = It->second[V.Span];
    }
  I->LastLine = std::move(LastLine);
  return Past;
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

} // namespace covlock
