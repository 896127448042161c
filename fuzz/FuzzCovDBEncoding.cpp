//===- FuzzCovDBEncoding.cpp - Fuzz the covdb blob decoders ---------------===//
//
// Blobs read from a coverage database (line bitmaps, region lists) are
// untrusted: decoding never crashes, and what decodes encodes back to a
// blob that decodes to the same members.
//
//===----------------------------------------------------------------------===//

#include "covlock/CovDB/Encoding.h"
#include <cstdlib>

using namespace llvm;
using namespace covlock;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  StringRef Blob(reinterpret_cast<const char *>(Data), Size);
  if (std::optional<std::vector<uint32_t>> Lines =
          covdb::decodeBitmapChecked(Blob)) {
    if (covdb::decodeBitmapChecked(covdb::encodeBitmap(*Lines)) != *Lines)
      abort();
    if (covdb::countBits(Blob) != Lines->size())
      abort();
    for (size_t I = 0; I < Lines->size() && I < 64; ++I)
      if (!covdb::testBit(Blob, (*Lines)[I]))
        abort();
  }
  // The whole-blob bit test agrees with decoding on what is malformed.
  if (covdb::testBitChecked(Blob, 12).has_value() !=
      covdb::decodeBitmapChecked(Blob).has_value())
    abort();
  Expected<std::vector<RegionSpan>> Regions = covdb::decodeRegions(Blob);
  if (!Regions)
    consumeError(Regions.takeError());
  return 0;
}
