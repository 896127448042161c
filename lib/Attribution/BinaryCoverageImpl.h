//===- BinaryCoverageImpl.h - The decoded mapping of a binary -*- C++ -*-===//
//
// Private to lib/Attribution: what BinaryCoverage holds (decoded records,
// their components and line programs) and the steps that build and use it,
// each in a file of its own:
//   Decode.cpp      reading the mapping, joining it to the profile layout
//   Components.cpp  which records llvm-cov keeps, components, line programs
//   Views.cpp       one view per function, for LineRules::Covlock
//   Attribution.cpp attributing a context (programs, or LLVM's replay)
//   Preloader.cpp   loading ahead of need on other threads
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_ATTRIBUTION_BINARYCOVERAGEIMPL_H
#define COVLOCK_LIB_ATTRIBUTION_BINARYCOVERAGEIMPL_H

#include "LineRules.h"
#include "covlock/Attribution/Attribution.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ProfileData/Coverage/CoverageMapping.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/StringSaver.h"
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace covlock {
namespace attribution {

using covlock::LineRules;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::MutableArrayRef;
using llvm::StringRef;
using llvm::coverage::Counter;
using llvm::coverage::CounterExpression;
using llvm::coverage::CounterMappingRegion;

/// How a mapping record relates to the profile layout; this decides what
/// llvm-cov does with it given a profile of the whole layout.
enum class JoinKind : uint8_t {
  Joined,   ///< (name, hash) is a layout function: counts from the profile
  Unknown,  ///< name not in the layout: llvm-cov shows it with zero counts
  Mismatch, ///< name in the layout with another hash: llvm-cov drops it
};

/// Whether llvm-cov keeps a record, as far as the line rules can tell.
enum class Loading : uint8_t {
  Dropped, ///< never (hash mismatch, bad expression, same function seen)
  Kept,    ///< always
  ByLLVM,  ///< it depends on counts, or on MC/DC: ask LLVM
};

/// A Counter in the 32 bits the mapping's encoding allows (the reader
/// rejects wider ones): the kind in the low two bits, the id above.
struct PackedCounter {
  uint32_t Bits = 0;

  static PackedCounter of(Counter C) {
    return {C.isZero() ? 0u : C.getCounterID() << 2 | C.getKind()};
  }
  Counter::CounterKind kind() const { return Counter::CounterKind(Bits & 3); }
  uint32_t id() const { return Bits >> 2; }
  bool isZero() const { return kind() == Counter::Zero; }
  Counter unpack() const {
    switch (kind()) {
    case Counter::CounterValueReference:
      return Counter::getCounter(id());
    case Counter::Expression:
      return Counter::getExpression(id());
    default:
      return Counter::getZero();
    }
  }
};

/// A CounterMappingRegion in half its size: a big binary has hundreds of
/// thousands. MC/DC parameters live beside, in Impl::MCDCParams.
struct PackedRegion {
  uint32_t LineStart, ColumnStart, LineEnd, ColumnEnd;
  PackedCounter Count;
  /// The expanded file (ExtraIsFile), else the false count: the reader
  /// never gives a region both.
  uint32_t Extra;
  uint32_t FileID : 24;
  uint32_t Kind : 7; ///< a CounterMappingRegion::RegionKind
  uint32_t ExtraIsFile : 1;
};
static_assert(sizeof(PackedRegion) == 28, "regions are the bulk of a mapping");

inline PackedCounter falseCount(const PackedRegion &R) {
  return R.ExtraIsFile ? PackedCounter() : PackedCounter{R.Extra};
}

/// A CounterExpression in 12 bytes instead of 20.
struct PackedExpression {
  PackedCounter LHS, RHS;
  uint8_t Kind; ///< a CounterExpression::ExprKind
};

/// A decoded mapping record. Its arrays live in Impl's allocators.
struct OwnedRecord {
  StringRef Name;
  uint64_t NameRef = 0; ///< MD5 of Name, as the profile layout names it
  /// The function as llvm-cov tells records apart: (files, name) hashes.
  std::pair<size_t, size_t> Key;
  uint64_t Hash = 0;
  JoinKind Join = JoinKind::Unknown;
  Loading Loads = Loading::Dropped;
  /// LineRules::Covlock: llvm-cov would drop it, or keep it depending on
  /// counts, only because it saw the same function in another record (a
  /// static function of a header, built in several files); covlock keeps
  /// it, in its own view. It has values as a kept record has.
  bool Revived = false;
  uint32_t Layout = 0; ///< layout function when Joined
  /// Kept: its counted regions' values, Impl::Values[FirstValue, +NumValues).
  uint32_t FirstValue = 0, NumValues = 0;
  ArrayRef<uint32_t> FileIndices; ///< Impl::Files index of each file id
  ArrayRef<PackedExpression> Expressions;
  ArrayRef<PackedRegion> Regions;
  /// Kept: the expressions its regions use, each after its operands.
  ArrayRef<uint32_t> ExpressionOrder;
};

/// A copy of \p From in \p Alloc.
template <typename T>
ArrayRef<T> copyTo(llvm::BumpPtrAllocator &Alloc, ArrayRef<T> From) {
  if (From.empty())
    return {};
  T *To = Alloc.Allocate<T>(From.size());
  std::uninitialized_copy(From.begin(), From.end(), To);
  return {To, From.size()};
}

/// Whether \p R's counted regions have values (Impl::Values).
inline bool hasValues(const OwnedRecord &R) {
  return R.Loads == Loading::Kept || R.Revived;
}

/// A region whose count llvm-cov keeps for lines (code, expansion, skipped,
/// gap: not branches or MC/DC decisions).
inline bool isCounted(const PackedRegion &R) {
  return R.Kind <= CounterMappingRegion::GapRegion;
}

/// Appends \p R's counted regions in \p File to \p Out, each with its value
/// (Impl::Values) when \p WithValues, else NoValue.
inline void appendRegionsIn(const OwnedRecord &R, unsigned File,
                            bool WithValues, std::vector<RuleRegion> &Out) {
  uint32_t Value = R.FirstValue;
  for (const PackedRegion &CMR : R.Regions) {
    if (!isCounted(CMR))
      continue;
    if (R.FileIndices[CMR.FileID] == File)
      Out.push_back({CMR.LineStart, CMR.ColumnStart, CMR.LineEnd, CMR.ColumnEnd,
                     uint8_t(CMR.Kind), WithValues ? Value : NoValue});
    Value += WithValues;
  }
}

/// A counted region of a kept record.
struct CountedValue {
  PackedCounter Count;
  uint32_t File;
  uint32_t Span; ///< into Impl::FileRegions[File]; NoSpan if not code
};
constexpr uint32_t NoSpan = UINT32_MAX;

/// The lines of one file that a set of records decide together: their
/// line extents there overlap (or they are the same function, or the
/// regions of one run on into the next's).
struct Component {
  uint32_t File = 0;
  bool ByLLVM = false;
  /// Its records (ascending; any but mismatches) in Impl::ComponentRecords,
  /// its line intervals in Impl::ComponentLines.
  uint32_t RecordsBegin = 0, RecordsEnd = 0, LinesBegin = 0, LinesEnd = 0;
  attribution::LineProgram Program;
  /// LineRules::Covlock, where its functions are alternatives of one
  /// another: the union of their own views (Views.cpp), in Impl::Views.
  attribution::LineProgram Views;
};

/// A record's extent in one file, in whole lines.
struct LineSpan {
  uint32_t File, First, Last, Record;
};

} // namespace attribution

class BinaryCoverage::Impl {
public:
  using Component = attribution::Component;
  using CountedValue = attribution::CountedValue;
  using OwnedRecord = attribution::OwnedRecord;
  const BinaryLayout *Layout = nullptr;
  bool ReplayAll = false; ///< ReplayThroughLLVM: every record replayable
  attribution::LineRules Rules = attribution::LineRules::Covlock;
  /// Per file, its last line (limitLines); empty or NoLineLimit: none.
  std::vector<uint32_t> LastLine;
  /// Names, expressions and expression orders: kept for the life of this.
  llvm::BumpPtrAllocator Alloc;
  llvm::StringSaver Saver{Alloc};
  /// Regions and file indices: given back, but for records LLVM may
  /// replay, once the line programs are built.
  llvm::BumpPtrAllocator RegionAlloc;
  std::vector<OwnedRecord> Records;
  /// The MC/DC parameters of the regions that have them.
  llvm::DenseMap<const attribution::PackedRegion *,
                 llvm::coverage::mcdc::Parameters>
      MCDCParams;
  std::vector<std::string> Files;
  llvm::StringMap<unsigned> FileIndex;
  std::vector<std::vector<RegionSpan>> FileRegions;
  /// Records of each layout function (CSR: FuncRecordsBegin has
  /// Functions.size() + 1 entries).
  std::vector<uint32_t> FuncRecordsBegin, FuncRecords;
  /// (FirstCounter, function) of the layout functions with counters, sorted.
  std::vector<std::pair<uint64_t, uint32_t>> CounterStarts;
  std::vector<CountedValue> Values;
  std::vector<Component> Components;
  std::vector<uint32_t> ComponentRecords;
  std::vector<std::pair<uint32_t, uint32_t>> ComponentLines;
  attribution::LinePrograms Programs;
  /// The components' Views programs.
  attribution::LinePrograms Views;
  /// Components of each record (CSR).
  std::vector<uint32_t> RecordComponentsBegin, RecordComponents;

  /// \p R's region as the reader gave it.
  llvm::coverage::CounterMappingRegion
  unpack(const attribution::PackedRegion &R) const;
  /// Reads the mapping of \p Path into Records and Files.
  llvm::Error decode(llvm::StringRef Path);
  /// With Layout set: joins the records to it, then builds the components.
  void index();
  llvm::Expected<Attribution> attribute(const CounterView &Counters,
                                        llvm::ArrayRef<uint8_t> Bitmap,
                                        const AttributeOptions &Options) const;

private:
  void join();
  void decideLoading();
  void buildComponents();
  void buildViews();
  void evaluate(const OwnedRecord &R, const CounterView &Counters,
                std::vector<uint64_t> &Scratch,
                llvm::MutableArrayRef<uint64_t> Out) const;
  llvm::Error replay(llvm::ArrayRef<uint32_t> Selected,
                     const CounterView &Counters,
                     llvm::ArrayRef<uint8_t> Bitmap, bool Executable,
                     std::map<unsigned, FileAttribution> &ByFile) const;
};

} // namespace covlock

#endif // COVLOCK_LIB_ATTRIBUTION_BINARYCOVERAGEIMPL_H
