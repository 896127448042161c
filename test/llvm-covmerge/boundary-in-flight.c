// A test boundary inside a function in flight: covlock_test_begin resets
// the counters after main's entry was counted and before its branch was.
// In test t the code after the if is "entry minus branch" = 0 - 1, which
// llvm-cov shows as 18446744073709551615 on t's own profile. Attribution
// clamps such a negative region to zero: the line did not run in t, and no
// test is said to cover it.
//
// RUN: %cc_covlock %s -o %t
// RUN: rm -rf %t.dir && env COVLOCK_DIR=%t.dir %t
// RUN: llvm-covmerge %t.dir -o %t.covdb
//
// The stock tool on t's profile alone shows the wrapped count.
// RUN: llvm-profdata merge -o %t.t.profdata %t.dir/t/*.profraw
// RUN: llvm-cov export -format=lcov %t -instr-profile=%t.t.profdata \
// RUN:   | FileCheck %s --check-prefix=WRAP
// WRAP: DA:[[#@LINE+19]],18446744073709551615
//
// RUN: llvm-covmerge export %t.covdb --format=lcov --test t \
// RUN:   | FileCheck %s --check-prefix=CLAMP
// CLAMP: DA:[[#@LINE+15]],0
// RUN: llvm-covmerge who %t.covdb %s:%(line+14) \
// RUN:   | FileCheck %s --check-prefix=WHO
// WHO: {{^}}default  (outside tests)  outside{{$}}
// WHO-NOT: {{.}}

#include "covlock/covlock.h"
#include <stdlib.h>

__attribute__((noreturn)) static void leave(void) { exit(0); }

int main(int argc, char **argv) {
  covlock_test_begin("t");
  if (argc < 5)
    leave();
  (void)argv; /* never runs */
  return 1;
}
