// A flush while main is running, then three forks whose children _exit.
// After the flush the parent's next profile starts from the flush; a child
// that started there too held main's loop and branch counts without its
// entry count, and the parent's lines after the loop came out as 1 - 3,
// shown as 18446744073709551614. A child's profile holds everything it
// inherited, consistent on its own: every marked line is covered exactly
// when it ran, and no count wraps.
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

#include "covlock/covlock.h"
#include "line-truth.h"
#include <sys/wait.h>

static volatile int Sink;
static void inChild(void) { Sink = 1; MARK(); }
static void never(void) { Sink = 3; MARK(); }

int main(void) {
  truthOpen();
  MARK();
  covlock_flush();
  for (int I = 0; I < 3; ++I) {
    if (fork() == 0) { inChild(); _exit(0); }
  }
  while (wait(NULL) > 0) {}
  MARK();
  Sink = 2; MARK();
  if (Sink == 42) never();
  MARK();
  return 0;
}
