//===- Views.cpp - Each function's own view, for covlock's line rules -----===//
//
// llvm-cov decides a line from the regions of every function that maps it
// at once (its merged view). Where functions are alternatives of one
// another, one's regions hide the lines another ran: in `if constexpr`,
// test<true>'s zero region after the `return` lies over the line that
// test<false> ran, and llvm-cov shows it as not covered. It also keeps one
// record per function name and file, so a static function of a header
// built in two files is seen in the first file's build only.
//
// Under LineRules::Covlock a line is also covered when one function's own
// view covers it, and executable when one maps it. A function's view is its
// regions and those of the functions nested inside it (lambdas, local
// classes): they speak for their own bodies, which the outer function's
// regions span without having run them. A component whose functions all
// nest under a single one has nothing to add to the merged view, and gets
// no views.
//
//===----------------------------------------------------------------------===//

#include "BinaryCoverageImpl.h"
#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <tuple>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {
using namespace attribution;

namespace {
using Loc = std::pair<uint32_t, uint32_t>; // line, column

/// A record's extent in a file: from its first region's start to its
/// furthest region's end.
struct Hull {
  Loc Start, End;
  uint32_t Record;

  bool operator==(const Hull &O) const {
    return Start == O.Start && End == O.End;
  }
  /// Whether \p Inner lies within this one, and is not all of it.
  bool strictlyHolds(const Hull &Inner) const {
    return Start <= Inner.Start && Inner.End <= End && !(*this == Inner);
  }
};

/// Overlays the runs [\p From, end) of \p P into one program in their
/// place: ascending disjoint runs, each line's sources the union of its
/// sources in every run that maps it.
LineProgram overlay(LinePrograms &P, uint32_t From, uint32_t SourcesFrom) {
  std::vector<uint32_t> Points;
  for (uint32_t R = From; R != P.Runs.size(); ++R) {
    Points.push_back(P.Runs[R].First);
    Points.push_back(P.Runs[R].Last + 1);
  }
  llvm::sort(Points);
  Points.erase(std::unique(Points.begin(), Points.end()), Points.end());
  // Per elementary interval [Points[I], Points[I + 1]): mapped, sources.
  std::vector<uint8_t> Mapped(Points.size(), 0);
  std::vector<std::vector<uint32_t>> Sources(Points.size());
  for (uint32_t R = From; R != P.Runs.size(); ++R) {
    const LineRun &Run = P.Runs[R];
    size_t I = llvm::lower_bound(Points, Run.First) - Points.begin();
    for (; Points[I] <= Run.Last; ++I) {
      Mapped[I] = 1;
      Sources[I].insert(Sources[I].end(),
                        P.RunSources.begin() + Run.SourcesBegin,
                        P.RunSources.begin() + P.sourcesEnd(R));
    }
  }
  P.Runs.resize(From);
  P.RunSources.resize(SourcesFrom);
  LineProgram Result;
  Result.RunsBegin = From;
  for (size_t I = 0; I + 1 < Points.size(); ++I) {
    if (!Mapped[I])
      continue;
    std::vector<uint32_t> &S = Sources[I];
    llvm::sort(S);
    S.erase(std::unique(S.begin(), S.end()), S.end());
    P.Runs.push_back(
        {Points[I], Points[I + 1] - 1, uint32_t(P.RunSources.size())});
    P.RunSources.insert(P.RunSources.end(), S.begin(), S.end());
  }
  Result.RunsEnd = P.Runs.size();
  return Result;
}
} // namespace

void BinaryCoverage::Impl::buildViews() {
  std::vector<Hull> Hulls;
  std::vector<RuleRegion> Rules;
  for (Component &C : Components) {
    Hulls.clear();
    bool AnyRevived = false;
    for (uint32_t K = C.RecordsBegin; K != C.RecordsEnd; ++K) {
      const OwnedRecord &R = Records[ComponentRecords[K]];
      if (!hasValues(R))
        continue;
      std::optional<Hull> H;
      for (const PackedRegion &CMR : R.Regions) {
        if (!isCounted(CMR) || R.FileIndices[CMR.FileID] != C.File)
          continue;
        Loc Start(CMR.LineStart, CMR.ColumnStart),
            End(CMR.LineEnd, CMR.ColumnEnd);
        if (!H)
          H = Hull{Start, End, ComponentRecords[K]};
        H->Start = std::min(H->Start, Start);
        H->End = std::max(H->End, End);
      }
      if (H) {
        Hulls.push_back(*H);
        AnyRevived |= R.Revived;
      }
    }
    // Outer before inner, so that a hull's nested ones follow it.
    llvm::sort(Hulls, [](const Hull &A, const Hull &B) {
      return std::tie(A.Start, B.End, A.Record) <
             std::tie(B.Start, A.End, B.Record);
    });
    bool Alternatives = AnyRevived;
    for (size_t I = 1; I < Hulls.size() && !Alternatives; ++I)
      Alternatives =
          Hulls[I] == Hulls[I - 1] || !Hulls[0].strictlyHolds(Hulls[I]);
    if (!Alternatives)
      continue;

    uint32_t RunsFrom = Views.Runs.size();
    uint32_t SourcesFrom = Views.RunSources.size();
    for (size_t I = 0; I != Hulls.size(); ++I) {
      Rules.clear();
      // Hulls that start within this one follow it.
      for (size_t J = I; J != Hulls.size() && Hulls[J].Start <= Hulls[I].End;
           ++J) {
        if (J != I && !Hulls[I].strictlyHolds(Hulls[J]))
          continue;
        const OwnedRecord &R = Records[Hulls[J].Record];
        uint32_t Value = R.FirstValue;
        for (const PackedRegion &CMR : R.Regions) {
          if (!isCounted(CMR))
            continue;
          if (R.FileIndices[CMR.FileID] == C.File)
            Rules.push_back({CMR.LineStart, CMR.ColumnStart, CMR.LineEnd,
                             CMR.ColumnEnd, uint8_t(CMR.Kind), Value});
          ++Value;
        }
      }
      addLineProgram(Rules, /*EndsFile=*/false, Views);
    }
    C.Views = overlay(Views, RunsFrom, SourcesFrom);
  }
  Views.shrink();
}

} // namespace covlock
