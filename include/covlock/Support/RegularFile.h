//===- covlock/Support/RegularFile.h - Reading a file that must be one -*-===//
//
// Binaries named by flush records or databases are opened by paths a
// hostile input chooses: a FIFO there must not hang a tool, nor /dev/zero
// make it read without end.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_SUPPORT_REGULARFILE_H
#define COVLOCK_SUPPORT_REGULARFILE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace covlock {

/// Opens \p Path, which must be a regular file (a symbolic link to one is
/// followed unless \p NoFollow), without blocking, and checks it before
/// anything is read: a FIFO or a device is an error naming it ("not a
/// regular file"). The descriptor, which the caller closes; \p Status
/// gets the file's status.
inline llvm::Expected<int> openRegularFile(llvm::StringRef Path, bool NoFollow,
                                           llvm::sys::fs::file_status &Status) {
  int FD = ::open(Path.str().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC |
                                          (NoFollow ? O_NOFOLLOW : 0));
  if (FD < 0 && errno == ELOOP && NoFollow)
    return llvm::createFileError(
        Path, llvm::createStringError(llvm::inconvertibleErrorCode(),
                                      "a symbolic link; not followed"));
  if (FD < 0)
    return llvm::createFileError(Path, llvm::errorCodeToError(std::error_code(
                                           errno, std::generic_category())));
  std::error_code EC = llvm::sys::fs::status(FD, Status);
  if (EC || !llvm::sys::fs::is_regular_file(Status)) {
    ::close(FD);
    return llvm::createFileError(
        Path, EC ? llvm::errorCodeToError(EC)
                 : llvm::createStringError(llvm::inconvertibleErrorCode(),
                                           "not a regular file"));
  }
  return FD;
}

/// The contents of \p Path, which must be a regular file (openRegularFile).
inline llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef Path, bool NoFollow = false) {
  llvm::sys::fs::file_status S;
  llvm::Expected<int> FD = openRegularFile(Path, NoFollow, S);
  if (!FD)
    return FD.takeError();
  auto Buf = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(*FD), Path, S.getSize(),
      /*RequiresNullTerminator=*/false);
  ::close(*FD);
  if (!Buf)
    return llvm::createFileError(Path, llvm::errorCodeToError(Buf.getError()));
  return std::move(*Buf);
}

} // namespace covlock

#endif // COVLOCK_SUPPORT_REGULARFILE_H
