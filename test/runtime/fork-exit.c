// fork, and the child leaves with _exit after a branch: the lines after the
// if are "entry count minus branch count" in the coverage mapping, so they
// are only right if each process's profile is consistent on its own (the
// child keeps the counts it inherited). The program marks the lines that
// ran; the aggregate (llvm-cov) and the covdb must agree with it exactly.
//
// RUN: %cc_covlock -I%S/Inputs %s -o %t
// RUN: rm -rf %t.dir %t.ran && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t TRUTH=%t.ran %t
// RUN: llvm-covmerge %t.dir -o %t.covdb --profdata %t.profdata
// RUN: llvm-cov export -format=lcov %t -instr-profile=%t.profdata > %t.agg.info
// RUN: llvm-covmerge export %t.covdb --format=lcov -o %t.db.info
// RUN: %python %S/Inputs/line-truth.py %s %t.ran aggregate=%t.agg.info covdb=%t.db.info \
// RUN:   | FileCheck %s --match-full-lines
// CHECK: aggregate: 5 marked, 5 ran, 0 wrong, 0 wrapped
// CHECK-NEXT: covdb: 5 marked, 5 ran, 0 wrong, 0 wrapped
//
// The stock runtime with %p is consistent per process too, but its child
// leaves with _exit and writes nothing: inChild's line is lost.
// RUN: %cc_stock -I%S/Inputs %s -o %t.stock
// RUN: rm -rf %t.p %t.ran && env LLVM_PROFILE_FILE=%t.p/%%p.profraw TRUTH=%t.ran %t.stock
// RUN: llvm-profdata merge -o %t.stock.profdata %t.p
// RUN: llvm-cov export -format=lcov %t.stock -instr-profile=%t.stock.profdata > %t.stock.info
// RUN: %python %S/Inputs/line-truth.py %s %t.ran stock=%t.stock.info | FileCheck %s --check-prefix=STOCK --match-full-lines
// STOCK: stock: line [[#@LINE+7]] ran but is not covered
// STOCK-NEXT: stock: 5 marked, 5 ran, 1 wrong, 0 wrapped

#include "line-truth.h"
#include <sys/wait.h>

static volatile int Sink;
static void inChild(void) { Sink = 1; MARK(); }
static void inParent(void) { Sink = 2; MARK(); }

int main(void) {
  truthOpen();
  pid_t Child = fork(); MARK();
  if (Child == 0) { inChild(); _exit(0); }
  inParent(); MARK();
  waitpid(Child, NULL, 0); MARK();
  return 0;
}
