// Code under test: each function runs in known GoogleTest tests only.
#include "code.h"
#include <cstdlib>

int add(int a, int b) {
  return a + b;
}

int twice(int a) {
  return 2 * a;
}

bool isEven(int a) {
  return a % 2 == 0;
}

void crash() {
  std::abort();
}

int counted() {
  static int calls;
  return ++calls;
}

int outside() {
  return 7;
}

// A global constructor: runs before any test, outside all of them.
static int Global = outside();
