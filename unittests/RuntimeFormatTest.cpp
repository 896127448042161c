//===- RuntimeFormatTest.cpp - async-signal-safe formatting --------------===//

extern "C" {
#include "CovlockInternal.h"
}

#include <gtest/gtest.h>
#include <string>

namespace {

std::string json(const std::string &S, int *Valid = nullptr) {
  char Data[256];
  CovlockBuf B;
  covlockBufInit(&B, Data, sizeof(Data));
  int V = covlockPutJsonStr(&B, S.data(), S.size());
  if (Valid)
    *Valid = V;
  EXPECT_EQ(covlockBufFinish(&B), 0);
  return std::string(Data, B.Len);
}

TEST(RuntimeFormat, Numbers) {
  char Data[64];
  CovlockBuf B;
  covlockBufInit(&B, Data, sizeof(Data));
  covlockPutU64(&B, 0);
  covlockPutStr(&B, " ");
  covlockPutU64(&B, 18446744073709551615ull);
  covlockPutStr(&B, " ");
  covlockPutI64(&B, -9223372036854775807ll - 1);
  ASSERT_EQ(covlockBufFinish(&B), 0);
  EXPECT_STREQ(Data, "0 18446744073709551615 -9223372036854775808");
}

TEST(RuntimeFormat, JsonEscapes) {
  EXPECT_EQ(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json(std::string("\n\x01\x7f", 3)), "\"\\u000a\\u0001\\u007f\"");
}

TEST(RuntimeFormat, Utf8KeptInvalidReplaced) {
  int Valid = 0;
  EXPECT_EQ(json("caf\xc3\xa9", &Valid), "\"caf\xc3\xa9\"");
  EXPECT_EQ(Valid, 1);
  EXPECT_EQ(json("\xff"
                 "a",
                 &Valid),
            "\"\\ufffda\"");
  EXPECT_EQ(Valid, 0);
  // Overlong encodings and surrogates are not valid UTF-8.
  EXPECT_EQ(json("\xc0\xaf", &Valid), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(json("\xed\xa0\x80", &Valid), "\"\\ufffd\\ufffd\\ufffd\"");
}

TEST(RuntimeFormat, OverflowIsReportedNotWritten) {
  char Data[8];
  CovlockBuf B;
  covlockBufInit(&B, Data, sizeof(Data));
  covlockPutStr(&B, "1234567");
  EXPECT_EQ(B.Overflow, 0);
  covlockPutStr(&B, "8");
  EXPECT_EQ(covlockBufFinish(&B), 1);
  EXPECT_STREQ(Data, "1234567");
}

} // namespace
