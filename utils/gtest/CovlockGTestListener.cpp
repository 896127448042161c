//===- CovlockGTestListener.cpp - per-test coverage for GoogleTest --------===//
//
// A GoogleTest event listener that makes every test a covlock test: it calls
// covlock_test_begin("Suite.Name") when a test starts and covlock_test_end()
// with its outcome when it ends, so what the test ran (fixture set-up and
// tear-down included) is attributed to it. The id is the name GoogleTest
// prints in "[ RUN      ] Suite.Name", typed and parameterised tests
// included ("TypedSuite/0.Name", "Prefix/Suite.Name/2").
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

#include <cstring>
#include <string>

namespace {

/// Outcomes passed to covlock_test_end (docs/gtest-cmake.md).
enum CovlockGTestOutcome { Passed = 0, Failed = 1, Skipped = 2 };

class CovlockListener final : public testing::EmptyTestEventListener {
  void OnTestStart(const testing::TestInfo &Info) override {
    std::string Id = Info.test_suite_name();
    Id += '.';
    Id += Info.name();
    covlock_test_begin(Id.c_str());
  }

  void OnTestEnd(const testing::TestInfo &Info) override {
    const testing::TestResult *Result = Info.result();
    int Outcome = Passed;
    if (Result->Failed())
      Outcome = Failed;
    else if (Result->Skipped())
      Outcome = Skipped;
    covlock_test_end(Outcome);
  }
};

/// The test a death test's child process runs, or null. A "threadsafe"
/// death test re-executes the binary with its arguments followed by
/// --gtest_filter=Suite.Name and --gtest_internal_run_death_test=...;
/// GoogleTest forwards no events to listeners in that child, so the child
/// is put in its test from the start. ("fast" death tests fork: the child
/// inherits the test the runtime is in.)
const char *deathTestChildTest(int Argc, char **Argv) {
  static const char Filter[] = "--gtest_filter=";
  static const char Internal[] = "--gtest_internal_run_death_test=";
  const char *Test = nullptr;
  bool InChild = false;
  for (int I = 1; I < Argc && Argv[I]; ++I) {
    if (std::strncmp(Argv[I], Filter, sizeof(Filter) - 1) == 0)
      Test = Argv[I] + sizeof(Filter) - 1;
    else if (std::strncmp(Argv[I], Internal, sizeof(Internal) - 1) == 0)
      InChild = true;
  }
  return InChild ? Test : nullptr;
}

/// Appends the listener before main; glibc passes main's arguments to ELF
/// constructors. Listeners are called in order at a test's start and in
/// reverse order at its end; the default printer is installed when
/// GoogleTest's UnitTest is created (at the latest here), so it prints
/// "[ RUN ]" before the test begins and its result after the test ends:
/// only the test's own code counts for it.
__attribute__((constructor)) void registerCovlockListener(int Argc, char **Argv,
                                                          char **) {
  if (const char *Test = deathTestChildTest(Argc, Argv))
    covlock_test_begin(Test);
  testing::UnitTest::GetInstance()->listeners().Append(new CovlockListener);
}

} // namespace
