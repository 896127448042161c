//===- Attribution.cpp - Lines and regions per context --------------------===//
//
// The mapping of a binary is decoded once into owned records. A context is
// attributed by replaying a subset of those records, with an in-memory
// indexed profile of its counters, through llvm::coverage::CoverageMapping:
// the line rules (gap, skipped and wrapped regions, merged instantiations)
// are then LLVM's own and cannot drift from llvm-cov's.
//
//===----------------------------------------------------------------------===//

#include "covlock/Attribution/Attribution.h"
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

/// A decoded mapping record that owns (or outlives) everything it points to.
struct OwnedRecord {
  StringRef Name;
  uint64_t Hash = 0;
  JoinKind Join = JoinKind::Unknown;
  uint32_t Layout = 0; ///< layout function when Joined
  std::vector<StringRef> Filenames;
  std::vector<CounterExpression> Expressions;
  std::vector<CounterMappingRegion> Regions;
};

/// A record's extent in one file, in whole lines.
struct LineSpan {
  uint32_t File, First, Last, Record;
};
} // namespace

class BinaryCoverage::Impl {
public:
  const BinaryLayout *Layout = nullptr;
  BumpPtrAllocator Alloc;
  StringSaver Saver{Alloc};
  std::vector<OwnedRecord> Records;
  std::vector<std::string> Files;
  StringMap<unsigned> FileIndex;
  std::vector<std::vector<RegionSpan>> FileRegions;
  /// Records of each layout function (CSR: FuncRecordsBegin has
  /// Functions.size() + 1 entries).
  std::vector<uint32_t> FuncRecordsBegin, FuncRecords;
  /// Records whose lines overlap each record's, in any file (CSR).
  std::vector<uint32_t> NeighboursBegin, Neighbours;
  /// Groups of records connected by overlapping lines, numbered in record
  /// order: what a partial full replay must keep together.
  std::vector<uint32_t> GroupOf;
  uint32_t NumGroups = 0;
  /// (FirstCounter, function) of the layout functions with counters, sorted.
  std::vector<std::pair<uint64_t, uint32_t>> CounterStarts;

  Error decode(StringRef Path);
  void index();
  Expected<Attribution> attribute(const CounterView &Counters,
                                  ArrayRef<uint8_t> Bitmap,
                                  const AttributeOptions &Options) const;
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

  // Join key: the profile layout names functions by MD5 of the PGO name.
  DenseMap<std::pair<uint64_t, uint64_t>, uint32_t> ByKey;
  DenseMap<uint64_t, uint32_t> ByName;
  for (uint32_t I = 0, E = Layout->Functions.size(); I != E; ++I) {
    const LayoutFunction &F = Layout->Functions[I];
    ByKey.try_emplace({F.NameRef, F.Hash}, I);
    ByName.try_emplace(F.NameRef, I);
  }

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
      uint64_t NameRef = IndexedInstrProf::ComputeHash(O.Name);
      auto It = ByKey.find({NameRef, O.Hash});
      if (It != ByKey.end()) {
        O.Join = JoinKind::Joined;
        O.Layout = It->second;
      } else if (ByName.count(NameRef)) {
        O.Join = JoinKind::Mismatch;
      }
      Records.push_back(std::move(O));
    }
  }
  for (const auto &KV : SeenFiles)
    Files.push_back(KV.getKey().str());
  llvm::sort(Files);
  for (unsigned I = 0, E = Files.size(); I != E; ++I)
    FileIndex[Files[I]] = I;
  return Error::success();
}

