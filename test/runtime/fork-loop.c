// fork inside a loop: each child runs one iteration's work and leaves with
// exit() from inside the loop; the parent carries on round the loop. Every
// marked line is covered exactly when it ran, in the aggregate and in the
// covdb, and no count wraps.
//
// RUN: %cc_covlock -I%S/Inputs %s -o %t
// RUN: rm -rf %t.dir %t.ran && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t TRUTH=%t.ran %t
// RUN: llvm-covmerge %t.dir -o %t.covdb --profdata %t.profdata
// RUN: llvm-cov export -format=lcov %t -instr-profile=%t.profdata > %t.agg.info
// RUN: llvm-covmerge export %t.covdb --format=lcov -o %t.db.info
// RUN: %python %S/Inputs/line-truth.py %s %t.ran aggregate=%t.agg.info covdb=%t.db.info \
// RUN:   | FileCheck %s --match-full-lines
// CHECK: aggregate: 6 marked, 5 ran, 0 wrong, 0 wrapped
// CHECK-NEXT: covdb: 6 marked, 5 ran, 0 wrong, 0 wrapped

#include "line-truth.h"
#include <stdlib.h>
#include <sys/wait.h>

static volatile int Sink;
static void work(int I) { Sink += I; MARK(); }

int main(void) {
  truthOpen();
  for (int I = 0; I < 4; ++I) {
    MARK();
    pid_t Child = fork();
    if (Child == 0) {
      work(I); MARK();
      exit(0);
    }
    waitpid(Child, NULL, 0); MARK();
  }
  MARK();
  if (Sink < 0) {
    Sink = 0; MARK();
  }
  return 0;
}
