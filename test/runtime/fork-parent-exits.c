// The parent leaves main with exit() in the middle of a function while its
// child carries on past that point and returns from main: code only the
// child ran, after the fork, must be covered, and the parent's exit path
// too. (leave is noreturn: the code after the if is "entry minus the
// branch" in the mapping.)
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
__attribute__((noreturn)) static void leave(pid_t Child) {
  waitpid(Child, NULL, 0); MARK();
  exit(0);
}
static void childWork(void) { Sink = 1; MARK(); }

int main(void) {
  truthOpen();
  pid_t Child = fork(); MARK();
  if (Child != 0)
    leave(Child);
  childWork(); MARK();
  if (Sink == 7) {
    Sink = 0; MARK();
  }
  MARK();
  return 0;
}