void BinaryCoverage::Impl::index() {
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

  // Line extents per (record, file) and the distinct code regions per file.
  std::vector<LineSpan> Spans;
  FileRegions.assign(Files.size(), {});
  for (uint32_t I = 0, E = Records.size(); I != E; ++I) {
    const OwnedRecord &R = Records[I];
    SmallVector<unsigned, 4> Global;
    for (StringRef F : R.Filenames)
      Global.push_back(FileIndex.lookup(F));
    SmallDenseMap<unsigned, std::pair<uint32_t, uint32_t>, 4> Extent;
    for (const CounterMappingRegion &CMR : R.Regions) {
      if (CMR.FileID >= Global.size())
        continue;
      unsigned File = Global[CMR.FileID];
      auto [It, New] =
          Extent.try_emplace(File, std::make_pair(CMR.LineStart, CMR.LineEnd));
      if (!New) {
        It->second.first = std::min(It->second.first, CMR.LineStart);
        It->second.second = std::max(It->second.second, CMR.LineEnd);
      }
      if (CMR.Kind == CounterMappingRegion::CodeRegion)
        FileRegions[File].push_back(
            {CMR.LineStart, CMR.ColumnStart, CMR.LineEnd, CMR.ColumnEnd});
    }
    for (const auto &KV : Extent)
      Spans.push_back({KV.first, KV.second.first, KV.second.second, I});
  }
  for (std::vector<RegionSpan> &V : FileRegions) {
    llvm::sort(V);
    V.erase(std::unique(V.begin(), V.end()), V.end());
  }

  // Overlapping extents: sorted by start, a span overlaps the later ones
  // that start before it ends.
  llvm::sort(Spans, [](const LineSpan &A, const LineSpan &B) {
    return std::tie(A.File, A.First, A.Last, A.Record) <
           std::tie(B.File, B.First, B.Last, B.Record);
  });
  std::vector<std::pair<uint32_t, uint32_t>> Pairs;
  for (size_t A = 0, E = Spans.size(); A != E; ++A)
    for (size_t B = A + 1;
         B != E && Spans[B].File == Spans[A].File &&
         Spans[B].First <= Spans[A].Last;
         ++B) {
      if (Spans[A].Record == Spans[B].Record)
        continue;
      Pairs.push_back({Spans[A].Record, Spans[B].Record});
      Pairs.push_back({Spans[B].Record, Spans[A].Record});
    }
  llvm::sort(Pairs);
  Pairs.erase(std::unique(Pairs.begin(), Pairs.end()), Pairs.end());
  NeighboursBegin.assign(Records.size() + 1, 0);
  for (const auto &P : Pairs)
    ++NeighboursBegin[P.first + 1];
  for (size_t I = 0; I != Records.size(); ++I)
    NeighboursBegin[I + 1] += NeighboursBegin[I];
  Neighbours.reserve(Pairs.size());
  for (const auto &P : Pairs)
    Neighbours.push_back(P.second);

  // Connected groups (union-find over the overlaps), numbered by their first
  // record.
  std::vector<uint32_t> Parent(Records.size());
  std::iota(Parent.begin(), Parent.end(), 0u);
  auto Find = [&](uint32_t X) {
    while (Parent[X] != X)
      X = Parent[X] = Parent[Parent[X]];
    return X;
  };
  for (const auto &P : Pairs)
    Parent[std::max(Find(P.first), Find(P.second))] =
        std::min(Find(P.first), Find(P.second));
  GroupOf.assign(Records.size(), 0);
  std::vector<uint32_t> Number(Records.size(), UINT32_MAX);
  for (uint32_t I = 0, E = Records.size(); I != E; ++I) {
    uint32_t Root = Find(I);
    if (Number[Root] == UINT32_MAX)
      Number[Root] = NumGroups++;
    GroupOf[I] = Number[Root];
  }
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

  // Which records to replay. A record that llvm-cov drops (hash mismatch)
  // stays out; one it shows with zero counts only matters near one that ran.
  std::vector<uint8_t> Take(Records.size(), 0);
  if (Options.Executable) {
    unsigned Parts = std::max(1u, Options.NumParts);
    for (size_t I = 0, E = Records.size(); I != E; ++I)
      Take[I] = Records[I].Join != JoinKind::Mismatch &&
                uint64_t(GroupOf[I]) * Parts / NumGroups == Options.Part;
  } else {
    // Non-zero counters are rare in a test's vector: find them, then their
    // functions by the layout's counter offsets.
    std::vector<uint32_t> RanFuncs;
    uint64_t SkipUntil = 0;
    Counters.forEachNonZero([&](uint64_t C, uint64_t) {
      if (C < SkipUntil)
        return;
      auto It = std::upper_bound(
          CounterStarts.begin(), CounterStarts.end(),
          std::make_pair(C, std::numeric_limits<uint32_t>::max()));
      if (It == CounterStarts.begin())
        return;
      const LayoutFunction &LF = Funcs[std::prev(It)->second];
      if (C >= LF.FirstCounter + LF.NumCounters)
        return;
      RanFuncs.push_back(std::prev(It)->second);
      // The rest of this function's counters add nothing.
      SkipUntil = LF.FirstCounter + LF.NumCounters;
    });
    for (uint32_t F : RanFuncs) {
      for (uint32_t K = FuncRecordsBegin[F]; K != FuncRecordsBegin[F + 1];
           ++K) {
        uint32_t R = FuncRecords[K];
        Take[R] = 1;
        for (uint32_t N = NeighboursBegin[R]; N != NeighboursBegin[R + 1]; ++N)
          if (Records[Neighbours[N]].Join != JoinKind::Mismatch)
            Take[Neighbours[N]] = 1;
      }
    }
  }
  std::vector<uint32_t> Selected;
  for (uint32_t I = 0, E = Records.size(); I != E; ++I)
    if (Take[I])
      Selected.push_back(I);
  Attribution Result;
  if (Selected.empty())
    return Result;

  // The profile holds every layout function a selected record joins, zero
  // or not, exactly as a merged profile of the whole layout would.
  InstrProfWriter Writer;
  if (Error E = Writer.mergeProfileKind(InstrProfKind::FrontendInstrumentation))
    return std::move(E);
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
    return std::move(WriteErr);
  auto ProfOrErr = IndexedInstrProfReader::create(Writer.writeBuffer());
  if (!ProfOrErr)
    return ProfOrErr.takeError();

  std::vector<std::unique_ptr<CoverageMappingReader>> Readers;
  Readers.push_back(std::make_unique<ReplayReader>(Records, Selected));
  auto CMOrErr = CoverageMapping::load(Readers, **ProfOrErr);
  if (!CMOrErr)
    return CMOrErr.takeError();
  const CoverageMapping &CM = **CMOrErr;

  std::map<unsigned, FileAttribution> ByFile;
  for (StringRef Name : CM.getUniqueSourceFiles()) {
    auto It = FileIndex.find(Name);
    if (It == FileIndex.end())
      continue;
    CoverageData CD = CM.getCoverageForFile(Name);
    if (CD.empty())
      continue;
    FileAttribution FA;
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
        if (Options.Executable)
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
    if (FA.Covered.empty() && FA.Executable.empty())
      continue;
    ByFile.emplace(FA.File, std::move(FA));
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
  for (auto &KV : ByFile) {
    std::vector<uint32_t> &V = KV.second.CoveredRegions;
    llvm::sort(V);
    V.erase(std::unique(V.begin(), V.end()), V.end());
    Result.Files.push_back(std::move(KV.second));
  }
  return Result;
}

BinaryCoverage::BinaryCoverage(std::unique_ptr<Impl> I) : I(std::move(I)) {}
BinaryCoverage::~BinaryCoverage() = default;

Expected<std::unique_ptr<BinaryCoverage>>
BinaryCoverage::load(const BinaryLayout &Layout) {
  auto I = std::make_unique<Impl>();
  I->Layout = &Layout;
  if (Error E = I->decode(Layout.Path))
    return std::move(E);
  I->index();
  return std::unique_ptr<BinaryCoverage>(new BinaryCoverage(std::move(I)));
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
