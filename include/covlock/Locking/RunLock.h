//===- covlock/Locking/RunLock.h - Run and flush locks ----------*- C++ -*-===//
//
// The run lock (DIR/.covlock/run.lock) and the flush lock
// (DIR/.covlock/flush.lock) of the coverage directory protocol.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LOCKING_RUNLOCK_H
#define COVLOCK_LOCKING_RUNLOCK_H

#include "covlock/Locking/LockFile.h"
#include "covlock/Protocol/Records.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include <chrono>
#include <optional>
#include <string>

namespace covlock {

/// The live holder of a run lock. The record is only for messages: it may be
/// unreadable (a holder that has not written it yet, or a foreign writer).
struct LockHolder {
  std::optional<OwnerRecord> Record;
  std::string Problem; ///< Why Record is missing.

  /// "pid N on host H, started T, command: C", or what is known.
  std::string describe() const;
};

/// A run lock that another run holds.
class RunLockBusyError : public llvm::ErrorInfo<RunLockBusyError> {
public:
  static char ID;
  explicit RunLockBusyError(LockHolder Holder) : Holder(std::move(Holder)) {}
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override;
  const LockHolder &holder() const { return Holder; }

private:
  LockHolder Holder;
};

/// A flush lock that could not be taken in time.
class FlushLockBusyError : public llvm::ErrorInfo<FlushLockBusyError> {
public:
  static char ID;
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override;
};

/// The run lock of a coverage directory, held for the object's lifetime.
class RunLock {
public:
  /// Take the run lock of \p Dir (which must already hold .covlock/) and
  /// write \p Owner into it. Fails at once with RunLockBusyError if a live
  /// run holds it.
  static llvm::Expected<RunLock> acquire(llvm::StringRef Dir,
                                         const OwnerRecord &Owner);

  const OwnerRecord &owner() const { return Owner; }

private:
  RunLock(LockFile File, OwnerRecord Owner)
      : File(std::move(File)), Owner(std::move(Owner)) {}

  LockFile File;
  OwnerRecord Owner;
};

/// The live holder of \p Dir's run lock, or std::nullopt when no run is in
/// progress. Liveness comes from the lock alone, never from the record.
llvm::Expected<std::optional<LockHolder>> queryRunLock(llvm::StringRef Dir);

/// How long clean and run wait for publishing writers to finish; writers
/// themselves wait at most 10 s for their shared lock.
constexpr std::chrono::milliseconds FlushLockTimeout{10000};

/// Take \p Dir's flush lock, waiting at most \p Timeout for writers that
/// are publishing; FlushLockBusyError (in a FileError) if they do not finish.
llvm::Expected<LockFile>
acquireFlushLock(llvm::StringRef Dir, LockKind Kind,
                 std::chrono::milliseconds Timeout = FlushLockTimeout);

/// Take \p Dir's compact lock (docs/protocol.md, "Compaction"): Exclusive
/// for a compactor, so that there is one at a time; Shared for a reader
/// that needs the directory's packs and profiles to hold still while it
/// reads them (a merge, status, clean). With \p Wait, waits as long as it
/// takes, calling \p OnWait once if it has to; without, returns
/// std::nullopt at once when the lock is busy.
llvm::Expected<std::optional<LockFile>> acquireCompactLock(
    llvm::StringRef Dir, LockKind Kind, bool Wait,
    llvm::function_ref<void()> OnWait = [] {});

} // namespace covlock

#endif // COVLOCK_LOCKING_RUNLOCK_H
