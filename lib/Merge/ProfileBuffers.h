//===- ProfileBuffers.h - Reading profiles into kept buffers ----*- C++ -*-===//
//
// The compactor reads every raw profile a suite publishes, once, while the
// suite runs. Mapping each one costs a page fault per stretch of pages
// touched and a TLB flush when it is unmapped; on a virtual machine those
// cost far more than the copy a read() makes into memory whose pages are
// already there. So profiles are read into buffers kept for the next one.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_MERGE_PROFILEBUFFERS_H
#define COVLOCK_LIB_MERGE_PROFILEBUFFERS_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <memory>
#include <string>

namespace covlock {
namespace merge {

class DirFD;

/// A buffer owning \p Bytes, of which the first \p Size are its contents
/// (allocated uninitialized, the pages of a capacity never reached are
/// never touched), named \p Name.
std::unique_ptr<llvm::MemoryBuffer>
makeOwnedBuffer(std::unique_ptr<char[]> Bytes, size_t Size, std::string Name);

class ProfileBufferPool {
public:
  ProfileBufferPool();
  ~ProfileBufferPool();

  /// The contents of regular file \p Name of \p Dir (a symbolic link is
  /// not followed; a FIFO or a device is an error naming the file). Files
  /// up to 256 MiB are read into a kept buffer, which goes back to the pool
  /// when the returned buffer is destroyed (it may outlive the pool); a
  /// bigger one, up to 1 GiB, into a buffer of its own. Nothing is mapped.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
  read(const DirFD &Dir, llvm::StringRef Name);

  struct Shared;

private:
  std::shared_ptr<Shared> Free;
};

} // namespace merge
} // namespace covlock

#endif // COVLOCK_LIB_MERGE_PROFILEBUFFERS_H
