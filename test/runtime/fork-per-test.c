// A fork-per-test runner: the parent forks, the child runs one test between
// covlock_test_begin and covlock_test_end and leaves with exit(0), the
// parent waits. The parent's waitpid line ran and must be covered (it was
// "0 - 3" while children zeroed their counters), and who names the context
// that ran it. Each test's own function is covered by that test alone.
//
// RUN: %cc_covlock -I%S/Inputs %s -o %t
// RUN: rm -rf %t.dir %t.ran && env COVLOCK_DIR=%t.dir TRUTH=%t.ran %t
// RUN: llvm-covmerge %t.dir -o %t.covdb --profdata %t.profdata
// RUN: llvm-cov export -format=lcov %t -instr-profile=%t.profdata > %t.agg.info
// RUN: llvm-covmerge export %t.covdb --format=lcov -o %t.db.info
// RUN: %python %S/Inputs/line-truth.py %s %t.ran aggregate=%t.agg.info covdb=%t.db.info \
// RUN:   | FileCheck %s --match-full-lines
// CHECK: aggregate: 6 marked, 5 ran, 0 wrong, 0 wrapped
// CHECK-NEXT: covdb: 6 marked, 5 ran, 0 wrong, 0 wrapped
//
// RUN: llvm-covmerge who %t.covdb %s:%(line+29) | FileCheck %s --check-prefix=WAIT
// WAIT: {{^}}default  (outside tests)  outside{{$}}
// WAIT-NOT: {{.}}
// RUN: llvm-covmerge who %t.covdb %s:%(line+11) | FileCheck %s --check-prefix=BETA
// BETA: {{^}}default  beta  normal{{$}}
// BETA-NOT: {{.}}

#include "covlock/covlock.h"
#include "line-truth.h"
#include <stdlib.h>
#include <sys/wait.h>

static volatile int Sink;
static void alpha(void) { Sink = 1; MARK(); }
static void beta(void) { Sink = 2; MARK(); }
static void gamma_(void) { Sink = 3; MARK(); }
static void (*const Tests[])(void) = {alpha, beta, gamma_};
static const char *const Names[] = {"alpha", "beta", "gamma"};

int main(void) {
  truthOpen();
  for (int I = 0; I < 3; ++I) {
    pid_t Child = fork();
    if (Child == 0) {
      covlock_test_begin(Names[I]);
      Tests[I]();
      covlock_test_end(0);
      exit(0);
    }
    waitpid(Child, NULL, 0); MARK();
  }
  MARK();
  if (Sink == 42) {
    MARK();
  }
  return 0;
}
