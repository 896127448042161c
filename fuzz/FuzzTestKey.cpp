//===- FuzzTestKey.cpp - Fuzz the test-key encoding -----------------------===//
//
// Keys are directory names read from disk. Decoding any name never crashes,
// and the encoding is injective and exact where it claims to be: a key that
// decodes encodes back to itself, and every id's key is a safe directory
// name that decodes back to the id unless it was cut.
//
//===----------------------------------------------------------------------===//

#include "covlock/Protocol/Protocol.h"
#include <cstdlib>

using namespace llvm;
using namespace covlock;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  StringRef Bytes(reinterpret_cast<const char *>(Data), Size);
  if (std::optional<std::string> Id = decodeTestKey(Bytes))
    if (encodeTestKey(*Id) != Bytes)
      abort();
  std::string Key = encodeTestKey(Bytes);
  if (Key.empty() || Key == "." || Key == ".." ||
      Key.find('/') != std::string::npos || Key.size() > 160)
    abort();
  std::optional<std::string> Back = decodeTestKey(Key);
  if (Back && *Back != Bytes)
    abort();
  return 0;
}
