//===- LineRules.h - llvm-cov's line semantics as a reusable program -*- C++
//-*-===//
//
// llvm-cov decides a line's count from "segments" it builds out of a file's
// regions, and rebuilds them for every profile. The segments' shape (where
// they start, whether they have a count, enter a region, are a gap) depends
// only on the regions; their counts are sums of region counts. So the shape
// is built once per group of functions and kept as a LineProgram: for each
// run of lines, the region sums whose maximum is the line's count. Applying
// a program to a context's region counts is then a few additions.
//
// The rules are those of LLVM 19's CoverageMapping (SegmentBuilder and
// LineCoverageStats), re-derived here; the oracle tests compare the result
// with llvm-cov export on real programs.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_ATTRIBUTION_LINERULES_H
#define COVLOCK_LIB_ATTRIBUTION_LINERULES_H

#include "llvm/ADT/ArrayRef.h"
#include <cstdint>
#include <type_traits>
#include <vector>

namespace covlock {
namespace attribution {

/// A region of one file as the line rules see it. Kind is a
/// CounterMappingRegion::RegionKind: CodeRegion, ExpansionRegion,
/// SkippedRegion or GapRegion.
struct RuleRegion {
  uint32_t LineStart, ColumnStart, LineEnd, ColumnEnd;
  uint8_t Kind;
  uint32_t Value; ///< which evaluated count is this region's, or NoValue
};
/// A region whose count the program will never be asked for.
constexpr uint32_t NoValue = UINT32_MAX;

/// Lines [First, Last] all have the count max(Sources). The sources of run
/// R are RunSources[R.SourcesBegin, next run's SourcesBegin).
struct LineRun {
  uint32_t First, Last;
  uint32_t SourcesBegin;
};

/// The line programs of many groups of regions, in flat arrays.
struct LinePrograms {
  /// A source is a value index (most areas have one region), or with
  /// SumBit set, sum S: the values SumValues[SumBegin[S] .. SumBegin[S + 1]).
  static constexpr uint32_t SumBit = 1u << 31;
  std::vector<uint32_t> SumBegin{0};
  std::vector<uint32_t> SumValues;
  std::vector<LineRun> Runs;
  std::vector<uint32_t> RunSources;

  uint32_t sourcesEnd(uint32_t Run) const {
    return Run + 1 == Runs.size() ? RunSources.size()
                                  : Runs[Run + 1].SourcesBegin;
  }

  /// Moves \p Other's programs after these (its sums and runs renumbered),
  /// each array at its exact size; returns the number its runs now start at.
  uint32_t append(LinePrograms &&Other) {
    uint32_t RunsOffset = Runs.size();
    uint32_t RunSourcesOffset = RunSources.size();
    uint32_t SumsOffset = SumBegin.size() - 1;
    uint32_t ValuesOffset = SumValues.size();
    // One array at a time, each of Other's freed once copied: the peak is
    // one array's worth above the result, not all of Other's.
    auto Join = [](auto &To, auto &From, size_t Skip, auto Renumber) {
      std::remove_reference_t<decltype(To)> Both;
      Both.reserve(To.size() + From.size() - Skip);
      Both.insert(Both.end(), To.begin(), To.end());
      decltype(Both)().swap(To);
      for (size_t I = Skip; I < From.size(); ++I)
        Both.push_back(Renumber(From[I]));
      decltype(Both)().swap(From);
      To = std::move(Both);
    };
    Join(SumBegin, Other.SumBegin, 1,
         [&](uint32_t B) { return B + ValuesOffset; });
    Join(SumValues, Other.SumValues, 0, [](uint32_t V) { return V; });
    Join(RunSources, Other.RunSources, 0,
         [&](uint32_t S) { return S & SumBit ? S + SumsOffset : S; });
    Join(Runs, Other.Runs, 0, [&](LineRun R) {
      R.SourcesBegin += RunSourcesOffset;
      return R;
    });
    Other.clear();
    return RunsOffset;
  }

  /// Gives back what growing left unused.
  void shrink() {
    SumBegin.shrink_to_fit();
    SumValues.shrink_to_fit();
    Runs.shrink_to_fit();
    RunSources.shrink_to_fit();
  }

  void clear() {
    SumBegin.assign(1, 0);
    SumValues.clear();
    Runs.clear();
    RunSources.clear();
  }

  /// Whether run \p Run has a non-zero count given the region counts
  /// \p Values. Sums wrap as llvm-cov's unsigned counts do.
  bool isCovered(uint32_t Run, llvm::ArrayRef<uint64_t> Values) const {
    for (uint32_t I = Runs[Run].SourcesBegin, E = sourcesEnd(Run); I != E;
         ++I) {
      uint32_t S = RunSources[I];
      if (!(S & SumBit)) {
        if (Values[S])
          return true;
        continue;
      }
      S &= ~SumBit;
      uint64_t Sum = 0;
      for (uint32_t K = SumBegin[S]; K != SumBegin[S + 1]; ++K)
        Sum += Values[SumValues[K]];
      if (Sum)
        return true;
    }
    return false;
  }
};

/// One group's program: its runs (mapped lines, ascending and disjoint).
struct LineProgram {
  uint32_t RunsBegin = 0, RunsEnd = 0;
  /// The last segment has a count: lines after these regions are mapped by
  /// them, until whatever region of the file comes next.
  bool OpenEnd = false;
  /// False when llvm-cov's result for some line depends on counts in a way
  /// the program does not follow (see LineRules.cpp).
  bool Exact = true;
};

/// Adds the program of \p Regions (any order; reordered) to \p Into.
/// \p EndsFile: no region of the file sorts after them, so a final empty
/// region is a skipped one.
LineProgram addLineProgram(std::vector<RuleRegion> &Regions, bool EndsFile,
                           LinePrograms &Into);

} // namespace attribution
} // namespace covlock

#endif // COVLOCK_LIB_ATTRIBUTION_LINERULES_H
