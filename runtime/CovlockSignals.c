/*===- CovlockSignals.c - flush on fatal and terminating signals ----------===*\
|*
|* covlock's handler stays installed for the handled signals whatever the
|* program installs (CovlockSigaction.c keeps the program's dispositions)
|* and acts as the program's disposition would:
|*
|* - SIG_DFL: flush, then the real default action: the signal is raised
|*   again, or for a fault the handler returns and the instruction faults
|*   again, so the process dies as it would have, with its real siginfo.
|* - a handler: it is called as the kernel would have called it (its siginfo
|*   and context, its mask, SA_RESETHAND, SA_NODEFER). covlock does not
|*   flush first: a handler that ends the process does so through exit,
|*   _exit, abort or the default action (signal(SIG_DFL) and raise, or
|*   return and fault again), and each of them flushes; a handler that lets
|*   the process live on (a SIGHUP reload, a fault handled by mprotect or
|*   longjmp) costs nothing. SIGABRT is the exception: when its handler
|*   returns into abort(), glibc puts back the default action behind
|*   sigaction's back and raises again, so covlock flushes before calling
|*   the handler, once.
|* - SIG_IGN: in the kernel, so covlock's handler never sees it.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int isSynchronousFault(int Sig, const siginfo_t *Info) {
  /* Kernel-generated faults have si_code > 0; returning re-executes the
   * faulting instruction. kill()/raise() give si_code <= 0. */
  return (Sig == SIGSEGV || Sig == SIGBUS || Sig == SIGILL || Sig == SIGFPE) &&
         Info && Info->si_code > 0;
}

/* The final flush of an image that dies of Sig; at most once for the
 * SIGABRT flushed before its handler and then raised again. */
static void flushForSignal(int Sig) {
  /* A vfork child shares this state with its parent: it must not mark
   * the parent's signal as flushed. */
  if (covlockState.SignalFlushed == Sig || getpid() != covlockState.Pid)
    return;
  CovlockFlushRequest Req = {COVLOCK_SIGNAL, 1, 1, Sig, 0, 0, 0, 0, NULL};
  covlockFlush(&Req);
  covlockState.SignalFlushed = Sig;
}

static void takeDefaultAction(int Sig, const siginfo_t *Info) {
  struct sigaction Default;
  memset(&Default, 0, sizeof(Default));
  Default.sa_handler = SIG_DFL;
  sigemptyset(&Default.sa_mask);
  covlockRealSigaction(Sig, &Default, NULL);
  if (!isSynchronousFault(Sig, Info))
    raise(Sig); /* pending until this handler returns, unless SA_NODEFER */
}

static void onSignal(int Sig, siginfo_t *Info, void *Context) {
  int SavedErrno = errno;
  struct sigaction Action;
  covlockTakeProgramAction(Sig, &Action);
  if (Action.sa_handler == SIG_DFL) {
    flushForSignal(Sig);
    takeDefaultAction(Sig, Info);
    errno = SavedErrno;
    return;
  }
  if (Action.sa_handler == SIG_IGN) /* changed while being delivered */
    return;

  if (Sig == SIGABRT && covlockState.SignalFlushed != Sig) {
    flushForSignal(Sig);
    /* Whatever runs from here on is new: a later flush (the handler exits,
     * or the process lives on) writes only that. */
    covlockResetCounters();
  }
  errno = SavedErrno;
  if (Action.sa_flags & SA_SIGINFO)
    Action.sa_sigaction(Sig, Info, Context);
  else
    Action.sa_handler(Sig);

  if (covlockState.SignalFlushed == Sig) {
    /* Dying: the handler put back the default action and raised the
     * signal again (it is pending). Anything else: the process may live
     * on, and a later SIGABRT must flush again. */
    sigset_t Pending;
    int Dying = covlockProgramActionIsDefault(Sig) &&
                sigpending(&Pending) == 0 && sigismember(&Pending, Sig) == 1;
    if (!Dying) {
      /* The process may live on after its final flush (a handler returned
       * from a raise(SIGABRT)), or abort() is about to raise the signal
       * again: later flushes stay possible, and no marker is placed that
       * abort() would leave behind. */
      covlockState.SignalFlushed = 0;
      covlockState.Ended = 0;
    }
  }
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
  covlockVirtualizeSignals(onSignal);
}
