//===- OutcomeTest.cpp - Test ends by outcome, as the tools show them -----===//

#include "covlock/Protocol/Outcome.h"
#include "gtest/gtest.h"
#include <cstdint>

using namespace covlock;

namespace {

TestOutcomes of(std::initializer_list<int64_t> Ends) {
  TestOutcomes O;
  for (int64_t E : Ends)
    O.add(E);
  return O;
}

TEST(OutcomeTest, Classify) {
  TestOutcomes O = of({0, 1, 2, 3, -1, INT64_MAX, 0});
  EXPECT_EQ(O.Passed, 2u);
  EXPECT_EQ(O.Skipped, 1u);
  EXPECT_EQ(O.Failed, 4u);
  EXPECT_EQ(O.ends(), 7u);
}

TEST(OutcomeTest, Summary) {
  EXPECT_EQ(of({}).summary(), "-");
  EXPECT_EQ(of({0}).summary(), "pass");
  EXPECT_EQ(of({0, 0, 0}).summary(), "pass");
  EXPECT_EQ(of({2}).summary(), "skip");
  EXPECT_EQ(of({0, 2}).summary(), "pass");
  EXPECT_EQ(of({3}).summary(), "FAIL");
  EXPECT_EQ(of({1, 1}).summary(), "FAIL 2/2");
  EXPECT_EQ(of({0, 1, 0}).summary(), "FAIL 1/3");
  EXPECT_EQ(of({2, 1}).summary(), "FAIL 1/2");
}

TEST(OutcomeTest, AddSaturates) {
  TestOutcomes A;
  A.Passed = UINT64_MAX;
  A.add(0);
  EXPECT_EQ(A.Passed, UINT64_MAX);
  TestOutcomes B = of({0, 1, 2});
  A.add(B);
  EXPECT_EQ(A.Passed, UINT64_MAX);
  EXPECT_EQ(A.Failed, 1u);
  EXPECT_EQ(A.Skipped, 1u);
  EXPECT_EQ(A.ends(), UINT64_MAX);
}

} // namespace
