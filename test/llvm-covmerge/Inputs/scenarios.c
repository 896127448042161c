// A program that does some work, then ends the way argv[1] says: exit,
// abort, segv, sigkill, fork (parent and child both work), exec (argv[3]
// takes over) or boundaries (three in-process tests). The merge tests
// compare what llvm-covmerge makes of its profiles with llvm-profdata.
// Built with -DCOVLOCK_NO_RUNTIME for the stock runtime (no boundaries).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef COVLOCK_NO_RUNTIME
#include "covlock/covlock.h"
#endif

static volatile int Sink;
static int *volatile NullPointer;

__attribute__((noinline)) void work(int I) {
  if (I % 3 == 0)
    Sink += I;
  else
    Sink -= I;
}

__attribute__((noinline)) void only_in_child(int I) { Sink ^= I; }

__attribute__((noinline)) void never_called(int I) {
  if (I)
    Sink = I;
}

int main(int argc, char **argv) {
  const char *Mode = argc > 1 ? argv[1] : "exit";
  int N = argc > 2 ? atoi(argv[2]) : 1;
  for (int I = 0; I < N; ++I)
    work(I);
  if (!strcmp(Mode, "abort"))
    abort();
  if (!strcmp(Mode, "segv"))
    *NullPointer = 1;
  if (!strcmp(Mode, "sigkill"))
    kill(getpid(), SIGKILL);
  if (!strcmp(Mode, "fork")) {
    pid_t Child = fork();
    if (Child == 0) {
      for (int I = 0; I < N; ++I)
        only_in_child(I);
      return 0;
    }
    waitpid(Child, NULL, 0);
  }
  if (!strcmp(Mode, "exec") && argc > 3) {
    execv(argv[3], argv + 3);
    return 127;
  }
#ifndef COVLOCK_NO_RUNTIME
  if (!strcmp(Mode, "boundaries")) {
    const char *Tests[] = {"suite.one", "suite.two", "suite.three"};
    for (int T = 0; T < 3; ++T) {
      covlock_test_begin(Tests[T]);
      for (int I = 0; I <= T; ++I)
        work(I);
      covlock_test_end(0);
    }
  }
#endif
  return 0;
}
