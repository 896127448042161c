#include "shapes.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char **argv) {
  if (argc != 3)
    return usage();
  int n = std::atoi(argv[2]);
  if (std::strcmp(argv[1], "square") == 0)
    std::printf("%d\n", square(n));
  else
    std::printf("%d\n", circle(n));
  return 0;
}
