// A program that installs its own handlers for covlock's signals, then calls
// work() N times and ends the way argv[1] says. It prints the ground truth
// (stdout) and what its handlers see (stderr, async-signal-safe writes).
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int Sink;
__attribute__((noinline)) void work(int I) { Sink += I; }

static int *volatile BadPointer = (int *)16; // faults at address 16

static void say(const char *S) {
  ssize_t Ignored = write(2, S, strlen(S));
  (void)Ignored;
}

static void sayNumber(const char *Label, long V) {
  char Buf[64], *P = Buf + sizeof(Buf);
  *--P = '\0';
  *--P = '\n';
  int Negative = V < 0;
  unsigned long U = Negative ? -(unsigned long)V : (unsigned long)V;
  do
    *--P = (char)('0' + U % 10);
  while (U /= 10);
  if (Negative)
    *--P = '-';
  say(Label);
  say(P);
}

// The classic: report, put back the default, raise again.
static void onFatal(int Sig) {
  sayNumber("crashed: signal ", Sig);
  signal(Sig, SIG_DFL);
  raise(Sig);
}

// SA_SIGINFO: the real siginfo of the fault, then die of it.
static void onFaultInfo(int Sig, siginfo_t *Info, void *Context) {
  (void)Context;
  sayNumber("siginfo signo ", Info->si_signo);
  sayNumber("siginfo code ", Info->si_code);
  sayNumber("siginfo addr ", (long)(uintptr_t)Info->si_addr);
  struct sigaction Default;
  memset(&Default, 0, sizeof(Default));
  Default.sa_handler = SIG_DFL;
  sigaction(Sig, &Default, NULL); // returning re-executes the store
}

// SA_RESETHAND: the disposition the program sees is SIG_DFL inside.
static void onResetHand(int Sig, siginfo_t *Info, void *Context) {
  (void)Context;
  struct sigaction Now;
  sigaction(Sig, NULL, &Now);
  sayNumber("resethand code ", Info->si_code);
  say(Now.sa_handler == SIG_DFL ? "reset to default: yes\n"
                                : "reset to default: no\n");
}

// SA_NODEFER: raising the signal again inside runs the handler at once.
static volatile sig_atomic_t Depth;
static void onNoDefer(int Sig) {
  int Mine = ++Depth;
  sayNumber("enter ", Mine);
  if (Mine == 2)
    signal(Sig, SIG_DFL);
  raise(Sig);
  sayNumber("leave ", Mine);
}

// Chaining: each handler calls the one sigaction reported as the old one.
static struct sigaction OldOfFirst, OldOfSecond;
static void chainTo(const struct sigaction *Old, int Sig) {
  if (Old->sa_handler == SIG_DFL) {
    say("old: default\n");
    signal(Sig, SIG_DFL);
    raise(Sig);
  } else if (Old->sa_handler == SIG_IGN) {
    say("old: ignore\n");
  } else if (Old->sa_flags & SA_SIGINFO) {
    say("old: siginfo handler\n");
    Old->sa_sigaction(Sig, NULL, NULL);
  } else {
    say("old: handler\n");
    Old->sa_handler(Sig);
  }
}
static void firstHandler(int Sig) {
  say("first handler\n");
  chainTo(&OldOfFirst, Sig);
}
static void secondHandler(int Sig) {
  say("second handler\n");
  chainTo(&OldOfSecond, Sig);
}

static void exitFromHandler(int Sig) {
  sayNumber("term handler: signal ", Sig);
  _exit(3);
}

static void install(int Sig, void (*H)(int), int Flags, struct sigaction *Old) {
  struct sigaction A;
  memset(&A, 0, sizeof(A));
  A.sa_handler = H;
  A.sa_flags = Flags;
  sigemptyset(&A.sa_mask);
  sigaction(Sig, &A, Old);
}

static void installInfo(int Sig, void (*H)(int, siginfo_t *, void *),
                        int Flags) {
  struct sigaction A;
  memset(&A, 0, sizeof(A));
  A.sa_sigaction = H;
  A.sa_flags = SA_SIGINFO | Flags;
  sigemptyset(&A.sa_mask);
  sigaction(Sig, &A, NULL);
}

int main(int argc, char **argv) {
  const char *Mode = argc > 1 ? argv[1] : "exit";
  int N = argc > 2 ? atoi(argv[2]) : 1;
  for (int I = 0; I < N; ++I)
    work(I);
  printf("expected work: %d\n", N);
  fflush(stdout);

  if (!strcmp(Mode, "signal-abort")) {
    signal(SIGABRT, onFatal);
    abort();
  }
  if (!strcmp(Mode, "signal-segv")) {
    signal(SIGSEGV, onFatal);
    *BadPointer = 1;
  }
  if (!strcmp(Mode, "siginfo-segv")) {
    installInfo(SIGSEGV, onFaultInfo, 0);
    *BadPointer = 1;
  }
  if (!strcmp(Mode, "resethand-segv")) {
    installInfo(SIGSEGV, onResetHand, SA_RESETHAND);
    *BadPointer = 1;
  }
  if (!strcmp(Mode, "nodefer-term")) {
    install(SIGTERM, onNoDefer, SA_NODEFER, NULL);
    kill(getpid(), SIGTERM);
  }
  if (!strcmp(Mode, "chain-abort")) {
    install(SIGABRT, firstHandler, 0, &OldOfFirst);
    install(SIGABRT, secondHandler, SA_RESTART, &OldOfSecond);
    struct sigaction Now;
    sigaction(SIGABRT, NULL, &Now);
    printf("current is second: %s, flags %#x\n",
           Now.sa_handler == secondHandler ? "yes" : "no", Now.sa_flags);
    fflush(stdout);
    abort();
  }
  if (!strcmp(Mode, "term-exit")) {
    struct sigaction Old;
    install(SIGTERM, exitFromHandler, 0, &Old);
    printf("old term action: %s\n",
           Old.sa_handler == SIG_DFL ? "default" : "not default");
    fflush(stdout);
    kill(getpid(), SIGTERM);
  }
  return 0;
}
