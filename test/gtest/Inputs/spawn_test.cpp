// A test that starts a program (SAMPLE_HELPER, through the shell), and a
// main that starts it again after the tests. With SAMPLE_LONG set, one more
// test whose name is over 128 KiB, with a UTF-8 character across the id's
// limit, starts it too.
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>

static int runHelper() { return std::system(std::getenv("SAMPLE_HELPER")); }

TEST(Spawn, Helper) { EXPECT_EQ(runHelper(), 0); }

int main(int argc, char **argv) {
  testing::InitGoogleTest(&argc, argv);
  if (std::getenv("SAMPLE_LONG")) {
    static const std::string Name =
        std::string(8185, 'a') + "\xc3\xa9" + std::string(140000, 'b');
    testing::RegisterTest("Long", Name.c_str(), nullptr, nullptr, __FILE__,
                          __LINE__, []() -> testing::Test * {
                            struct T : testing::Test {
                              void TestBody() override {
                                EXPECT_EQ(runHelper(), 0);
                              }
                            };
                            return new T;
                          });
  }
  int Status = RUN_ALL_TESTS();
  return Status | runHelper();
}
