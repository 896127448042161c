//===- KeyEncoderTest.cpp - the tools' keys are the runtime's -------------===//
//
// The tools find a test's directory, and decide whether its key was cut, by
// encoding ids in C++ (covlock::encodeTestKey); the runtime names the
// directory in C (covlockEncodeKey). Both must give the same key for every
// id, and uncut keys must decode back to their id exactly.
//
//===----------------------------------------------------------------------===//

#include "covlock/Protocol/Protocol.h"
#include "gtest/gtest.h"
#include <random>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "CovlockInternal.h"
}

using namespace covlock;

namespace {

std::string runtimeKey(const std::string &Id) {
  char Out[COVLOCK_KEY_MAX + 1];
  covlockEncodeKey(Id.data(), Id.size(), Out);
  return Out;
}

std::string printable(const std::string &Id) {
  std::string S;
  for (unsigned char C : Id) {
    static const char Hex[] = "0123456789abcdef";
    S += Hex[C >> 4];
    S += Hex[C & 15];
  }
  return S;
}

/// Both encoders agree on \p Id, and decoding inverts an uncut key.
void checkId(const std::string &Id) {
  std::string Key = encodeTestKey(Id);
  ASSERT_EQ(Key, runtimeKey(Id)) << "id (hex) " << printable(Id);
  ASSERT_LE(Key.size(), MaxKeyLength);
  std::optional<std::string> Decoded = decodeTestKey(Key);
  bool Cut = Key.find('~') != std::string::npos;
  if (Cut) {
    EXPECT_EQ(Decoded, std::nullopt) << "cut key " << Key;
    // Cut at 143 bytes or up to two before (never inside a %XX), + '~' + 16.
    EXPECT_GE(Key.size(), CutKeyLength - 2 + 17) << Key;
  } else {
    EXPECT_EQ(Decoded, Id) << "key " << Key;
  }
}

TEST(KeyEncoder, SameAsRuntimeOnChosenIds) {
  const std::vector<std::string> Ids = {"a",
                                        "basic.test",
                                        ".",
                                        "..",
                                        "...",
                                        "_",
                                        "__",
                                        "_outside",
                                        ".covlock",
                                        "._",
                                        "_.",
                                        "a.",
                                        "a_",
                                        "-",
                                        "%",
                                        "%25",
                                        "~",
                                        "a~b",
                                        "a b/c",
                                        std::string("\0", 1),
                                        std::string("a\0b", 3),
                                        "\xff\xfe",
                                        "bad\xff\xfeutf8",
                                        "caf\xc3\xa9",
                                        "\x7f",
                                        "calc :: dir/x.test"};
  for (const std::string &Id : Ids)
    checkId(Id);
}

TEST(KeyEncoder, SameAsRuntimeAroundTheCut) {
  // Kept bytes then escaped bytes, with the encoded length crossing 143
  // (the cut) and 160 (the bound) at every alignment of a "%XX".
  for (size_t Kept = 120; Kept <= 165; ++Kept)
    for (size_t Escaped = 0; Escaped <= 16; ++Escaped)
      for (char E : {'/', '\x01', '\xff'}) {
        checkId(std::string(Kept, 'k') + std::string(Escaped, E));
        checkId(std::string(Escaped, E) + std::string(Kept, 'k'));
        checkId("." + std::string(Kept, 'k') + std::string(Escaped, E));
        checkId("_" + std::string(Escaped, E) + std::string(Kept, 'k'));
      }
  for (size_t N = 150; N <= 170; ++N)
    checkId(std::string(N, 'x'));
  checkId(std::string(4000, '\x01'));
  // The key test/llvm-covmerge/identity-cut-key.test makes by hand.
  std::string Cut01;
  for (int I = 0; I != 47; ++I)
    Cut01 += "%01";
  EXPECT_EQ(runtimeKey(std::string(4000, '\x01')), Cut01 + "~d04cc9280a40a745");
  checkId(std::string(8192, 'z'));
}

TEST(KeyEncoder, SameAsRuntimeOnRandomIds) {
  std::mt19937 Rng(20250131);
  // Half from all 256 byte values, half from an alphabet that makes kept
  // bytes, leading '.'/'_' and escapes equally likely.
  const std::string Alphabet = "._-aZ9%~/\x01\xff";
  std::uniform_int_distribution<int> Byte(0, 255), Pick(0, Alphabet.size() - 1);
  std::uniform_int_distribution<size_t> Len(1, 200);
  for (int I = 0; I != 20000; ++I) {
    std::string Id(Len(Rng), '\0');
    for (char &C : Id)
      C = I % 2 ? static_cast<char>(Byte(Rng)) : Alphabet[Pick(Rng)];
    checkId(Id);
    if (HasFatalFailure())
      return;
  }
}

TEST(KeyEncoder, DistinctIdsDistinctKeys) {
  std::mt19937 Rng(7);
  std::uniform_int_distribution<int> Byte(0, 255);
  std::set<std::string> Ids, Keys;
  for (int I = 0; I != 5000; ++I) {
    std::string Id(1 + I % 60, '\0');
    for (char &C : Id)
      C = static_cast<char>(Byte(Rng) % 8 + '-'); // "-./0123456"
    if (Ids.insert(Id).second)
      EXPECT_TRUE(Keys.insert(encodeTestKey(Id)).second) << Id;
  }
}

} // namespace
