//===- covlock/Locking/LockFile.h - Open-file-description locks -*- C++ -*-===//
//
// A file locked with open-file-description fcntl locks (F_OFD_SETLK). The
// kernel drops such a lock when the last descriptor of the open file goes
// away, so a crashed holder can never leave a stale lock, and descriptors
// are O_CLOEXEC so that children never inherit one.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LOCKING_LOCKFILE_H
#define COVLOCK_LOCKING_LOCKFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <chrono>
#include <string>

namespace covlock {

enum class LockKind { Shared, Exclusive };

class LockFile {
public:
  enum OpenMode { ReadOnly, ReadWriteCreate };

  /// Open \p Path (O_CLOEXEC). ReadOnly is enough to query a lock.
  static llvm::Expected<LockFile> open(llvm::StringRef Path, OpenMode Mode);

  LockFile(LockFile &&Other);
  LockFile &operator=(LockFile &&Other);
  LockFile(const LockFile &) = delete;
  LockFile &operator=(const LockFile &) = delete;
  /// Closing the descriptor releases the lock.
  ~LockFile();

  /// Try to lock the whole file without waiting. Returns false if another
  /// open file holds a conflicting lock.
  llvm::Expected<bool> tryLock(LockKind Kind);

  /// Retry tryLock() until \p Timeout has passed. Returns false if the lock
  /// is still busy then.
  llvm::Expected<bool> tryLockFor(LockKind Kind,
                                  std::chrono::milliseconds Timeout);

  /// Whether another open file holds a lock that conflicts with \p Kind
  /// (F_OFD_GETLK; does not take the lock).
  llvm::Expected<bool> isLockedByOther(LockKind Kind) const;

  llvm::Error unlock();

  /// Replace the file's contents with \p Data (the caller holds the lock).
  llvm::Error replaceContents(llvm::StringRef Data);

  /// The whole file, read from the start.
  llvm::Expected<std::string> readContents() const;

  llvm::StringRef path() const { return Path; }
  int fd() const { return FD; }

private:
  LockFile(std::string Path, int FD) : Path(std::move(Path)), FD(FD) {}

  std::string Path;
  int FD = -1;
};

} // namespace covlock

#endif // COVLOCK_LOCKING_LOCKFILE_H
