//===- LineRules.h - llvm-cov's line semantics as a reusable program -*- C++ -*-===//
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
#include <vector>

namespace covlock {
namespace attribution {

/// A region of one file as the line rules see it. Kind is a
/// CounterMappingRegion::RegionKind: CodeRegion, ExpansionRegion,
/// SkippedRegion or GapRegion.
struct RuleRegion {
  uint32_t LineStart, ColumnStart, LineEnd, ColumnEnd;
  uint8_t Kind;
  uint32_t Value; ///< which evaluated count is this region's
};

/// Lines [First, Last] all have the count max(sums of Sources).
struct LineRun {
  uint32_t First, Last;
  uint32_t SourcesBegin, SourcesEnd; ///< into LinePrograms::RunSources
};

/// The line programs of many groups of regions, in flat arrays.
struct LinePrograms {
  /// Sums of counts: source S is the sum of Values[SourceBegin[S] ..
  /// SourceBegin[S + 1]).
  std::vector<uint32_t> SourceBegin{0};
  std::vector<uint32_t> SourceValues;
  std::vector<LineRun> Runs;
  std::vector<uint32_t> RunSources;

  /// Moves \p Other's programs after these (its sources and runs
  /// renumbered); returns the number its runs now start at.
  uint32_t append(LinePrograms &&Other) {
    uint32_t RunsOffset = Runs.size();
    uint32_t RunSourcesOffset = RunSources.size();
    uint32_t SourcesOffset = SourceBegin.size() - 1;
    uint32_t ValuesOffset = SourceValues.size();
    for (size_t S = 1; S < Other.SourceBegin.size(); ++S)
      SourceBegin.push_back(Other.SourceBegin[S] + ValuesOffset);
    SourceValues.insert(SourceValues.end(), Other.SourceValues.begin(),
                        Other.SourceValues.end());
    for (uint32_t S : Other.RunSources)
      RunSources.push_back(S + SourcesOffset);
    for (LineRun R : Other.Runs) {
      R.SourcesBegin += RunSourcesOffset;
      R.SourcesEnd += RunSourcesOffset;
      Runs.push_back(R);
    }
    Other.clear();
    return RunsOffset;
  }

  /// Gives back what growing left unused.
  void shrink() {
    SourceBegin.shrink_to_fit();
    SourceValues.shrink_to_fit();
    Runs.shrink_to_fit();
    RunSources.shrink_to_fit();
  }

  void clear() {
    SourceBegin.assign(1, 0);
    SourceValues.clear();
    Runs.clear();
    RunSources.clear();
  }

  /// Whether \p Run has a non-zero count given the region counts
  /// \p Values. Sums wrap as llvm-cov's unsigned counts do.
  bool isCovered(const LineRun &Run, llvm::ArrayRef<uint64_t> Values) const {
    for (uint32_t I = Run.SourcesBegin; I != Run.SourcesEnd; ++I) {
      uint32_t S = RunSources[I];
      uint64_t Sum = 0;
      for (uint32_t K = SourceBegin[S]; K != SourceBegin[S + 1]; ++K)
        Sum += Values[SourceValues[K]];
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
