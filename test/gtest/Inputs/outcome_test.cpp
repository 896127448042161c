// One GoogleTest test that passes and one that fails: the listener passes
// their results to covlock_test_end, and the tools show them.
#include "code.h"
#include <gtest/gtest.h>

TEST(Outcome, Passes) { EXPECT_EQ(add(2, 2), 4); }

TEST(Outcome, Fails) { EXPECT_EQ(twice(2), 5) << "fails on purpose"; }
