//===- StagedOutput.h - Outputs published together --------------*- C++ -*-===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_STAGEDOUTPUT_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_STAGEDOUTPUT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include <string>

/// An output being written: published by renaming Staged to Final.
struct StagedOutput {
  std::string Final, Staged;
};

/// A staged name for \p Final ("<Final>.staged-<pid>"), after removing the
/// staged and temporary files of \p Final that merges which are gone left.
StagedOutput stageOutput(llvm::StringRef Final);

/// An error unless \p Final is missing or a regular file: outputs are new
/// files renamed over old ones, which must never replace a symbolic link,
/// a device (/dev/null, as root) or a FIFO.
llvm::Error checkOutputTarget(llvm::StringRef Final);

/// \p E, about the staged file or a temporary of it, as an error about
/// the output the user named.
llvm::Error asErrorOf(const StagedOutput &O, llvm::Error E);

/// Renames every staged output over its target, keeping the permissions of
/// a file it replaces. Errors name the target.
llvm::Error publishOutputs(llvm::ArrayRef<StagedOutput> Outputs);

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_STAGEDOUTPUT_H
