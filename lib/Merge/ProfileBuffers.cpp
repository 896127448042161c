//===- ProfileBuffers.cpp - Reading profiles into kept buffers ------------===//

#include "ProfileBuffers.h"
#include "DirFD.h"
#include "Merger.h"
#include <algorithm>
#include <mutex>
#include <sys/stat.h>
#include <vector>

using namespace llvm;

namespace covlock {
namespace merge {

namespace {
/// Memory that a buffer borrows from the pool.
struct Block {
  std::unique_ptr<char[]> Bytes;
  size_t Capacity = 0;
};
constexpr size_t MaxPooledFile = size_t(256) << 20;
/// Buffers kept while unused: a round holds one per binary of a test, and
/// tests seldom run more than a few binaries.
constexpr size_t MaxFreeBlocks = 8;
} // namespace

struct ProfileBufferPool::Shared {
  std::mutex Lock;
  std::vector<Block> Blocks;

  /// A block of at least \p Size bytes: the smallest free one that fits,
  /// if it is at most twice that (and a page). A binary's layout keeps the
  /// block of its first profile for the whole run: a small binary's must
  /// not keep a big one's block (200 MiB each, once).
  Block take(size_t Size) {
    std::lock_guard<std::mutex> G(Lock);
    auto Best = Blocks.end();
    for (auto I = Blocks.begin(); I != Blocks.end(); ++I)
      if (I->Capacity >= Size && I->Capacity <= 2 * Size + 4096 &&
          (Best == Blocks.end() || I->Capacity < Best->Capacity))
        Best = I;
    if (Best == Blocks.end())
      return {std::unique_ptr<char[]>(new char[std::max<size_t>(Size, 1)]),
              Size};
    Block B = std::move(*Best);
    Blocks.erase(Best);
    return B;
  }

  void give(Block B) {
    std::lock_guard<std::mutex> G(Lock);
    if (Blocks.size() < MaxFreeBlocks)
      Blocks.push_back(std::move(B));
  }
};

namespace {
class PooledBuffer final : public MemoryBuffer {
public:
  PooledBuffer(std::weak_ptr<ProfileBufferPool::Shared> Pool, Block B,
               size_t Size, std::string Name)
      : Pool(std::move(Pool)), B(std::move(B)), Name(std::move(Name)) {
    init(this->B.Bytes.get(), this->B.Bytes.get() + Size,
         /*RequiresNullTerminator=*/false);
  }
  ~PooledBuffer() override {
    if (auto P = Pool.lock())
      P->give(std::move(B));
  }
  StringRef getBufferIdentifier() const override { return Name; }
  BufferKind getBufferKind() const override { return MemoryBuffer_Malloc; }

private:
  std::weak_ptr<ProfileBufferPool::Shared> Pool;
  Block B;
  std::string Name;
};
} // namespace

std::unique_ptr<MemoryBuffer> makeOwnedBuffer(std::unique_ptr<char[]> Bytes,
                                              size_t Size, std::string Name) {
  return std::make_unique<PooledBuffer>(
      std::weak_ptr<ProfileBufferPool::Shared>(), Block{std::move(Bytes), Size},
      Size, std::move(Name));
}

ProfileBufferPool::ProfileBufferPool() : Free(std::make_shared<Shared>()) {}
ProfileBufferPool::~ProfileBufferPool() = default;

Expected<std::unique_ptr<MemoryBuffer>>
ProfileBufferPool::read(const DirFD &Dir, StringRef Name) {
  std::string Path = Dir.path(Name);
  int FD = ::openat(Dir.fd(), Name.str().c_str(),
                    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (FD < 0 && errno == ELOOP)
    return createFileError(Path,
                           createStringError(inconvertibleErrorCode(),
                                             "a symbolic link; not followed"));
  if (FD < 0)
    return errnoError(Path);
  auto Close = make_scope_exit([&] { ::close(FD); });
  struct stat St;
  if (::fstat(FD, &St) != 0)
    return errnoError(Path);
  if (!S_ISREG(St.st_mode))
    return createFileError(Path, createStringError(inconvertibleErrorCode(),
                                                   "not a regular file"));
  // A profile over 1 GiB would need a layout file the compactor does not
  // write: it is left for the merge. Nothing is mapped: a file cut short
  // under a mapping kills the process that touches the lost pages (a
  // layout keeps its first profile for the whole run).
  if (uint64_t(St.st_size) > MaxLayoutBytes)
    return createFileError(Path,
                           createStringError(inconvertibleErrorCode(),
                                             "over 1 GiB; not compacted"));
  size_t Size = St.st_size;
  bool Pooled = Size <= MaxPooledFile;
  Block B = Pooled ? Free->take(Size)
                   : Block{std::unique_ptr<char[]>(new char[Size]), Size};
  for (size_t Done = 0; Done < Size;) {
    ssize_t N = ::pread(FD, B.Bytes.get() + Done, Size - Done, Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0) {
      Error E = N < 0 ? errnoError(Path)
                      : createFileError(
                            Path, createStringError(inconvertibleErrorCode(),
                                                    "shrank while read"));
      if (Pooled)
        Free->give(std::move(B));
      return std::move(E);
    }
    Done += N;
  }
  // A big buffer is not kept for the next file.
  if (!Pooled)
    return makeOwnedBuffer(std::move(B.Bytes), Size, std::move(Path));
  return std::make_unique<PooledBuffer>(Free, std::move(B), Size,
                                        std::move(Path));
}

} // namespace merge
} // namespace covlock
