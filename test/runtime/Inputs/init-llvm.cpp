// A program built on LLVM's Support library: llvm::InitLLVM installs LLVM's
// handlers for the fatal signals (stack trace, SA_RESETHAND | SA_NODEFER)
// after covlock has started. Prints the ground truth, then ends as argv[1]
// says.
#include "llvm/Support/InitLLVM.h"
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static volatile int Sink;
__attribute__((noinline)) void work(int I) { Sink += I; }
static int *volatile BadPointer = (int *)16;

int main(int argc, char **argv) {
  llvm::InitLLVM X(argc, argv);
  const char *Mode = argc > 1 ? argv[1] : "exit";
  int N = argc > 2 ? atoi(argv[2]) : 1;
  for (int I = 0; I < N; ++I)
    work(I);
  printf("expected work: %d\n", N);
  fflush(stdout);
  if (!strcmp(Mode, "abort"))
    abort();
  if (!strcmp(Mode, "segv"))
    *BadPointer = 1;
  if (!strcmp(Mode, "sigterm"))
    raise(SIGTERM);
  return 0;
}
