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

/// The contents of \p Path, which must be a regular file (a symbolic link
/// to one is followed: binaries are found through links). It is opened
/// without blocking and checked before it is read, so a FIFO or a device
/// is an error naming it ("not a regular file").
inline llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef Path, bool NoFollow = false) {
  int FD = ::open(Path.str().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC |
                                          (NoFollow ? O_NOFOLLOW : 0));
  if (FD < 0 && errno == ELOOP && NoFollow)
    return llvm::createFileError(
        Path, llvm::createStringError(llvm::inconvertibleErrorCode(),
                                      "a symbolic link; not followed"));
  if (FD < 0)
    return llvm::createFileError(Path, llvm::errorCodeToError(std::error_code(
                                           errno, std::generic_category())));
  llvm::sys::fs::file_status S;
  std::error_code EC = llvm::sys::fs::status(FD, S);
  if (EC || !llvm::sys::fs::is_regular_file(S)) {
    ::close(FD);
    return llvm::createFileError(
        Path, EC ? llvm::errorCodeToError(EC)
                 : llvm::createStringError(llvm::inconvertibleErrorCode(),
                                           "not a regular file"));
  }
  auto Buf = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(FD), Path, S.getSize(),
      /*RequiresNullTerminator=*/false);
  ::close(FD);
  if (!Buf)
    return llvm::createFileError(Path, llvm::errorCodeToError(Buf.getError()));
  return std::move(*Buf);
}

} // namespace covlock

#endif // COVLOCK_SUPPORT_REGULARFILE_H
