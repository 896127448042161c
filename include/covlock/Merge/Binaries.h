//===- covlock/Merge/Binaries.h - Instrumented binaries ---------*- C++ -*-===//
//
// What the merge needs to know about an instrumented executable: its GNU
// build id (to verify the binary a flush record names, and to match
// --object to profiles) and its profile names section (to match profiles of
// binaries built without a build id).
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_MERGE_BINARIES_H
#define COVLOCK_MERGE_BINARIES_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <utility>
#include <vector>

namespace covlock {

struct BinaryInfo {
  std::string Path;
  std::string BuildId;  ///< hex; empty if the binary has none
  std::string Names;    ///< contents of __llvm_prf_names; empty if none
  uint64_t NumData = 0; ///< records in __llvm_prf_data
  /// The (name MD5, structural hash) of each record of __llvm_prf_data, in
  /// section order: what every raw profile of this binary must hold.
  std::vector<std::pair<uint64_t, uint64_t>> Functions;
};

/// Read \p Path as an object file. Errors name the file.
llvm::Expected<BinaryInfo> readBinaryInfo(llvm::StringRef Path);

} // namespace covlock

#endif // COVLOCK_MERGE_BINARIES_H
