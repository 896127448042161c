//===- Views.cpp - Each function's own view, for covlock's line rules -----===//
//
// llvm-cov decides a line from the regions of every function that maps it
// at once (its merged view). Where functions are alternatives of one
// another, one's regions hide the lines another ran: in `if constexpr`,
// test<true>'s zero region after the `return` lies over the line that
// test<false> ran, and llvm-cov shows it as not covered; a static function
// of a header built with different macros in two files lays each build's
// skipped region over the other's code.
//
// Under LineRules::Covlock a line is also covered when one function's own
// view covers it, and executable when one maps it. A function's view is
// its own regions, with the bodies of the functions nested in it (lambdas,
// local classes) laid over as skipped regions: its regions span those
// bodies without having run them, and the nested functions' own views
// speak for them. Extents are those of each function's own file (file id
// 0), not of the macros it expands, which may be defined anywhere.
//
// Views are built only for a component that has alternatives: functions
// with the same extent but different regions (identical instantiations add
// up in the merged view already), a record llvm-cov drops (Revived), or
// extents that overlap without nesting.
//
//===----------------------------------------------------------------------===//

#include "BinaryCoverageImpl.h"
#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <optional>
#include <tuple>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {
using namespace attribution;

namespace {
using Loc = std::pair<uint32_t, uint32_t>; // line, column

/// A record's extent in one file: from its first region's start to its
/// furthest region's end.
struct Hull {
  Loc Start, End;
  uint32_t Record;

  bool sameExtent(const Hull &O) const {
    return Start == O.Start && End == O.End;
  }
  /// Whether \p Inner lies within this one, and is not all of it.
  bool strictlyHolds(const Hull &Inner) const {
    return Start <= Inner.Start && Inner.End <= End && !sameExtent(Inner);
  }
};

/// Lines [First, Last] take their sources from run Run of the views.
struct Piece {
  uint32_t First, Last, Run;
};

/// Overlays \p Pieces, runs of \p P from \p RunsFrom (their sources from
/// \p SourcesFrom) on, into one program in their place: ascending disjoint
/// runs, each line's sources the union of its sources in every piece.
LineProgram overlay(LinePrograms &P, ArrayRef<Piece> Pieces, uint32_t RunsFrom,
                    uint32_t SourcesFrom) {
  std::vector<uint64_t> Points; // 64 bits: Last + 1 of the last line
  for (const Piece &X : Pieces) {
    Points.push_back(X.First);
    Points.push_back(uint64_t(X.Last) + 1);
  }
  llvm::sort(Points);
  Points.erase(std::unique(Points.begin(), Points.end()), Points.end());
  // Per elementary interval [Points[I], Points[I + 1]): mapped, sources.
  std::vector<uint8_t> Mapped(Points.size(), 0);
  std::vector<std::vector<uint32_t>> Sources(Points.size());
  for (const Piece &X : Pieces) {
    size_t I = llvm::lower_bound(Points, uint64_t(X.First)) - Points.begin();
    for (; Points[I] <= X.Last; ++I) {
      Mapped[I] = 1;
      Sources[I].insert(Sources[I].end(),
                        P.RunSources.begin() + P.Runs[X.Run].SourcesBegin,
                        P.RunSources.begin() + P.sourcesEnd(X.Run));
    }
  }
  P.Runs.resize(RunsFrom);
  P.RunSources.resize(SourcesFrom);
  LineProgram Result;
  Result.RunsBegin = RunsFrom;
  for (size_t I = 0; I + 1 < Points.size(); ++I) {
    if (!Mapped[I])
      continue;
    std::vector<uint32_t> &S = Sources[I];
    llvm::sort(S);
    S.erase(std::unique(S.begin(), S.end()), S.end());
    P.Runs.push_back({uint32_t(Points[I]), uint32_t(Points[I + 1] - 1),
                      uint32_t(P.RunSources.size())});
    P.RunSources.insert(P.RunSources.end(), S.begin(), S.end());
  }
  Result.RunsEnd = P.Runs.size();
  return Result;
}

} // namespace

/// The counted regions of \p R in \p File, each with its value.
static void regionsIn(const OwnedRecord &R, unsigned File,
                      std::vector<RuleRegion> &Out) {
  Out.clear();
  appendRegionsIn(R, File, /*WithValues=*/true, Out);
}

/// Whether \p A and \p B have the same regions (places and kinds).
static bool sameShape(std::vector<RuleRegion> A, std::vector<RuleRegion> B) {
  auto Key = [](const RuleRegion &R) {
    return std::tie(R.LineStart, R.ColumnStart, R.LineEnd, R.ColumnEnd, R.Kind);
  };
  auto Less = [&](const RuleRegion &X, const RuleRegion &Y) {
    return Key(X) < Key(Y);
  };
  llvm::sort(A, Less);
  llvm::sort(B, Less);
  return A.size() == B.size() &&
         std::equal(A.begin(), A.end(), B.begin(),
                    [&](const RuleRegion &X, const RuleRegion &Y) {
                      return Key(X) == Key(Y);
                    });
}

