//===- GzipProfile.cpp - Packs' profiles and layouts, gzip-compressed -----===//
//
// A pack's profile holds a test's share of a binary: its data records carry
// two random 64-bit hashes per function and its counters are mostly small,
// so gzip takes it to about a fifth, and a layout file (every counter zero)
// to a seventh. gzip, not a format of covlock's own: `gunzip` gives back the
// stock raw profile, which llvm-profdata and llvm-cov read. Its fastest
// level: the compactor runs beside the tests, and level 6 took twice the
// time for a sixth less.
//
// Inflating trusts nothing the file says about its size: output stops at the
// caller's bound.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "ProfileBuffers.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/Support/Endian.h"
#include <cstring>
#include <zlib.h>

using namespace llvm;

namespace covlock {
namespace merge {

namespace {
constexpr int GzipWindowBits = 15 + 16; // 32 KiB window, gzip wrapping
constexpr size_t Chunk = 64 * 1024;

Error zlibError(const Twine &What, const z_stream &S) {
  return createStringError(inconvertibleErrorCode(),
                           What + (S.msg ? Twine(": ") + S.msg : Twine()));
}
} // namespace

bool isGzipProfileName(StringRef Name) { return Name.ends_with(".gz"); }

Expected<std::string> gzipProfile(StringRef Raw) {
  z_stream S{};
  if (deflateInit2(&S, Z_BEST_SPEED, Z_DEFLATED, GzipWindowBits,
                   /*memLevel=*/8, Z_DEFAULT_STRATEGY) != Z_OK)
    return zlibError("cannot start gzip", S);
  std::string Out(deflateBound(&S, Raw.size()), '\0');
  S.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(Raw.data()));
  S.avail_in = Raw.size();
  S.next_out = reinterpret_cast<Bytef *>(Out.data());
  S.avail_out = Out.size();
  int Status = deflate(&S, Z_FINISH);
  Out.resize(S.total_out);
  deflateEnd(&S);
  if (Status != Z_STREAM_END)
    return zlibError("cannot gzip a profile", S);
  return Out;
}

Expected<std::unique_ptr<MemoryBuffer>>
gunzipProfile(StringRef Gzip, StringRef Name, uint64_t MaxSize) {
  z_stream S{};
  if (inflateInit2(&S, GzipWindowBits) != Z_OK)
    return zlibError("cannot start gunzip", S);
  S.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(Gzip.data()));
  S.avail_in = Gzip.size();
  // The gzip trailer's size (modulo 4 GiB) is a hint for the first
  // allocation, never a bound: an honest file is inflated into one buffer
  // of its size, and one byte past the caller's bound says "too big".
  uint64_t Limit = MaxSize + 1;
  uint64_t Hint =
      Gzip.size() >= 4 ? support::endian::read32le(Gzip.end() - 4) : 0;
  size_t Capacity =
      std::min<uint64_t>(std::max<uint64_t>(Hint + 1, Chunk), Limit);
  std::unique_ptr<char[]> Out(new char[Capacity]);
  size_t Have = 0;
  int Status = Z_OK;
  while (Status == Z_OK && Have < Limit) {
    if (Have == Capacity) { // the hint was wrong: grow
      size_t Grown = std::min<uint64_t>(2 * Capacity, Limit);
      std::unique_ptr<char[]> Bigger(new char[Grown]);
      memcpy(Bigger.get(), Out.get(), Have);
      Out = std::move(Bigger);
      Capacity = Grown;
    }
    S.next_out = reinterpret_cast<Bytef *>(Out.get() + Have);
    S.avail_out = Capacity - Have;
    Status = inflate(&S, Z_NO_FLUSH);
    Have = Capacity - S.avail_out;
  }
  bool Trailing = S.avail_in != 0;
  inflateEnd(&S);
  if (Have > MaxSize)
    return createStringError(inconvertibleErrorCode(),
                             "inflates to more than " + Twine(MaxSize) +
                                 " bytes");
  if (Status != Z_STREAM_END)
    return zlibError(
        Status == Z_BUF_ERROR ? "truncated gzip data" : "damaged gzip data", S);
  if (Trailing)
    return createStringError(inconvertibleErrorCode(),
                             "data after the gzip stream");
  return makeOwnedBuffer(std::move(Out), Have, Name.str());
}

Expected<std::unique_ptr<MemoryBuffer>> readProfileFile(StringRef Path,
                                                        uint64_t MaxSize) {
  Expected<std::unique_ptr<MemoryBuffer>> Buf =
      readRegularFile(Path, /*NoFollow=*/true);
  if (!Buf || !isGzipProfileName(Path))
    return Buf;
  Expected<std::unique_ptr<MemoryBuffer>> Raw =
      gunzipProfile((*Buf)->getBuffer(), Path, MaxSize);
  if (!Raw)
    return createFileError(Path, Raw.takeError());
  return Raw;
}

} // namespace merge
} // namespace covlock
