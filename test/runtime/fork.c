// fork without exec: the child starts counting from zero under its own pid,
// so parent and child profiles add up to what really ran. (The stock
// runtime counts everything before the fork twice.) The program prints the
// ground truth; the merged profile must agree.
//
// RUN: %cc_covlock %s -o %t
// RUN: rm -rf %t.dir && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t %t > %t.out
// RUN: llvm-profdata merge -o %t.profdata %t.dir/t/*.profraw
// RUN: llvm-profdata show --counts --function=work %t.profdata >> %t.out
// RUN: FileCheck %s < %t.out
// CHECK: expected work: [[N:[0-9]+]]
// CHECK: Function count: [[N]]
//
// Two process images, each with its own files and its parent recorded.
// RUN: find %t.dir/t -name '*.profraw' | count 3
// RUN: cat %t.dir/t/*.json | FileCheck %s --check-prefix=REC
// REC-COUNT-3: "final":true
// RUN: find %t.dir -name '*.boot' | count 0

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int Sink;
__attribute__((noinline)) void work(int I) { Sink += I; }

int main(void) {
  for (int I = 0; I < 10; ++I) // before any fork: counted once
    work(I);
  pid_t Child = fork();
  if (Child == 0) {
    for (int I = 0; I < 5; ++I)
      work(I);
    pid_t Grandchild = fork();
    if (Grandchild == 0) {
      work(0);
      return 0;
    }
    waitpid(Grandchild, NULL, 0);
    return 0;
  }
  for (int I = 0; I < 3; ++I)
    work(I);
  waitpid(Child, NULL, 0);
  printf("expected work: %d\n", 10 + 5 + 1 + 3);
  return 0;
}
