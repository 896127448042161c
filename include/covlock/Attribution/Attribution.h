//===- covlock/Attribution/Attribution.h - Lines and regions per context -*- C++
//-*-===//
//
// Turns a context's counters for one binary into the lines and regions it
// covered, with LLVM's own line semantics (the ones llvm-cov report, show and
// export use), so that a label's aggregate gives exactly llvm-cov's line sets.
//
// A binary's coverage mapping is decoded once (BinaryCoverage::load); each
// context is then replayed through llvm::coverage::CoverageMapping, restricted
// to the functions that can matter to it: those with non-zero counters and
// those whose source lines overlap them (nested lambdas, macros, template
// instantiations), since a function that runs nothing can still decide the
// coverage of a line inside one that did.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_ATTRIBUTION_ATTRIBUTION_H
#define COVLOCK_ATTRIBUTION_ATTRIBUTION_H

#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace covlock {

/// A source region: 1-based lines and columns, end inclusive as in LLVM.
struct RegionSpan {
  uint32_t LineStart = 0, ColumnStart = 0, LineEnd = 0, ColumnEnd = 0;
  friend bool operator<(const RegionSpan &A, const RegionSpan &B) {
    return std::tie(A.LineStart, A.ColumnStart, A.LineEnd, A.ColumnEnd) <
           std::tie(B.LineStart, B.ColumnStart, B.LineEnd, B.ColumnEnd);
  }
  friend bool operator==(const RegionSpan &A, const RegionSpan &B) {
    return !(A < B) && !(B < A);
  }
};

/// What one counter vector covers in one source file of a binary.
struct FileAttribution {
  unsigned File = 0; ///< index into BinaryCoverage::files()
  /// Lines llvm-cov shows as executable ("mapped"), sorted. Only filled when
  /// asked for (AttributeOptions::Executable).
  std::vector<uint32_t> Executable;
  /// Lines with a non-zero execution count, sorted.
  std::vector<uint32_t> Covered;
  /// Indices into BinaryCoverage::regions(File) with a non-zero count, sorted.
  std::vector<uint32_t> CoveredRegions;
};

/// What one counter vector covers in a binary: only files with something
/// to say (covered lines; or executable ones when asked), sorted by File.
struct Attribution {
  std::vector<FileAttribution> Files;
};

/// A counter vector in the layout's order, dense or sparse.
struct CounterView {
  bool Sparse = false;
  llvm::ArrayRef<uint64_t> Dense;   ///< !Sparse: every counter
  llvm::ArrayRef<uint32_t> Indices; ///< Sparse: non-zero counters, ascending
  llvm::ArrayRef<uint64_t> Counts;  ///< Sparse: their counts

  CounterView() = default;
  CounterView(llvm::ArrayRef<uint64_t> Dense) : Dense(Dense) {}
  CounterView(const std::vector<uint64_t> &Dense) : Dense(Dense) {}
  static CounterView of(const ContextProfile &P) {
    CounterView V;
    V.Sparse = P.Sparse;
    V.Dense = P.Counters;
    V.Indices = P.NonZero;
    V.Counts = P.NonZeroCounts;
    return V;
  }
  /// Whether it fits a layout of \p NumCounters counters.
  bool fits(uint64_t NumCounters) const;
  /// Counters [First, First + N) into \p Out.
  void slice(uint64_t First, uint32_t N, std::vector<uint64_t> &Out) const;
  /// Calls \p F(index, count) for the non-zero counters, ascending.
  template <typename Fn> void forEachNonZero(Fn F) const {
    if (Sparse) {
      for (size_t I = 0, E = Indices.size(); I != E; ++I)
        if (Counts[I])
          F(uint64_t(Indices[I]), Counts[I]);
      return;
    }
    for (size_t I = 0, E = Dense.size(); I != E; ++I)
      if (Dense[I])
        F(uint64_t(I), Dense[I]);
  }
};

/// What makes a line covered (docs/llvm-covmerge.md, "Line rules").
enum class LineRules : uint8_t {
  /// Covered when any function or instantiation whose own mapping gives the
  /// line a non-zero count ran it, executable when any of them maps it:
  /// llvm-cov's merged view, joined with each function's own view where
  /// functions are alternatives of one another (template instantiations
  /// that compile different code, a static function built differently in
  /// several files). Also drops lines past a source file's end
  /// (BinaryCoverage::limitLines).
  Covlock,
  /// llvm-cov's merged view exactly, as `llvm-cov export` gives it.
  LLVM,
};

/// BinaryCoverage::limitLines: the source's length is not known.
constexpr uint32_t NoLineLimit = UINT32_MAX;

