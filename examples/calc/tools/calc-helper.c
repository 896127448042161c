/*===- calc-helper.c - the program `calc --exec` hands over to ------------===*\
|*
|* calc-helper EXPR...: evaluates each expression, prints "helper: EXPR = V",
|* then the sum of the values. Exit status 1 if an expression failed.
|*
\*===----------------------------------------------------------------------===*/

#include "calc.h"

#include <stdio.h>

int main(int argc, char **argv) {
  double sum = 0;
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    calc_error err;
    double v;
    if (calc_eval(argv[i], &v, &err) < 0) {
      fprintf(stderr, "calc-helper: error: %s in '%s'\n", err.msg, argv[i]);
      status = 1;
      continue;
    }
    printf("helper: %s = ", argv[i]);
    calc_print_value(v, stdout);
    putchar('\n');
    sum += v;
  }
  printf("helper: sum = ");
  calc_print_value(sum, stdout);
  putchar('\n');
  return status;
}
