// A shared library (not instrumented) whose constructor installs a SIGSEGV
// handler before the executable's constructors, covlock's included, run.
// The handler recovers a fault with siglongjmp when the program asks for
// it; otherwise it puts back SIG_DFL and returns, so the fault kills.
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

sigjmp_buf *EarlyRecover;

static void say(const char *S) {
  ssize_t Ignored = write(2, S, strlen(S));
  (void)Ignored;
}

static void onSegv(int Sig, siginfo_t *Info, void *Context) {
  (void)Context;
  if (EarlyRecover) {
    sigjmp_buf *Target = EarlyRecover;
    EarlyRecover = NULL;
    say("early handler: recovered\n");
    siglongjmp(*Target, 1);
  }
  say(Info->si_code > 0 ? "early handler: fatal fault\n"
                        : "early handler: fatal, not a fault\n");
  signal(Sig, SIG_DFL);
}

__attribute__((constructor)) static void installEarly(void) {
  struct sigaction A;
  memset(&A, 0, sizeof(A));
  A.sa_sigaction = onSegv;
  A.sa_flags = SA_SIGINFO;
  sigemptyset(&A.sa_mask);
  sigaction(SIGSEGV, &A, NULL);
}
