// One source built for two environments, as a library is built for linux
// and for macOS: compile with -DPLATFORM_LINUX or -DPLATFORM_MAC.
//   linux_only   exists only in the linux build
//   mac_only     exists only in the mac build
//   describe     exists in both, with a body that differs (#ifdef arm)
//   common       the same in both
// Each test (argv[1]) runs some of them; argv[2], when given, names a file
// to which the program appends the line numbers it marks as run ("RAN N").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *Log;
#define RAN() (Log ? fprintf(Log, "RAN %d\n", __LINE__) : 0)

int common(int x) {
  RAN();
  if (x > 2)
    return RAN(), x * 2;
  return x + 1;
}

#ifdef PLATFORM_LINUX
int linux_only(int x) {
  RAN();
  return x - 1;
}
#endif

#ifdef PLATFORM_MAC
int mac_only(int x) {
  RAN();
  return x + 7;
}
#endif

const char *describe(void) {
#ifdef PLATFORM_LINUX
  RAN();
  return "linux";
#else
  RAN();
  return "mac";
#endif
}

int main(int argc, char **argv) {
  const char *test = argc > 1 ? argv[1] : "";
  if (argc > 2)
    Log = fopen(argv[2], "a");
  int r = 0;
  if (!strcmp(test, "common"))
    r = common(3);
  else if (!strcmp(test, "describe"))
    r = (int)strlen(describe());
  else if (!strcmp(test, "native")) {
#ifdef PLATFORM_LINUX
    r = linux_only(1);
#else
    r = mac_only(1);
#endif
  }
  if (Log)
    fclose(Log);
  return r < 0;
}
