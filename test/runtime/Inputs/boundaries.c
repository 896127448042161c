// Runs three in-process tests with covlock_test_begin/end between them.
#include "covlock/covlock.h"
#include <stdio.h>

static volatile int Sink;
__attribute__((noinline)) void in_test(int I) { Sink += I; }
__attribute__((noinline)) void between_tests(void) { Sink++; }

int main(void) {
  between_tests();
  covlock_test_begin("suite.first");
  in_test(1);
  in_test(2);
  covlock_test_end(0);
  between_tests();
  covlock_test_begin("suite.second");
  in_test(3);
  covlock_test_end(1);
  covlock_test_begin("suite.third");
  in_test(4);
  in_test(5);
  covlock_flush();
  covlock_test_end(0);
  printf("in_test: 2 1 2\n");
  return 0;
}
