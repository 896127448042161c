// A program that calls work() N times, then ends the way argv[1] says.
// It prints the ground truth the tests compare the profiles against.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int Sink;
static int *volatile NullPointer; // the compiler cannot see it is null
__attribute__((noinline)) void work(int I) { Sink += I; }

static void exitFromHandler(int Sig) { exit(40 + Sig % 10); }
static volatile sig_atomic_t Seen;
static void noteAndReturn(int Sig) { Seen = Sig; }

int main(int argc, char **argv) {
  const char *Mode = argc > 1 ? argv[1] : "exit";
  int N = argc > 2 ? atoi(argv[2]) : 1;
  for (int I = 0; I < N; ++I)
    work(I);
  printf("expected work: %d\n", N);
  fflush(stdout);
  if (!strcmp(Mode, "exit"))
    return 0;
  if (!strcmp(Mode, "exit3"))
    exit(3);
  if (!strcmp(Mode, "abort"))
    abort();
  if (!strcmp(Mode, "segv"))
    *NullPointer = 1;
  if (!strcmp(Mode, "sigterm"))
    kill(getpid(), SIGTERM);
  if (!strcmp(Mode, "sigkill"))
    kill(getpid(), SIGKILL);
  if (!strcmp(Mode, "_exit"))
    _exit(7);
  if (!strcmp(Mode, "_Exit"))
    _Exit(8);
  if (!strcmp(Mode, "sigterm-handler-exit")) {
    signal(SIGTERM, exitFromHandler);
    kill(getpid(), SIGTERM);
  }
  if (!strcmp(Mode, "sigterm-handler-return")) {
    signal(SIGTERM, noteAndReturn);
    kill(getpid(), SIGTERM);
    printf("handler saw %d\n", (int)Seen);
    return 0;
  }
  if (!strcmp(Mode, "sigint")) {
    raise(SIGINT);
    printf("still running after SIGINT\n");
    return 0;
  }
  if (!strcmp(Mode, "remove-dir")) {
    char Command[4096];
    snprintf(Command, sizeof(Command), "rm -rf '%s'", getenv("COVLOCK_DIR"));
    return system(Command) == 0 ? 4 : 1;
  }
  if (!strcmp(Mode, "swap-key-dir") && argc > 3) {
    // Moves the test's directory away and puts a symlink to argv[3] there.
    char Key[4096], Moved[4200];
    snprintf(Key, sizeof(Key), "%s/%s", getenv("COVLOCK_DIR"),
             getenv("COVLOCK_TEST"));
    snprintf(Moved, sizeof(Moved), "%s.moved", Key);
    return rename(Key, Moved) == 0 && symlink(argv[3], Key) == 0 ? 0 : 1;
  }
  if (!strcmp(Mode, "sleep")) {
    sleep(60);
    return 0;
  }
  return 0;
}
