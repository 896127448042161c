//===- covlock/Merge/Contexts.h - What a merge hands to attribution -*- C++
//-*-//
//
// The interface between collection (lib/Merge: reading coverage directories,
// .profraw and .profdata files and summing their counters) and attribution
// (lib/Attribution + lib/CovDB: lines and regions per context, the .covdb).
//
// Profiles written by one binary share a layout: the same data and names
// sections, only the counters (and MC/DC bitmap bytes) differ. A layout is
// read once, from the first raw profile of a binary or from the binary's own
// __llvm_prf_data section; every context's counts for that binary are then a
// dense vector in that layout's order.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_MERGE_CONTEXTS_H
#define COVLOCK_MERGE_CONTEXTS_H

#include "covlock/Protocol/Outcome.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace covlock {

/// How far a context's coverage can be trusted (docs/covdb.md).
enum class Confidence {
  Exact,   ///< one process per test: everything it ran is the test's
  Normal,  ///< in-process test boundaries: shared state may leak
  Dubious, ///< a process of the test was lost, or its profile unreadable
  Outside, ///< run outside any test
};

/// One function of a binary's profile layout, in data-section order.
struct LayoutFunction {
  std::string Name;          ///< PGO function name (may carry a "file;" prefix)
  uint64_t NameRef = 0;      ///< MD5 of Name, as in the data section
  uint64_t Hash = 0;         ///< structural hash
  uint64_t FirstCounter = 0; ///< index into a context's Counters
  uint32_t NumCounters = 0;
  uint64_t FirstBitmapByte = 0;
  uint32_t NumBitmapBytes = 0;
};

/// An instrumented binary and its layout.
struct BinaryLayout {
  std::string Path;     ///< the executable (verified against BinaryId)
  std::string BinaryId; ///< GNU build id in hex; empty if none
  std::vector<LayoutFunction> Functions;
  uint64_t NumCounters = 0;
  uint64_t NumBitmapBytes = 0;
};

/// A context's summed counts for one binary.
struct ContextProfile {
  unsigned Binary = 0;            ///< index into MergeResult::Binaries
  std::vector<uint64_t> Counters; ///< BinaryLayout::NumCounters entries
  std::vector<uint8_t> Bitmap;    ///< BinaryLayout::NumBitmapBytes entries

  /// With MergeOptions::SparseContexts the counters are kept sparse, since
  /// a test usually runs a small part of a big binary (dense, 500 tests of a
  /// 115,000-counter binary are 460 MB): Counters is then empty, NonZero
  /// holds the indices of the nonzero counters in ascending order and
  /// NonZeroCounts their counts.
  bool Sparse = false;
  std::vector<uint32_t> NonZero;
  std::vector<uint64_t> NonZeroCounts;

  /// The dense counters in either form (\p NumCounters entries).
  void getCounters(std::vector<uint64_t> &Out, uint64_t NumCounters) const {
    if (!Sparse) {
      Out = Counters;
      return;
    }
    Out.assign(NumCounters, 0);
    for (size_t I = 0, E = NonZero.size(); I != E; ++I)
      Out[NonZero[I]] = NonZeroCounts[I];
  }
};

/// Something that was not merged, kept against its context.
struct MergeProblem {
  std::string Kind; ///< "lost", "failed", "unreadable", "mismatch"
  std::string Path; ///< the file concerned
  std::string Message;

  /// The order of a context's problems wherever they are listed or stored:
  /// by path, kind, message.
  bool operator<(const MergeProblem &O) const {
    return std::tie(Path, Kind, Message) < std::tie(O.Path, O.Kind, O.Message);
  }
};

/// label x test.
struct Context {
  std::string Label;
  std::optional<std::string> Test; ///< none: outside any test
  Confidence Conf = Confidence::Exact;
  unsigned Processes = 0, Lost = 0, Failed = 0, Unreadable = 0;
  /// Its test ends (covlock_test_end), by outcome; none for a test that
  /// is a process of its own.
  TestOutcomes Outcomes;
  std::vector<ContextProfile> Profiles; ///< sorted by Binary
  std::vector<MergeProblem> Problems;
};

/// The order of contexts wherever they are listed or stored: by label, then
/// outside tests first, then by test; byte order (as LC_ALL=C sort).
inline bool contextBefore(llvm::StringRef LabelA,
                          const std::optional<std::string> &TestA,
                          llvm::StringRef LabelB,
                          const std::optional<std::string> &TestB) {
  return std::make_tuple(LabelA, TestA.has_value(),
                         llvm::StringRef(TestA ? *TestA : "")) <
         std::make_tuple(LabelB, TestB.has_value(),
                         llvm::StringRef(TestB ? *TestB : ""));
}

struct MergeResult {
  std::vector<BinaryLayout> Binaries;
  std::vector<Context> Contexts; ///< sorted by (Label, Test), outside first
};

} // namespace covlock

#endif // COVLOCK_MERGE_CONTEXTS_H
