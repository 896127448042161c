//===- StagedOutput.h - Outputs published together --------------*- C++ -*-===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_STAGEDOUTPUT_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_STAGEDOUTPUT_H

#include "covlock/Locking/LockFile.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include <optional>
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
/// The lock of a directory output, "<Final><Marker>.lock" beside it: one
/// writer at a time stages and publishes a directory. An
/// open-file-description lock, which the kernel drops with its process
/// however that ends; the file holds the holder's pid, for messages.
/// Removed (while still locked) when released.
class DirectoryLock {
public:
  /// Takes the lock of \p Final, or fails at once (a FileError on \p Final
  /// that exits with status 75) naming the process that holds it.
  static llvm::Expected<DirectoryLock> acquire(llvm::StringRef Final,
                                               llvm::StringRef Marker);
  DirectoryLock(DirectoryLock &&Other) : File(std::move(Other.File)) {
    Other.File.reset();
  }
  DirectoryLock &operator=(DirectoryLock &&) = delete;
  ~DirectoryLock();

private:
  explicit DirectoryLock(covlock::LockFile File) : File(std::move(File)) {}
  std::optional<covlock::LockFile> File;
};

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