/// How BinaryCoverage::load reads and attributes a binary.
struct CoverageOptions {
  LineRules Rules = LineRules::Covlock;
  /// attribute() replays everything through LLVM's CoverageMapping instead
  /// of applying the precomputed line programs: slower, and the reference
  /// the oracle tests hold the programs to.
  bool ReplayThroughLLVM = false;
};

struct AttributeOptions {
  /// Replay every function and report executable lines too (for a label's
  /// aggregate); otherwise only the functions that can matter.
  bool Executable = false;
  /// With Executable: replay only part \p Part of \p NumParts. Functions
  /// whose lines overlap are never split between parts, so the union of the
  /// parts' results is exactly the whole; parts bound the memory of a big
  /// binary's full replay and let it run on several threads.
  unsigned Part = 0, NumParts = 1;
};

/// The decoded coverage mapping of one instrumented binary, joined to its
/// profile layout. Immutable after load(): attribute() may run concurrently.
class BinaryCoverage {
public:
  ~BinaryCoverage();

  /// Reads the coverage mapping of \p Layout.Path and joins its function
  /// records to \p Layout's functions by (name MD5, structural hash).
  /// \p Layout must outlive the result.
  static llvm::Expected<std::unique_ptr<BinaryCoverage>>
  load(const BinaryLayout &Layout, const CoverageOptions &Options = {});

  /// load() in two steps: read() decodes the mapping of \p Path, which
  /// needs no layout (so it can start before any profile is read); join()
  /// then does the rest, once. Nothing else may be called in between.
  static llvm::Expected<std::unique_ptr<BinaryCoverage>>
  read(llvm::StringRef Path);
  void join(const BinaryLayout &Layout, const CoverageOptions &Options = {});

  /// Source files named by the mapping, sorted.
  llvm::ArrayRef<std::string> files() const;

  /// The distinct code-region spans of \p File over all functions, sorted:
  /// the executable regions (identical spans, e.g. of template
  /// instantiations, count once, covered when any of them ran).
  llvm::ArrayRef<RegionSpan> regions(unsigned File) const;

  /// Under LineRules::Covlock, lines past \p LastLine[F] of file F
  /// (files() order; NoLineLimit: unknown, keep all) are neither executable
  /// nor covered, and regions that start there are left out: the mapping
  /// can name lines a source file does not have (it was edited after the
  /// build). Returns the files the mapping names such lines of. Call before
  /// attribute().
  std::vector<unsigned> limitLines(std::vector<uint32_t> LastLine);

  /// Lines and regions covered by \p Counters / \p Bitmap, in the layout's
  /// order (BinaryLayout::NumCounters / NumBitmapBytes entries).
  llvm::Expected<Attribution> attribute(const CounterView &Counters,
                                        llvm::ArrayRef<uint8_t> Bitmap,
                                        const AttributeOptions &Options) const;

  /// Attribution is over: frees all but files() and regions(), which a
  /// database needs after the contexts are attributed.
  void endAttribution();

  class Impl;

private:
  explicit BinaryCoverage(std::unique_ptr<Impl> I);
  std::unique_ptr<Impl> I;
};

/// Loads binaries' coverage ahead of need, each on a thread of its own, so
/// that decoding a big binary's mapping overlaps the merge that reads its
/// profiles (MergeOptions::LayoutFound gives the hint).
class CoveragePreloader {
public:
  CoveragePreloader();
  ~CoveragePreloader();
  CoveragePreloader(const CoveragePreloader &) = delete;
  CoveragePreloader &operator=(const CoveragePreloader &) = delete;

  /// Starts reading the mapping of the binary at \p Path
  /// (BinaryCoverage::read), before its layout is known. Thread-safe.
  void read(llvm::StringRef Path);
  /// Gives the layout of a binary: its read() goes on with join(), or a
  /// whole load() starts. Thread-safe.
  void start(BinaryLayout Layout, const CoverageOptions &Options = {});

  /// If a load of a layout equal to \p Layout was started, waits for it and
  /// hands over its copy of the layout and the coverage (which refers to
  /// that copy). Null if none was started, or the load failed (loading
  /// again reports why).
  std::unique_ptr<BinaryCoverage> take(const BinaryLayout &Layout,
                                       std::unique_ptr<BinaryLayout> &Copy);

private:
  struct Load;
  std::mutex Lock;
  std::vector<std::unique_ptr<Load>> Loads;
};

} // namespace covlock

#endif // COVLOCK_ATTRIBUTION_ATTRIBUTION_H
