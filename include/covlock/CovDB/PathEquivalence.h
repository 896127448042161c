//===- covlock/CovDB/PathEquivalence.h - Joining checkout roots -*- C++ -*-===//
//
// --path-equivalence=FROM,TO, llvm-cov's option: source paths that start
// with FROM are the same files as those under TO. Two CI machines that
// check the tree out at different roots then give one file, with the union
// of its lines, instead of two.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_COVDB_PATHEQUIVALENCE_H
#define COVLOCK_COVDB_PATHEQUIVALENCE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <utility>
#include <vector>

namespace covlock {

class PathEquivalences {
public:
  /// Adds "FROM,TO" (both non-empty; a trailing '/' is ignored); an error
  /// saying what is wrong with a malformed one.
  llvm::Error add(llvm::StringRef Spec);
  /// \p Path with the longest FROM that is a prefix of it, on a path
  /// component boundary ("/a/src" maps "/a/src/x.c", not "/a/srcx/y.c"),
  /// replaced by its TO; \p Path itself when none is.
  std::string map(llvm::StringRef Path) const;
  bool empty() const { return Pairs.empty(); }

private:
  std::vector<std::pair<std::string, std::string>> Pairs; ///< longest first
};

} // namespace covlock

#endif // COVLOCK_COVDB_PATHEQUIVALENCE_H
