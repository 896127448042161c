// The image that scenarios.c execs into: another binary, another layout.
#include <stdlib.h>

static volatile int Sink;
__attribute__((noinline)) void target_work(int I) { Sink += I; }

int main(int argc, char **argv) {
  int N = argc > 1 ? atoi(argv[1]) : 1;
  for (int I = 0; I < N; ++I)
    target_work(I);
  return 0;
}
