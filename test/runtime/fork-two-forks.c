// Two forks, three children, each leaving with _exit after waiting for its
// own child. Zeroing the children's counters made the parent-only lines
// 1 - 3, shown as 18446744073709551614; each process's profile must be
// consistent on its own, so every marked line is covered exactly when it
// ran and no count wraps.
//
// RUN: %cc_covlock -I%S/Inputs %s -o %t
// RUN: rm -rf %t.dir %t.ran && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t TRUTH=%t.ran %t
// RUN: llvm-covmerge %t.dir -o %t.covdb --profdata %t.profdata
// RUN: llvm-cov export -format=lcov %t -instr-profile=%t.profdata > %t.agg.info
// RUN: llvm-covmerge export %t.covdb --format=lcov -o %t.db.info
// RUN: %python %S/Inputs/line-truth.py %s %t.ran aggregate=%t.agg.info covdb=%t.db.info \
// RUN:   | FileCheck %s --match-full-lines
// CHECK: aggregate: 7 marked, 6 ran, 0 wrong, 0 wrapped
// CHECK-NEXT: covdb: 7 marked, 6 ran, 0 wrong, 0 wrapped
//
// Four process images, each flushed once.
// RUN: llvm-covlock status %t.dir | FileCheck %s --check-prefix=STATUS
// STATUS: processes flushed lost failed running stock bytes outcome test
// STATUS-NEXT: 4 4 0 0 0 0 {{[0-9]+}} - t

#include "line-truth.h"
#include <sys/wait.h>

static volatile int Sink;
static void inChild(void) { Sink = 1; MARK(); }
static void inParent(void) { Sink = 2; MARK(); }
static void never(void) { Sink = 3; MARK(); }

int main(void) {
  truthOpen();
  pid_t A = fork(); MARK();
  pid_t B = fork(); MARK();
  if (A == 0 || B == 0) {
    inChild();
    while (wait(NULL) > 0) {}
    _exit(0);
  }
  inParent(); MARK();
  while (wait(NULL) > 0) {}
  MARK();
  if (Sink == 42) never();
  return 0;
}
