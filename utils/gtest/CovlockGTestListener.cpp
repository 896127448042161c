//===- CovlockGTestListener.cpp - per-test coverage for GoogleTest --------===//
//
// A GoogleTest event listener that makes every test a covlock test: it calls
// covlock_test_begin("Suite.Name") when a test starts and covlock_test_end()
// with its outcome when it ends, so what the test ran (fixture set-up and
// tear-down included) is attributed to it. The id is the name GoogleTest
// prints in "[ RUN      ] Suite.Name", typed and parameterised tests
// included ("TypedSuite/0.Name", "Prefix/Suite.Name/2").
//
// Processes a test starts belong to it: while it runs, COVLOCK_TEST in the
// environment is its id. That covers death tests: "fast" ones fork (the
// child inherits the runtime's test), "threadsafe" ones re-execute the
// binary (GoogleTest forwards no events to listeners in that child; it
// inherits COVLOCK_TEST).
//
// It registers itself from an ELF constructor, so test sources need no
// change: `llvm-covlock link-flags --gtest` links this archive whole, which
// works for binaries that use gtest_main and for those with their own main
// (the listener is appended before main runs; InitGoogleTest keeps it).
// Without COVLOCK_DIR the runtime's calls do nothing.
//
//===----------------------------------------------------------------------===//

#include "covlock/covlock.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

/// Outcomes passed to covlock_test_end (docs/gtest-cmake.md).
enum CovlockGTestOutcome {
  Passed = COVLOCK_OUTCOME_PASS,
  Failed = COVLOCK_OUTCOME_FAIL,
  Skipped = COVLOCK_OUTCOME_SKIP
};

/// COVLOCK_TEST in the environment names the test of the processes a test
/// starts (covlock_test_begin changes only this process's test). While a
/// test runs it is the test's id; between tests, the process's own test
/// (empty: outside tests). The variable is added once, before main, and
/// only replaced afterwards: glibc then never reallocates the environment
/// under a thread reading it.
class ChildTestEnvironment {
public:
  ChildTestEnvironment() {
    const char *Dir = std::getenv("COVLOCK_DIR");
    Enabled = Dir && *Dir;
    if (!Enabled)
      return;
    if (const char *Own = std::getenv("COVLOCK_TEST"))
      OwnTest = Own;
    else
      setenv("COVLOCK_TEST", "", 1);
  }
  void enter(std::string Id) {
    if (!Enabled)
      return;
    // Cut as the runtime cuts it: an environment string over 128 KiB would
    // make every exec of the test fail (E2BIG).
    if (Id.size() > COVLOCK_TEST_ID_MAX) {
      size_t N = COVLOCK_TEST_ID_MAX;
      while (N && (static_cast<unsigned char>(Id[N]) & 0xC0) == 0x80)
        --N;
      Id.resize(N);
    }
    setenv("COVLOCK_TEST", Id.c_str(), 1);
  }
  void leave() {
    if (Enabled)
      setenv("COVLOCK_TEST", OwnTest.c_str(), 1);
  }

private:
  bool Enabled = false;
  std::string OwnTest;
};

class CovlockListener final : public testing::EmptyTestEventListener {
  ChildTestEnvironment Children;

  void OnTestStart(const testing::TestInfo &Info) override {
    std::string Id = Info.test_suite_name();
    Id += '.';
    Id += Info.name();
    covlock_test_begin(Id.c_str());
    Children.enter(Id);
  }

  void OnTestEnd(const testing::TestInfo &Info) override {
    const testing::TestResult *Result = Info.result();
    int Outcome = Passed;
    if (Result->Failed())
      Outcome = Failed;
    else if (Result->Skipped())
      Outcome = Skipped;
    Children.leave();
    covlock_test_end(Outcome);
  }
};

/// Appends the listener before main. Listeners are called in order at a
/// test's start and in reverse order at its end; the default printer is
/// installed when GoogleTest's UnitTest is created (at the latest here), so
/// it prints "[ RUN ]" before the test begins and its result after the test
/// ends: only the test's own code counts for it.
__attribute__((constructor)) void registerCovlockListener() {
  testing::UnitTest::GetInstance()->listeners().Append(new CovlockListener);
}

} // namespace
