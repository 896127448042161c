// fork then exec: the child's inherited counts and its few lines before
// exec are flushed by the exec wrapper; the exec'd program publishes its
// own profile. The parent's lines after the fork are consistent with its
// whole history, so every marked line is covered exactly when it ran.
//
// RUN: %cc_covlock -I%S/Inputs %s -o %t
// RUN: %cc_covlock %S/Inputs/exec-target.c -o %t.target
// RUN: rm -rf %t.dir %t.ran && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t TRUTH=%t.ran %t %t.target > %t.out
// RUN: llvm-covmerge %t.dir -o %t.covdb --profdata %t.profdata
// RUN: llvm-cov export -format=lcov %t -instr-profile=%t.profdata > %t.agg.info
// RUN: llvm-covmerge export %t.covdb --format=lcov -o %t.db.info
// RUN: %python %S/Inputs/line-truth.py %s %t.ran aggregate=%t.agg.info covdb=%t.db.info \
// RUN:   | FileCheck %s --match-full-lines
// CHECK: aggregate: 5 marked, 4 ran, 0 wrong, 0 wrapped
// CHECK-NEXT: covdb: 5 marked, 4 ran, 0 wrong, 0 wrapped
// RUN: FileCheck %s --check-prefix=OUT < %t.out
// OUT: target ran 3

#include "line-truth.h"
#include <stdio.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  truthOpen();
  fflush(stdout);
  pid_t Child = fork(); MARK();
  if (Child == 0) {
    MARK();
    execl(argv[1], argv[1], "3", (char *)NULL);
    _exit(127);
  }
  waitpid(Child, NULL, 0); MARK();
  if (argc > 5) {
    MARK();
  }
  MARK();
  return 0;
}
