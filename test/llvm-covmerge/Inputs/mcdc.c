// MC/DC: each run sets a different combination of conditions, so the
// merged bitmap bytes are the OR of the runs'.
#include <stdlib.h>

static volatile int Sink;
__attribute__((noinline)) void decide(int A, int B, int C) {
  if ((A && B) || C)
    Sink++;
}

int main(int argc, char **argv) {
  int V = argc > 1 ? atoi(argv[1]) : 0;
  decide(V & 1, V & 2, V & 4);
  return 0;
}
