//===- LineRules.cpp - llvm-cov's line semantics as a reusable program ----===//
//
// Segments are built as llvm-cov builds them, with a "source" (a sum of
// region counts) in place of each count. One rule of llvm-cov's depends on
// counts rather than shape: a segment that would repeat the previous one's
// count is left out. That only matters to a line where it would be the first
// segment before a skipped region's entry; such a line makes the program
// Exact = false and the caller replays those functions through LLVM.
//
//===----------------------------------------------------------------------===//

#include "LineRules.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ProfileData/Coverage/CoverageMapping.h"
#include <algorithm>
#include <optional>
#include <tuple>

using llvm::coverage::CounterMappingRegion;

namespace covlock {
namespace attribution {

namespace {
using Loc = std::pair<uint32_t, uint32_t>;

struct Combined {
  Loc Start, End;
  uint8_t Kind;
  uint32_t Source;
};

struct Segment {
  uint32_t Line, Col;
  uint32_t Source; ///< the region it takes its count from
  bool HasCount, Entry, Gap;
  /// Left out by llvm-cov when its count equals the previous segment's.
  bool MaybeDropped;
};

class SegmentBuilder {
public:
  SegmentBuilder(const std::vector<Combined> &Regions, bool EndsFile,
                 std::vector<uint32_t> &Active, std::vector<Segment> &Segments)
      : Regions(Regions), EndsFile(EndsFile), Active(Active),
        Segments(Segments) {
    Active.clear();
    Segments.clear();
  }

  void build() {
    for (size_t I = 0, N = Regions.size(); I != N; ++I) {
      const Combined &R = Regions[I];
      // Regions that end where (or before) this one starts are complete.
      auto Done =
          std::stable_partition(Active.begin(), Active.end(), [&](uint32_t A) {
            return !(Regions[A].End <= R.Start);
          });
      if (Done != Active.end())
        complete(R.Start, Done - Active.begin());
      bool Gap = R.Kind == CounterMappingRegion::GapRegion;
      if (R.Start == R.End) {
        // An empty region never becomes active; at the file's very end it
        // is a skipped segment.
        bool Skipped = (I + 1 == N && EndsFile) ||
                       R.Kind == CounterMappingRegion::SkippedRegion;
        emit(Active.empty() ? I : Active.back(), R.Start, !Gap, Skipped);
        if (Skipped && !Active.empty())
          emit(Active.back(), R.Start, false);
        continue;
      }
      // Of regions starting at one place, the innermost speaks.
      if (I + 1 == N || R.Start != Regions[I + 1].Start)
        emit(I, R.Start, !Gap);
      Active.push_back(I);
    }
    if (!Active.empty())
      complete(std::nullopt, 0);
  }

private:
  const std::vector<Combined> &Regions;
  bool EndsFile;
  std::vector<uint32_t> &Active;
  std::vector<Segment> &Segments;

  void emit(uint32_t Region, Loc At, bool Entry, bool Skipped = false) {
    const Combined &R = Regions[Region];
    bool HasCount = !Skipped && R.Kind != CounterMappingRegion::SkippedRegion;
    bool MaybeDropped = false;
    if (!Segments.empty() && !Entry && !Skipped) {
      const Segment &Last = Segments.back();
      if (Last.HasCount == HasCount && !Last.Entry) {
        // llvm-cov compares counts (a skipped segment's is 0); the same
        // source is the same count.
        if (HasCount && Last.Source == R.Source)
          return;
        MaybeDropped = true;
      }
    }
    Segments.push_back({At.first, At.second, R.Source, HasCount, Entry,
                        HasCount && R.Kind == CounterMappingRegion::GapRegion,
                        MaybeDropped});
  }

