// fork without exec: each child keeps the counts it inherited (as every %p
// profile of the stock runtime does) under its own pid, so each process's
// profile is consistent on its own; work done before a fork appears in
// every child's profile too. The program computes the sum of what each
// process image holds; the merged profile must agree.
//
// RUN: %cc_covlock %s -o %t
// RUN: rm -rf %t.dir && env COVLOCK_DIR=%t.dir COVLOCK_TEST=t %t > %t.out
// RUN: llvm-profdata merge -o %t.profdata %t.dir/t/*.profraw
// RUN: llvm-profdata show --counts --function=work %t.profdata >> %t.out
// RUN: FileCheck %s < %t.out
// CHECK: expected work: [[N:[0-9]+]]
// CHECK: Function count: [[N]]
//
// Three process images, each with its own files and its parent recorded.
// RUN: find %t.dir/t -name '*.profraw' | count 3
// RUN: cat %t.dir/t/*.json | FileCheck %s --check-prefix=REC
// REC-COUNT-3: "final":true
// RUN: find %t.dir -name '*.boot' | count 0

#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int Sink;
static int Calls; /* inherited across fork, like the counters */
static volatile int *Total; /* shared by every process */
__attribute__((noinline)) void work(int I) {
  Sink += I;
  ++Calls;
}

static void end(void) { __sync_fetch_and_add(Total, Calls); }

int main(void) {
  Total = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (int I = 0; I < 10; ++I) // before any fork: in every process's profile
    work(I);
  pid_t Child = fork();
  if (Child == 0) {
    for (int I = 0; I < 5; ++I)
      work(I);
    pid_t Grandchild = fork();
    if (Grandchild == 0) {
      work(0);
      end();
      return 0;
    }
    waitpid(Grandchild, NULL, 0);
    end();
    return 0;
  }
  for (int I = 0; I < 3; ++I)
    work(I);
  waitpid(Child, NULL, 0);
  end();
  printf("expected work: %d\n", *Total);
  return 0;
}
