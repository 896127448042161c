//===- covlock/CovDB/CovDB.h - The coverage database ---------------*- C++
//-*-===//
//
// A .covdb is a SQLite database whose schema is specified and versioned in
// docs/covdb.md. Writing is atomic: a new database is built beside the
// target and renamed over it, so an interrupted merge leaves the previous
// file intact.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_COVDB_COVDB_H
#define COVLOCK_COVDB_COVDB_H

#include "covlock/Attribution/Attribution.h"
#include "covlock/CovDB/PathEquivalence.h"
#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace llvm {
class InstrProfWriter;
}

namespace covlock {

class CoveragePreloader;

/// meta.line_semantics for \p Rules (docs/covdb.md): "covlock" or
/// "llvm-cov".
inline const char *lineSemanticsName(LineRules Rules) {
  return Rules == LineRules::LLVM ? "llvm-cov" : "covlock";
}
/// The rules a meta.line_semantics value names; none if it names none.
inline std::optional<LineRules> lineRulesNamed(llvm::StringRef Name) {
  for (LineRules Rules : {LineRules::Covlock, LineRules::LLVM})
    if (Name == lineSemanticsName(Rules))
      return Rules;
  return std::nullopt;
}

struct CovDBWriteOptions {
  unsigned Threads = 0; ///< 0: the machine's
  /// Called with (done, total) while contexts are attributed; may be empty.
  std::function<void(size_t, size_t)> Progress;
  /// The line rules, stored as meta.line_semantics; how to attribute.
  CoverageOptions Coverage;
  /// Told what is worth a user's notice but changes nothing they asked
  /// for (lines past a source file's end dropped); may be empty.
  std::function<void(llvm::StringRef File, const llvm::Twine &Message)> Note;
  /// Coverage already being loaded (may be null).
  CoveragePreloader *Preloaded = nullptr;
  /// Applied to every source path (the mapping's, and input databases')
  /// before anything is stored.
  PathEquivalences Paths;
  /// The label of every context of the input databases (--label), as the
  /// merge gives it to every context it reads; else their own.
  std::optional<std::string> Label;
};

/// Builds a database context by context, so that a merge can hand each
/// context over as soon as its counters are summed: attribution runs on a
/// thread pool meanwhile, and addContext() waits while more than two
/// contexts per thread are queued, so few contexts' counters are alive at
/// once. Results do not depend on the order of addContext() calls.
class CovDBBuilder {
public:
  explicit CovDBBuilder(const CovDBWriteOptions &Options);
  ~CovDBBuilder();

  /// Decodes \p Layout's coverage mapping (from Layout.Path); the index to
  /// use as ContextProfile::Binary.
  llvm::Expected<unsigned> addBinary(const BinaryLayout &Layout);
  /// Queues \p C for attribution (its Profiles name added binaries).
  void addContext(Context C);
  /// Waits for the contexts, adds those of \p InputDatabases and writes
  /// \p OutPath atomically, as writeCovDB().
  llvm::Error finish(llvm::ArrayRef<std::string> InputDatabases,
                     llvm::StringRef OutPath);

  class Impl;

private:
  std::unique_ptr<Impl> I;
};

/// Attributes every context of \p Merged to lines and regions (the coverage
/// mapping of each binary is decoded once), adds the contexts of the
/// databases \p InputDatabases (a union: a context present in both is an
/// error naming it), and writes the result to \p OutPath atomically.
llvm::Error writeCovDB(const MergeResult &Merged,
                       llvm::ArrayRef<std::string> InputDatabases,
                       llvm::StringRef OutPath,
                       const CovDBWriteOptions &Options);
/// The same, freeing each context's counters once it is attributed.
llvm::Error writeCovDB(MergeResult &&Merged,
                       llvm::ArrayRef<std::string> InputDatabases,
                       llvm::StringRef OutPath,
                       const CovDBWriteOptions &Options);

/// Adds each label's aggregate profile of the database \p Path to
/// Profiles[label] (created as needed): the sum of the label's contexts'
/// counters, with its binaries' ids, as the database's function tables
/// and sparse counters hold them (never the stored indexed profile, which
/// LLVM's reader would trust). For `llvm-covmerge --profdata` with .covdb
/// inputs.
llvm::Error addDatabaseAggregates(
    llvm::StringRef Path,
    std::map<std::string, std::unique_ptr<llvm::InstrProfWriter>> &Profiles,
    const std::optional<std::string> &Label = std::nullopt);

} // namespace covlock

#endif // COVLOCK_COVDB_COVDB_H
