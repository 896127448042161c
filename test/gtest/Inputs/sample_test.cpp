// GoogleTest tests of every kind whose names the covlock listener must give
// exactly as GoogleTest prints them. Compiled without coverage: the harness,
// not the code under test (code.cpp).
#include "code.h"
#include <gtest/gtest.h>

TEST(Math, Add) {
  EXPECT_EQ(add(1, 2), 3);
  counted();
}

TEST(Math, Fails) {
  EXPECT_EQ(add(1, 1), 3) << "fails on purpose";
}

TEST(Math, Skipped) {
  GTEST_SKIP() << "skipped on purpose";
}

template <typename T> class Typed : public testing::Test {};
using TypedTypes = testing::Types<int, long>;
TYPED_TEST_SUITE(Typed, TypedTypes);
TYPED_TEST(Typed, Zero) { EXPECT_EQ(twice(0), 0); }

class Param : public testing::TestWithParam<int> {};
TEST_P(Param, Even) { EXPECT_TRUE(isEven(GetParam())); }
INSTANTIATE_TEST_SUITE_P(Small, Param, testing::Values(2, 4));

// crash() runs only in the death test's child process.
TEST(Death, Dies) { EXPECT_DEATH(crash(), ""); }
