// A test that starts a program (SAMPLE_HELPER, through the shell), and a
// main that starts it again after the tests.
#include <cstdlib>
#include <gtest/gtest.h>

static int runHelper() { return std::system(std::getenv("SAMPLE_HELPER")); }

TEST(Spawn, Helper) { EXPECT_EQ(runHelper(), 0); }

int main(int argc, char **argv) {
  testing::InitGoogleTest(&argc, argv);
  int Status = RUN_ALL_TESTS();
  return Status | runHelper();
}
