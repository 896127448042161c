//===- covlock/Protocol/Outcome.h - How test ends went ----------*- C++ -*-===//
//
// The outcomes of test ends: covlock_test_end(outcome), kept as "outcome" in
// the flush record of the test that ended. `llvm-covlock status` counts them
// per test key, the merge per context (and the covdb stores the counts);
// both classify and show them here, so the tools agree. Header-only: the
// covdb library uses it without linking the protocol's.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_PROTOCOL_OUTCOME_H
#define COVLOCK_PROTOCOL_OUTCOME_H

#include "llvm/Support/MathExtras.h"
#include <cstdint>
#include <string>

namespace covlock {

/// Test ends counted by outcome: 0 passed, 2 skipped (COVLOCK_OUTCOME_SKIP,
/// GoogleTest's GTEST_SKIP), anything else failed (covlock/covlock.h).
struct TestOutcomes {
  uint64_t Passed = 0, Failed = 0, Skipped = 0;

  void add(int64_t Outcome) {
    uint64_t &N = Outcome == 0 ? Passed : Outcome == 2 ? Skipped : Failed;
    N = llvm::SaturatingAdd(N, uint64_t(1));
  }
  void add(const TestOutcomes &O) {
    Passed = llvm::SaturatingAdd(Passed, O.Passed);
    Failed = llvm::SaturatingAdd(Failed, O.Failed);
    Skipped = llvm::SaturatingAdd(Skipped, O.Skipped);
  }
  uint64_t ends() const {
    return llvm::SaturatingAdd(llvm::SaturatingAdd(Passed, Failed), Skipped);
  }

  /// What the tables show: "-" when no end was recorded (a test that is a
  /// process of its own: lit, CTest), "FAIL" when its one end failed and
  /// "FAIL n/m" when n of its m ends did (--gtest_repeat, retries), else
  /// "pass" when an end passed, else "skip".
  std::string summary() const {
    if (!ends())
      return "-";
    if (Failed)
      return ends() == 1 ? "FAIL"
                         : "FAIL " + std::to_string(Failed) + "/" +
                               std::to_string(ends());
    return Passed ? "pass" : "skip";
  }
};

} // namespace covlock

#endif // COVLOCK_PROTOCOL_OUTCOME_H
