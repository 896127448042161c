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

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <memory>
#include <optional>
#include <string>

namespace covlock {
namespace merge {

class DirFD;

/// A buffer owning \p Bytes, of which the first \p Size are its contents
/// (allocated uninitialized, the pages of a capacity never reached are
/// never touched), named \p Name.
std::unique_ptr<llvm::MemoryBuffer>
makeOwnedBuffer(std::unique_ptr<char[]> Bytes, size_t Size, std::string Name);

/// Bytes [Offset, Offset + Size) of a file.
struct ByteRange {
  uint64_t Offset = 0, Size = 0;
};

/// Given a file's first bytes (up to RawHeadBytes) and its size, the ranges
/// of it to read, or none to read all of it.
using PickRanges =
    llvm::function_ref<std::optional<llvm::SmallVector<ByteRange, 2>>(
        llvm::StringRef Head, uint64_t Size)>;

class ProfileBufferPool {
public:
  ProfileBufferPool();
  ~ProfileBufferPool();

  /// The contents of regular file \p Name of \p Dir (a symbolic link is
  /// not followed; a FIFO or a device is an error naming the file). Files
  /// up to 256 MiB are read into a kept buffer, which goes back to the pool
  /// when the returned buffer is destroyed (it may outlive the pool); a
  /// bigger one, up to 1 GiB, into a buffer of its own. Nothing is mapped.
  /// With \p Pick, only the file's head and the ranges it picks are read:
  /// the buffer's other bytes are unspecified.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
  read(const DirFD &Dir, llvm::StringRef Name, PickRanges Pick = nullptr);

  struct Shared;

private:
  std::shared_ptr<Shared> Free;
};

} // namespace merge
} // namespace covlock

#endif // COVLOCK_LIB_MERGE_PROFILEBUFFERS_H
