//===- Impact.h - llvm-covmerge impact's parts ------------------*- C++ -*-===//
//
// ImpactCommand.cpp reads the diff and finds its files in the database;
// ImpactReport.cpp answers, per label, which tests cover the changed lines
// and which changed lines nothing covers, only code outside tests covers,
// or the label does not compile.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_IMPACT_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_IMPACT_H

#include "covlock/CovDB/CovDBReader.h"
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

/// A source file of the database that the diff changes.
struct ChangedSource {
  int64_t FileId = 0;
  std::string Path;            ///< as stored
  std::vector<uint32_t> Lines; ///< changed lines, ascending, each once
};

/// Prints the impact of \p Files (sorted by path) on the labels of \p DB
/// (or on those of \p Labels alone, if any): the full report, or with
/// \p TestsOnly the ids of the tests alone.
llvm::Error printImpact(const covlock::CovDB &DB,
                        llvm::ArrayRef<ChangedSource> Files,
                        llvm::ArrayRef<int64_t> Labels, bool TestsOnly,
                        llvm::raw_ostream &OS);

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_IMPACT_H
