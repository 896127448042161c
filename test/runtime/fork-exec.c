// fork then exec: the child's counts (the six calls it inherited and its own
// one) are flushed by the exec wrapper, the exec'd program publishes its own
// profile, and the parent's counts are its own.
//
// RUN: %cc_covlock %s -o %t
// RUN: %cc_covlock %S/Inputs/exec-target.c -o %t.target
// RUN: rm -rf %t.dir && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t %t %t.target > %t.out
// RUN: llvm-profdata merge -o %t.profdata %t.dir/t/*.profraw
// RUN: llvm-profdata show --counts --function=target_work %t.profdata >> %t.out
// RUN: llvm-profdata show --counts --function=work %t.profdata | grep -v target_work >> %t.out
// RUN: FileCheck %s < %t.out
// CHECK: target ran 4
// CHECK: expected work: [[N:[0-9]+]]
// CHECK: target_work:
// CHECK: Function count: 4
// CHECK: {{^}}  work:
// CHECK: Function count: [[N]]
// RUN: find %t.dir -name '*.boot' | count 0
// RUN: cat %t.dir/t/*.json | FileCheck %s --check-prefix=REC
// REC-DAG: "reason":"exec","final":true
// REC-DAG: "reason":"exit","status":0,"final":true

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int Sink;
__attribute__((noinline)) void work(int I) { Sink += I; }

int main(int argc, char **argv) {
  (void)argc;
  for (int I = 0; I < 6; ++I)
    work(I);
  fflush(stdout);
  pid_t Child = fork();
  if (Child == 0) {
    work(0);
    execl(argv[1], argv[1], "4", (char *)NULL);
    _exit(127);
  }
  int Status;
  waitpid(Child, &Status, 0);
  work(1);
  printf("expected work: %d\n", (6 + 1) + (6 + 1));
  return 0;
}
