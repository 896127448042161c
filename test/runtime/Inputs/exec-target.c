// The program exec'd into: another instrumented executable.
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) void target_work(void) {}
int main(int argc, char **argv) {
  int N = argc > 1 ? atoi(argv[1]) : 1;
  for (int I = 0; I < N; ++I)
    target_work();
  printf("target ran %d\n", N);
  return 0;
}
