#include "shapes.h"
#include <cstdio>

int square(int side) {
  return side * side;
}

int circle(int radius) {
  return 3 * radius * radius;
}

int usage() {
  std::fprintf(stderr, "usage: shapes_tool square|circle N\n");
  return 1;
}
