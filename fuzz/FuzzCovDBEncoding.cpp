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
    // Intersecting with ranges keeps exactly the members inside them.
    static const covdb::LineRange Ranges[] = {
        {0, 0}, {3, 9}, {12, 12}, {40, 2000}, {5000, 0xffffffffu}};
    std::vector<uint32_t> Inside;
    for (uint32_t N : *Lines)
      for (const covdb::LineRange &R : Ranges)
        if (R.First <= N && N <= R.Last)
          Inside.push_back(N);
    if (covdb::intersectBitmapChecked(Blob, Ranges) != Inside)
      abort();
  }
  if (covdb::intersectBitmapChecked(Blob, {{7, 7}}).has_value() !=
      covdb::decodeBitmapChecked(Blob).has_value())
    abort();
  // The whole-blob bit test agrees with decoding on what is malformed.
  if (covdb::testBitChecked(Blob, 12).has_value() !=
      covdb::decodeBitmapChecked(Blob).has_value())
    abort();
  Expected<std::vector<RegionSpan>> Regions = covdb::decodeRegions(Blob);
  if (!Regions)
    consumeError(Regions.takeError());
  return 0;
}
