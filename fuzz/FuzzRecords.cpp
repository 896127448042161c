//===- FuzzRecords.cpp - Fuzz the flush record, marker and owner parsers --===//
//
// Any bytes a file in a coverage directory may hold, parsed as each kind of
// record: never a crash, and a record that parses prints back to JSON that
// parses to the same text again.
//
//===----------------------------------------------------------------------===//

#include "covlock/Protocol/Records.h"
#include "llvm/Support/JSON.h"
#include <cstdlib>

using namespace llvm;
using namespace covlock;

template <typename T> static void roundTrip(StringRef Text) {
  Expected<T> R = parseRecord<T>(Text);
  if (!R) {
    consumeError(R.takeError());
    return;
  }
  std::string Once = formatv("{0}", toJSON(*R)).str();
  Expected<T> Again = parseRecord<T>(Once);
  if (!Again || formatv("{0}", toJSON(*Again)).str() != Once)
    abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  StringRef Text(reinterpret_cast<const char *>(Data), Size);
  roundTrip<FlushRecord>(Text);
  roundTrip<BootMarker>(Text);
  roundTrip<OwnerRecord>(Text);
  return 0;
}
