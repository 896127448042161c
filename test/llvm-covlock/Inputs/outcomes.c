// In-process tests ended with covlock_test_end's outcomes: 0 passes, 3 (any
// value but 0 and 2) fails, 2 is a skip; "flaky" runs twice, passing once;
// "unended" never ends. With an argument: no test of its own.
#include <covlock/covlock.h>

static int work(int x) { return x * 2; }

int main(int argc, char **argv) {
  (void)argv;
  int r = 0;
  if (argc > 1)
    return work(argc) == 4 ? 0 : 1;
  covlock_test_begin("passes");
  r += work(1);
  covlock_test_end(0);
  covlock_test_begin("fails");
  r += work(2);
  covlock_test_end(3);
  covlock_test_begin("skipped");
  covlock_test_end(2);
  covlock_test_begin("flaky");
  covlock_test_end(0);
  covlock_test_begin("flaky");
  covlock_test_end(1);
  covlock_test_begin("unended");
  r += work(3);
  return r == 12 ? 0 : 1;
}
