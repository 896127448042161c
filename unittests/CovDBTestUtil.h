//===- CovDBTestUtil.h - Real programs for the attribution tests -*- C++
//-*-===//
//
// Compiles a program with clang's coverage, runs it once per "test" with its
// own LLVM_PROFILE_FILE, and builds the MergeResult that lib/Merge would hand
// over (one context per profile), straight from LLVM's raw profile reader.
// llvm-profdata and llvm-cov are the oracles.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_UNITTESTS_COVDBTESTUTIL_H
#define COVLOCK_UNITTESTS_COVDBTESTUTIL_H

#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <map>
#include <set>
#include <string>
#include <vector>

namespace covlock {
namespace testutil {

/// A scratch directory removed at destruction.
struct TempDir {
  llvm::SmallString<128> Path;
  TempDir();
  ~TempDir();
  std::string file(llvm::StringRef Name) const;
};

/// Runs \p Argv (Argv[0] a path) with \p Env added; returns the status and
/// puts stdout in \p Out if given.
int run(llvm::ArrayRef<std::string> Argv, llvm::ArrayRef<std::string> Env = {},
        std::string *Out = nullptr);

std::string clang();
std::string llvmTool(llvm::StringRef Name);

/// Compiles \p Source (C if \p Ext is "c", else C++) into Dir/Name with
/// coverage and \p Flags. Returns the binary's path, or empty on failure.
std::string compile(const TempDir &Dir, llvm::StringRef Name,
                    llvm::StringRef Ext, llvm::StringRef Source,
                    llvm::ArrayRef<std::string> Flags = {});

/// Runs \p Bin once per argument list, each with its own profile; returns the
/// .profraw paths.
std::vector<std::string>
runTests(const TempDir &Dir, const std::string &Bin,
         const std::vector<std::vector<std::string>> &ArgLists);

/// One context per profile, test "t<i>", label \p Label.
llvm::Expected<MergeResult> mergeRaw(const std::string &Bin,
                                     llvm::ArrayRef<std::string> Profiles,
                                     llvm::StringRef Label);

/// file -> line -> count, from `llvm-cov export -format=lcov`.
using LcovLines = std::map<std::string, std::map<unsigned, uint64_t>>;
LcovLines llvmCovLines(const TempDir &Dir, const std::string &Bin,
                       llvm::ArrayRef<std::string> Profiles);

} // namespace testutil
} // namespace covlock

#endif