  /// Closes the active regions from \p First on (they end before \p Next).
  void complete(std::optional<Loc> Next, size_t First) {
    std::stable_sort(Active.begin() + First, Active.end(),
                     [&](uint32_t A, uint32_t B) {
                       return Regions[A].End < Regions[B].End;
                     });
    for (size_t I = First + 1, E = Active.size(); I < E; ++I) {
      Loc At = Regions[Active[I - 1]].End;
      if (Next && At == *Next)
        break;
      uint32_t Closing = Active[I];
      if (At == Regions[Closing].End)
        continue;
      // Several regions may end here: the last of them gives the count.
      for (size_t J = I + 1; J < E; ++J)
        if (Regions[Active[J]].End == Regions[Closing].End)
          Closing = Active[J];
      emit(Closing, At, false);
    }
    uint32_t Last = Active.back();
    if (First && Regions[Last].End != *Next)
      emit(Active[First - 1], Regions[Last].End, false); // back to the outer
    else if (!First && (!Next || *Next != Regions[Last].End))
      emit(Last, Regions[Last].End, false,
           /*Skipped=*/true); // between functions
    Active.erase(Active.begin() + First, Active.end());
  }
};
} // namespace

LineProgram addLineProgram(std::vector<RuleRegion> &Regions, bool EndsFile,
                           LinePrograms &Into) {
  LineProgram P;
  P.RunsBegin = P.RunsEnd = Into.Runs.size();
  auto StartOf = [](const RuleRegion &R) {
    return Loc(R.LineStart, R.ColumnStart);
  };
  auto EndOf = [](const RuleRegion &R) { return Loc(R.LineEnd, R.ColumnEnd); };
  // Outer before inner; of equal areas, code before expansion before skipped.
  std::stable_sort(Regions.begin(), Regions.end(),
                   [&](const RuleRegion &A, const RuleRegion &B) {
                     if (StartOf(A) != StartOf(B))
                       return StartOf(A) < StartOf(B);
                     if (EndOf(A) != EndOf(B))
                       return EndOf(B) < EndOf(A);
                     return A.Kind < B.Kind;
                   });
  // Regions of one area share a count: the sum of those of the first's kind.
  static thread_local std::vector<Combined> Areas;
  static thread_local std::vector<uint32_t> AreaValues, AreaValuesBegin;
  Areas.clear();
  AreaValues.clear();
  AreaValuesBegin.clear();
  for (const RuleRegion &R : Regions) {
    if (!Areas.empty() && Areas.back().Start == StartOf(R) &&
        Areas.back().End == EndOf(R)) {
      if (R.Kind == Areas.back().Kind)
        AreaValues.push_back(R.Value);
      continue;
    }
    Areas.push_back({StartOf(R), EndOf(R), R.Kind, 0});
    AreaValuesBegin.push_back(AreaValues.size());
    AreaValues.push_back(R.Value);
  }
  AreaValuesBegin.push_back(AreaValues.size());
  for (size_t A = 0; A != Areas.size(); ++A) {
    llvm::ArrayRef<uint32_t> Values(AreaValues.data() + AreaValuesBegin[A],
                                    AreaValues.data() + AreaValuesBegin[A + 1]);
    if (Values.size() == 1 && Values[0] != NoValue) {
      Areas[A].Source = Values[0];
      continue;
    }
    // A sum, also for an area without values: sources of different areas
    // must differ (emit compares them).
    Areas[A].Source = LinePrograms::SumBit | (Into.SumBegin.size() - 1);
    for (uint32_t V : Values)
      if (V != NoValue)
        Into.SumValues.push_back(V);
    Into.SumBegin.push_back(Into.SumValues.size());
  }

  static thread_local std::vector<uint32_t> Active;
  static thread_local std::vector<Segment> Segs;
  SegmentBuilder(Areas, EndsFile, Active, Segs).build();
  if (Segs.empty())
    return P;
  P.OpenEnd = Segs.back().HasCount;

  // Lines, as LineCoverageStats sees them: a line's segments and the one
  // wrapping into it from before.
  auto AddRun = [&](uint32_t First, uint32_t Last,
                    llvm::ArrayRef<uint32_t> Sources) {
    Into.Runs.push_back({First, Last, uint32_t(Into.RunSources.size())});
    Into.RunSources.insert(Into.RunSources.end(), Sources.begin(),
                           Sources.end());
  };
  const Segment *Wrapped = nullptr;
  llvm::SmallVector<uint32_t, 8> Sources;
  uint32_t Line = 1;
  for (size_t I = 0, N = Segs.size(); I != N;) {
    uint32_t SegLine = Segs[I].Line;
    if (Line < SegLine && Wrapped && Wrapped->HasCount)
      AddRun(Line, SegLine - 1, Wrapped->Source);
    size_t End = I;
    while (End != N && Segs[End].Line == SegLine)
      ++End;
    llvm::ArrayRef<Segment> On(Segs.data() + I, End - I);
    auto StartsRegion = [](const Segment &S) {
      return S.HasCount && S.Entry && !S.Gap;
    };
    bool MaybeDropped = false, SkippedEntry = false;
    for (const Segment &S : On) {
      MaybeDropped |= S.MaybeDropped;
      SkippedEntry |= !S.HasCount && S.Entry;
    }
    if (MaybeDropped && SkippedEntry)
      P.Exact = false;
    bool StartOfSkipped = !On.front().HasCount && On.front().Entry;
    bool AnyStart = llvm::any_of(On, StartsRegion);
    bool Mapped =
        !StartOfSkipped && ((Wrapped && Wrapped->HasCount) || AnyStart);
    Mapped |= llvm::any_of(
        On, [](const Segment &S) { return S.Entry && S.HasCount; });
    if (Mapped) {
      Sources.clear();
      if (Wrapped && Wrapped->HasCount)
        Sources.push_back(Wrapped->Source);
      if (AnyStart)
        for (const Segment &S : On)
          if (StartsRegion(S))
            Sources.push_back(S.Source);
      llvm::sort(Sources);
      Sources.erase(std::unique(Sources.begin(), Sources.end()), Sources.end());
      AddRun(SegLine, SegLine, Sources);
    }
    Wrapped = &On.back();
    Line = SegLine + 1;
    I = End;
  }
  P.RunsEnd = Into.Runs.size();
  return P;
}

} // namespace attribution
} // namespace covlock
