//===- FuzzRawProfile.cpp - Fuzz the bulk path's raw profile checks -------===//
//
// The merge's bulk path reads raw profile headers and data records itself,
// trusting nothing: any bytes give a view whose sections lie inside the
// buffer, or none.
//
//===----------------------------------------------------------------------===//

#include "covlock/Merge/RawProfile.h"
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace llvm;
using namespace covlock;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  // Aligned, as a mapped file is.
  std::vector<uint64_t> Aligned((Size + 7) / 8);
  if (Size)
    memcpy(Aligned.data(), Data, Size);
  StringRef Buffer(reinterpret_cast<const char *>(Aligned.data()), Size);
  looksLikeRawProfile(Buffer);
  std::optional<RawProfileView> V = viewRawProfile(Buffer);
  if (!V)
    return 0;
  if (V->CountersOffset + V->NumCounters * 8 > Size ||
      V->BitmapOffset + V->NumBitmapBytes > Size)
    abort();
  uint64_t Sum = 0;
  for (uint64_t I = 0; I < V->NumCounters; ++I)
    Sum += V->counters()[I];
  for (uint64_t I = 0; I < V->NumData; ++I)
    if (std::optional<RawDataRecord> R = decodeDataRecord(*V, I))
      if (R->FirstCounter + R->NumCounters > V->NumCounters)
        abort();
  if (!haveSameLayout(*V, *V))
    abort();
  (void)layoutKey(*V);
  (void)V->firstBinaryId();
  return Sum == 42; // keep the loop
}
