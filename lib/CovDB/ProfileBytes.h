//===- ProfileBytes.h - Indexed profiles from covdb counters ----*- C++ -*-===//
//
// Private to lib/CovDB: the one way a covdb's counters (a binary's function
// table and a context's or a label's counters in its layout) become an
// indexed profile, for the labels' aggregates the writer stores and for
// the per-context profiles the reader exports.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_COVDB_PROFILEBYTES_H
#define COVLOCK_LIB_COVDB_PROFILEBYTES_H

#include "covlock/Attribution/Attribution.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace llvm {
class InstrProfWriter;
}

namespace covlock {

/// One binary's counters summed over contexts: saturating sums as
/// llvm-profdata's, MC/DC bitmaps ORed; independent of the order of
/// additions.
struct CounterSum {
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;

  /// Adds counters in \p Layout's order (a ContextProfile of it, or dense).
  void add(const BinaryLayout &Layout, const CounterView &Counters,
           llvm::ArrayRef<uint8_t> Bitmap);
};

/// Builds one indexed profile from the counters of one or more binaries.
class IndexedProfileBuilder {
public:
  IndexedProfileBuilder();
  ~IndexedProfileBuilder();

  /// Adds a record for every function of \p Layout (zero or not, as
  /// llvm-profdata merge writes them); a function that two binaries share
  /// (same name and hash) is summed.
  void add(const BinaryLayout &Layout, llvm::ArrayRef<uint64_t> Counters,
           llvm::ArrayRef<uint8_t> Bitmap);
  /// The indexed profile (.profdata bytes), or the first error of add().
  llvm::Expected<std::string> take();

private:
  std::unique_ptr<llvm::InstrProfWriter> Writer;
  llvm::Error Err = llvm::Error::success();
};

/// Adds the records and binary ids of \p Profile, an indexed profile that
/// this process wrote, to \p Writer, a front-end profile (LLVM's reader
/// trusts what it reads: never call this on bytes from a file).
llvm::Error addOwnIndexedProfile(llvm::InstrProfWriter &Writer,
                                 llvm::StringRef Profile);
/// The sum of indexed profiles that this process wrote.
llvm::Expected<std::string>
sumOwnIndexedProfiles(llvm::ArrayRef<std::string> Profiles);

} // namespace covlock

#endif // COVLOCK_LIB_COVDB_PROFILEBYTES_H
