//===- LockFile.cpp - Open-file-description locks -------------------------===//

#include "covlock/Locking/LockFile.h"
#include "llvm/Support/Errno.h"
#include "llvm/Support/Path.h"
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace llvm;

namespace covlock {

static Error errnoError(StringRef Path, int Errno) {
  return createFileError(
      Path, errorCodeToError(std::error_code(Errno, std::generic_category())));
}

Expected<LockFile> LockFile::open(StringRef Path, OpenMode Mode) {
  // Never through a symlink, never blocking on a FIFO planted there; only a
  // regular file is a lock file. (O_NONBLOCK does not change how the locks
  // themselves wait.)
  int Flags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
              (Mode == ReadOnly ? O_RDONLY : O_RDWR | O_CREAT);
  std::string P = Path.str();
  int FD = sys::RetryAfterSignal(-1, ::open, P.c_str(), Flags, 0666);
  if (FD < 0)
    return errnoError(Path, errno);
  struct stat St;
  if (::fstat(FD, &St) != 0 || !S_ISREG(St.st_mode)) {
    ::close(FD);
    return createFileError(Path, createStringError(inconvertibleErrorCode(),
                                                   "not a regular file"));
  }
  // The run lock holds the run's whole command line: a control file is
  // readable by whoever may read its directory, not by everyone.
  struct stat Dir;
  if (Mode != ReadOnly && St.st_uid == ::geteuid() &&
      ::stat(sys::path::parent_path(P).str().c_str(), &Dir) == 0)
    ::fchmod(FD, (Dir.st_mode & 0666) | 0600);
  return LockFile(std::move(P), FD);
}

LockFile::LockFile(LockFile &&Other)
    : Path(std::move(Other.Path)), FD(Other.FD) {
  Other.FD = -1;
}

LockFile &LockFile::operator=(LockFile &&Other) {
  if (this != &Other) {
    if (FD >= 0)
      ::close(FD);
    Path = std::move(Other.Path);
    FD = Other.FD;
    Other.FD = -1;
  }
  return *this;
}

LockFile::~LockFile() {
  if (FD >= 0)
    ::close(FD);
}

static struct flock wholeFile(short Type) {
  struct flock L = {};
  L.l_type = Type;
  L.l_whence = SEEK_SET;
  L.l_start = 0;
  L.l_len = 0; // To the end, however large the file grows.
  L.l_pid = 0; // Must be 0 for OFD locks.
  return L;
}

static short lockType(LockKind Kind) {
  return Kind == LockKind::Exclusive ? F_WRLCK : F_RDLCK;
}

Expected<bool> LockFile::tryLock(LockKind Kind) {
  struct flock L = wholeFile(lockType(Kind));
  if (sys::RetryAfterSignal(-1, ::fcntl, FD, F_OFD_SETLK, &L) == 0)
    return true;
  if (errno == EAGAIN || errno == EACCES)
    return false;
  return errnoError(Path, errno);
}

Expected<bool> LockFile::tryLockFor(LockKind Kind,
                                    std::chrono::milliseconds Timeout) {
  // Polling rather than F_OFD_SETLKW: it needs no signal to time out, and
  // publishers hold the lock for milliseconds.
  auto Deadline = std::chrono::steady_clock::now() + Timeout;
  for (;;) {
    Expected<bool> Got = tryLock(Kind);
    if (!Got || *Got)
      return Got;
    if (std::chrono::steady_clock::now() >= Deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Expected<bool> LockFile::isLockedByOther(LockKind Kind) const {
  struct flock L = wholeFile(lockType(Kind));
  if (sys::RetryAfterSignal(-1, ::fcntl, FD, F_OFD_GETLK, &L) != 0)
    return errnoError(Path, errno);
  return L.l_type != F_UNLCK;
}

Error LockFile::unlock() {
  struct flock L = wholeFile(F_UNLCK);
  if (sys::RetryAfterSignal(-1, ::fcntl, FD, F_OFD_SETLK, &L) != 0)
    return errnoError(Path, errno);
  return Error::success();
}

Error LockFile::replaceContents(StringRef Data) {
  if (::ftruncate(FD, 0) != 0)
    return errnoError(Path, errno);
  size_t Done = 0;
  while (Done < Data.size()) {
    ssize_t N = ::pwrite(FD, Data.data() + Done, Data.size() - Done, Done);
    if (N < 0) {
      if (errno == EINTR)
        continue;
      return errnoError(Path, errno);
    }
    Done += N;
  }
  return Error::success();
}

Expected<std::string> LockFile::readContents() const {
  std::string Out;
  char Buf[4096];
  off_t Off = 0;
  for (;;) {
    ssize_t N = ::pread(FD, Buf, sizeof(Buf), Off);
    if (N < 0) {
      if (errno == EINTR)
        continue;
      return errnoError(Path, errno);
    }
    if (N == 0)
      return Out;
    Out.append(Buf, N);
    Off += N;
  }
}

} // namespace covlock