void BinaryCoverage::Impl::buildViews() {
  std::vector<Hull> Hulls;
  std::vector<uint32_t> Unhulled; // records with regions here, no extent
  std::vector<RuleRegion> Rules, Other;
  std::vector<Piece> Pieces;
  for (Component &C : Components) {
    Hulls.clear();
    Unhulled.clear();
    bool Alternatives = false;
    for (uint32_t K = C.RecordsBegin; K != C.RecordsEnd; ++K) {
      uint32_t RI = ComponentRecords[K];
      const OwnedRecord &R = Records[RI];
      if (!hasValues(R))
        continue;
      std::optional<Hull> H;
      bool Here = false;
      for (const PackedRegion &CMR : R.Regions) {
        if (!isCounted(CMR) || R.FileIndices[CMR.FileID] != C.File)
          continue;
        Here = true;
        if (CMR.FileID != 0)
          continue;
        Loc Start(CMR.LineStart, CMR.ColumnStart),
            End(CMR.LineEnd, CMR.ColumnEnd);
        if (!H)
          H = Hull{Start, End, RI};
        H->Start = std::min(H->Start, Start);
        H->End = std::max(H->End, End);
      }
      if (H)
        Hulls.push_back(*H);
      else if (Here)
        Unhulled.push_back(RI);
      Alternatives |= Here && R.Revived;
    }
    // Outer before inner: the hulls a hull holds follow it.
    llvm::sort(Hulls, [](const Hull &A, const Hull &B) {
      return std::tie(A.Start, B.End, A.Record) <
             std::tie(B.Start, A.End, B.Record);
    });
    // Hulls that start before hull I ends: [I + 1, Within(I)).
    auto Within = [&](size_t I) {
      return std::partition_point(
                 Hulls.begin() + I + 1, Hulls.end(),
                 [&](const Hull &H) { return H.Start < Hulls[I].End; }) -
             Hulls.begin();
    };
    // Hulls of one extent are adjacent: Groups[G] is the first of group G.
    std::vector<size_t> Groups;
    for (size_t I = 0; I != Hulls.size(); ++I)
      if (!I || !Hulls[I].sameExtent(Hulls[I - 1]))
        Groups.push_back(I);
    Groups.push_back(Hulls.size());
    for (size_t G = 0; G + 1 < Groups.size() && !Alternatives; ++G) {
      size_t First = Groups[G], End = Groups[G + 1];
      for (size_t J = End, E = Within(First); J < E && !Alternatives; ++J)
        Alternatives = Hulls[J].End > Hulls[First].End; // overlap, unnested
      regionsIn(Records[Hulls[First].Record], C.File, Rules);
      for (size_t I = First + 1; I < End && !Alternatives; ++I) {
        regionsIn(Records[Hulls[I].Record], C.File, Other);
        Alternatives = !sameShape(Rules, Other);
      }
    }
    if (!Alternatives)
      continue;

    uint32_t RunsFrom = Views.Runs.size();
    uint32_t SourcesFrom = Views.RunSources.size();
    Pieces.clear();
    auto AddView = [&](uint32_t Record, ArrayRef<RuleRegion> Nested) {
      regionsIn(Records[Record], C.File, Rules);
      Rules.insert(Rules.end(), Nested.begin(), Nested.end());
      uint32_t RunsBegin = Views.Runs.size();
      addLineProgram(Rules, /*EndsFile=*/false, Views);
      for (uint32_t R = RunsBegin; R != Views.Runs.size(); ++R)
        Pieces.push_back({Views.Runs[R].First, Views.Runs[R].Last, R});
    };
    std::vector<RuleRegion> Nested;
    for (size_t G = 0; G + 1 < Groups.size(); ++G) {
      size_t First = Groups[G], End = Groups[G + 1];
      // The bodies of the functions this group holds, one per extent.
      Nested.clear();
      for (size_t J = End, E = Within(First); J < E; ++J)
        if (Hulls[First].strictlyHolds(Hulls[J]) &&
            !Hulls[J].sameExtent(Hulls[J - 1]))
          Nested.push_back({Hulls[J].Start.first, Hulls[J].Start.second,
                            Hulls[J].End.first, Hulls[J].End.second,
                            uint8_t(CounterMappingRegion::SkippedRegion),
                            NoValue});
      for (size_t I = First; I != End; ++I)
        AddView(Hulls[I].Record, Nested);
    }
    for (uint32_t Record : Unhulled)
      AddView(Record, {});
    C.Views = overlay(Views, Pieces, RunsFrom, SourcesFrom);
  }
  Views.shrink();
}

} // namespace covlock
