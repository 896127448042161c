/*===- CovlockSignals.c - flush on fatal and terminating signals ----------===*\
|*
|* The handler flushes, puts back the disposition it found and lets the
|* signal take its course, so exit status and any earlier handler are what
|* they would have been. Signals the program ignores stay ignored.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const int HandledSignals[] = {SIGSEGV, SIGBUS,  SIGILL,  SIGFPE,
                                     SIGABRT, SIGTERM, SIGINT, SIGHUP};
static struct sigaction Previous[NSIG];

static int isSynchronousFault(int Sig, const siginfo_t *Info) {
  /* Kernel-generated faults have si_code > 0; returning re-executes the
   * faulting instruction, which then meets the restored disposition with
   * its real siginfo. kill()/raise() give si_code <= 0. */
  return (Sig == SIGSEGV || Sig == SIGBUS || Sig == SIGILL || Sig == SIGFPE) &&
         Info && Info->si_code > 0;
}

static void onSignal(int Sig, siginfo_t *Info, void *Context) {
  (void)Context;
  int SavedErrno = errno;
  CovlockFlushRequest Req = {COVLOCK_SIGNAL, 1, 1, Sig, 0, 0, 0, 0};
  covlockFlush(&Req);
  sigaction(Sig, &Previous[Sig], NULL);
  /* An earlier handler may let the process live on: its later flushes must
   * not count again what was just written. */
  if (Previous[Sig].sa_handler != SIG_DFL)
    __llvm_profile_reset_counters();
  if (!isSynchronousFault(Sig, Info))
    raise(Sig); /* pending until this handler returns */
  errno = SavedErrno;
}

/* A handler for SIGSEGV needs a stack when the fault is a stack overflow.
 * Only added if the thread has none; a program that sets its own wins. */
static void ensureAlternateStack(void) {
  stack_t Current;
  if (sigaltstack(NULL, &Current) != 0 || !(Current.ss_flags & SS_DISABLE))
    return;
  size_t Size = 128 * 1024;
  void *Stack = mmap(NULL, Size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (Stack == MAP_FAILED)
    return;
  stack_t New = {.ss_sp = Stack, .ss_flags = 0, .ss_size = Size};
  sigaltstack(&New, NULL);
}

void covlockInstallSignalHandlers(void) {
  ensureAlternateStack();
  struct sigaction Action;
  memset(&Action, 0, sizeof(Action));
  Action.sa_sigaction = onSignal;
  Action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigfillset(&Action.sa_mask);
  for (size_t I = 0; I != sizeof(HandledSignals) / sizeof(int); ++I) {
    int Sig = HandledSignals[I];
    if (sigaction(Sig, NULL, &Previous[Sig]) != 0 ||
        Previous[Sig].sa_handler == SIG_IGN)
      continue;
    sigaction(Sig, &Action, NULL);
  }
}
