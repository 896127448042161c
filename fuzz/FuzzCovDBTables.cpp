//===- FuzzCovDBTables.cpp - Fuzz the covdb function tables and counters --===//
//
// A binary's function table and a context's sparse counters, as a hostile
// coverage database may hold them: the first two bytes (little-endian) say
// where the table ends and the counters begin. Decoding never crashes nor
// allocates past the bounds of Encoding.h; a table that decodes encodes to
// one that decodes to the same layout, and counters that decode encode
// back to the same counters.
//
//===----------------------------------------------------------------------===//

#include "covlock/CovDB/Encoding.h"
#include <cstdlib>

using namespace llvm;
using namespace covlock;

static bool sameLayout(const BinaryLayout &A, const BinaryLayout &B) {
  if (A.NumCounters != B.NumCounters || A.NumBitmapBytes != B.NumBitmapBytes ||
      A.Functions.size() != B.Functions.size())
    return false;
  for (size_t I = 0; I != A.Functions.size(); ++I) {
    const LayoutFunction &F = A.Functions[I], &G = B.Functions[I];
    if (F.Name != G.Name || F.Hash != G.Hash || F.NameRef != G.NameRef ||
        F.NumCounters != G.NumCounters ||
        F.NumBitmapBytes != G.NumBitmapBytes ||
        F.FirstCounter != G.FirstCounter ||
        F.FirstBitmapByte != G.FirstBitmapByte)
      return false;
  }
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  if (Size < 2)
    return 0;
  StringRef Input(reinterpret_cast<const char *>(Data) + 2, Size - 2);
  size_t Split = std::min<size_t>(Data[0] | Data[1] << 8, Input.size());
  StringRef Table = Input.take_front(Split), Sparse = Input.drop_front(Split);

  BinaryLayout Layout;
  if (Error E = covdb::decodeFunctions(Table, Layout)) {
    consumeError(std::move(E));
    return 0;
  }
  if (Layout.NumCounters > covdb::MaxLayoutCounters ||
      Layout.NumBitmapBytes > covdb::MaxLayoutBitmapBytes)
    abort();
  BinaryLayout Again;
  if (Error E = covdb::decodeFunctions(covdb::encodeFunctions(Layout), Again))
    abort();
  if (!sameLayout(Layout, Again))
    abort();

  // Dense counters of a layout this size are allocated by the decoder
  // (up to 2 GiB by design); the harness keeps to layouts it can afford
  // thousands of times a second.
  if (Layout.NumCounters + Layout.NumBitmapBytes > (1u << 20))
    return 0;
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;
  if (Error E = covdb::decodeSparse(Sparse, Layout, Counters, Bitmap)) {
    consumeError(std::move(E));
    return 0;
  }
  if (Counters.size() != Layout.NumCounters ||
      Bitmap.size() != Layout.NumBitmapBytes)
    abort();
  std::vector<uint64_t> Counters2;
  std::vector<uint8_t> Bitmap2;
  if (Error E = covdb::decodeSparse(covdb::encodeSparse(Counters, Bitmap),
                                    Layout, Counters2, Bitmap2))
    abort();
  if (Counters2 != Counters || Bitmap2 != Bitmap)
    abort();
  return 0;
}
