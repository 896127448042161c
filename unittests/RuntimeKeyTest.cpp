//===- RuntimeKeyTest.cpp - test ids to directory names ------------------===//
//
// The key encoding of docs/protocol.md: keys stay inside DIR and distinct
// ids get distinct keys.
//
//===----------------------------------------------------------------------===//

extern "C" {
#include "CovlockInternal.h"
}

#include <gtest/gtest.h>
#include <set>
#include <string>

namespace {

std::string key(const std::string &Id) {
  char Out[COVLOCK_KEY_MAX + 1];
  covlockEncodeKey(Id.data(), Id.size(), Out);
  return Out;
}

TEST(RuntimeKey, KeepsPlainNames) {
  EXPECT_EQ(key("basic.test"), "basic.test");
  EXPECT_EQ(key("a-b_c.9"), "a-b_c.9");
}

TEST(RuntimeKey, EscapesSeparatorsAndSpaces) {
  EXPECT_EQ(key("calc :: dir/x.test"), "calc%20%3A%3A%20dir%2Fx.test");
  EXPECT_EQ(key("100%"), "100%25");
}

TEST(RuntimeKey, NeverHiddenOrReserved) {
  EXPECT_EQ(key(".."), "%2E.");
  EXPECT_EQ(key("."), "%2E");
  EXPECT_EQ(key(".covlock"), "%2Ecovlock");
  EXPECT_EQ(key("_outside"), "%5Foutside");
  EXPECT_EQ(key("../../etc"), "%2E.%2F..%2Fetc");
  EXPECT_EQ(key("/abs"), "%2Fabs");
}

TEST(RuntimeKey, ControlAndNonUtf8Bytes) {
  EXPECT_EQ(key(std::string("a\nb\x01", 4)), "a%0Ab%01");
  EXPECT_EQ(key("\xff\xfe"), "%FF%FE");
  EXPECT_EQ(key("\xc3\xa9"), "%C3%A9");
}

TEST(RuntimeKey, LongIdsAreCutWithAHash) {
  std::string A(4096, 'a'), B = A;
  B[4000] = 'b';
  std::string KA = key(A), KB = key(B);
  EXPECT_EQ(KA.size(), size_t(COVLOCK_KEY_MAX));
  EXPECT_EQ(KA.substr(0, 143), std::string(143, 'a'));
  EXPECT_EQ(KA[143], '~');
  EXPECT_NE(KA, KB);
  // Exactly at the bound: kept whole.
  EXPECT_EQ(key(std::string(160, 'x')), std::string(160, 'x'));
  EXPECT_EQ(key(std::string(161, 'x')).size(), size_t(COVLOCK_KEY_MAX));
}

TEST(RuntimeKey, NeverCutsInsideAnEscape) {
  // 142 kept bytes and then escapes: the cut must not split "%2F".
  std::string Id = std::string(142, 'k') + std::string(40, '/');
  std::string K = key(Id);
  EXPECT_EQ(K.substr(0, 142), std::string(142, 'k'));
  EXPECT_EQ(K[142], '~');
}

TEST(RuntimeKey, DistinctIdsDistinctKeys) {
  std::set<std::string> Keys;
  const char *Ids[] = {"a",    "A",  "a/b",  "a%2Fb", "a b",  "a_b", "_a",
                       "%5Fa", ".a", "%2Ea", "..",    "%2E.", ""};
  for (const char *Id : Ids)
    EXPECT_TRUE(Keys.insert(key(Id)).second) << Id;
}

} // namespace
