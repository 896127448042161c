// Closes every descriptor above stderr, as daemons and sandboxes do, then
// opens its own file (the lowest free number: 3) and writes to it, leaving
// it open at exit. It prints the ground truth the tests compare against.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int Sink;
__attribute__((noinline)) void work(int I) { Sink += I; }

int main(int argc, char **argv) {
  int N = argc > 2 ? atoi(argv[2]) : 1;
  for (int I = 0; I < N; ++I)
    work(I);
  if (close_range(3, ~0U, 0) != 0)
    for (int Fd = 3; Fd < 1024; ++Fd)
      close(Fd);
  int Fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0666);
  static const char Data[] = "the program's own data\n";
  if (Fd < 0 || write(Fd, Data, strlen(Data)) != (ssize_t)strlen(Data))
    return 1;
  printf("fd %d, expected work: %d\n", Fd, N);
  return 0;
}
