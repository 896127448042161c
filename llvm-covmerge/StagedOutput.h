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

/// Outputs that are directories (llvm-covmerge html): a directory is
/// written whole under a staged name, then swapped in for the old one.
/// Only a directory that holds the file \p Marker (one written the same
/// way) or nothing at all is ever replaced.
///
/// An error unless \p Final is missing, an empty directory or a directory
/// with \p Marker in it.
llvm::Error checkDirectoryTarget(llvm::StringRef Final, llvm::StringRef Marker);
/// Creates "<Final>.staged-<pid>" holding \p Marker, after removing the
/// staged and replaced directories ("<Final>.old-<pid>") of processes that
/// are gone, if they hold \p Marker.
llvm::Expected<StagedOutput> stageDirectory(llvm::StringRef Final,
                                            llvm::StringRef Marker);
/// Renames the staged directory to Final, the old one (checked again)
/// first to "<Final>.old-<pid>", which is then removed.
llvm::Error publishDirectory(const StagedOutput &O, llvm::StringRef Marker);
/// Removes the staged directory (after a failure).
void discardDirectory(const StagedOutput &O);

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_STAGEDOUTPUT_H
