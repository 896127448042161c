// Faults twice under a SIGSEGV handler that a shared library installed
// before covlock started: the first fault is recovered (siglongjmp), the
// second kills. work() runs N times before each fault.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

extern sigjmp_buf *EarlyRecover;

static volatile int Sink;
__attribute__((noinline)) void work(int I) { Sink += I; }
static int *volatile BadPointer = (int *)16;

int main(int argc, char **argv) {
  int N = argc > 1 ? atoi(argv[1]) : 1;
  for (int I = 0; I < N; ++I)
    work(I);
  static sigjmp_buf Recover;
  if (sigsetjmp(Recover, 1) == 0) {
    EarlyRecover = &Recover;
    *BadPointer = 1;
  }
  for (int I = 0; I < N; ++I)
    work(I);
  printf("expected work: %d\n", 2 * N);
  fflush(stdout);
  *BadPointer = 1;
  return 0;
}
