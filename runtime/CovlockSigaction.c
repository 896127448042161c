/*===- CovlockSigaction.c - the program's view of the handled signals -----===*\
|*
|* covlock must stay in front of the fatal signals whatever handlers the
|* program installs later, and the program must see exactly the handlers it
|* installed. So the dispositions of the handled signals are virtual: the
|* executable defines sigaction and signal (exported, so they also take the
|* calls of every shared library, libLLVM.so included), stores what the
|* program asks for in a table and reports it back as the old action, while
|* the kernel keeps covlock's handler with the program's mask and flags.
|* covlock's handler (CovlockSignals.c) then acts as the stored disposition
|* would. SIG_IGN goes to the kernel as it is: an ignored signal must stay
|* ignored across exec. Until covlock is enabled, in a vfork child, and for
|* every other signal, both functions are glibc's.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

/* glibc's implementation, exported under this name too. */
extern int __sigaction(int Sig, const struct sigaction *Act,
                       struct sigaction *Old);

static const int HandledSignals[] = {SIGSEGV, SIGBUS,  SIGILL, SIGFPE,
                                     SIGABRT, SIGTERM, SIGINT, SIGHUP};

static struct sigaction Program[NSIG];      /* what the program asked for */
static volatile sig_atomic_t Virtual[NSIG]; /* Program[] is authoritative */
static CovlockSignalHandler Handler;
static char TableLock;
/* What glibc adds to every action it installs (SA_RESTORER and its return
 * trampoline on x86-64): the program reads these back from the kernel. */
static int AddedFlags;
static void (*AddedRestorer)(void);
static int Learned;

int covlockRealSigaction(int Sig, const struct sigaction *Act,
                         struct sigaction *Old) {
  return __sigaction(Sig, Act, Old);
}

int covlockIsHandledSignal(int Sig) {
  for (size_t I = 0; I != sizeof(HandledSignals) / sizeof(int); ++I)
    if (HandledSignals[I] == Sig)
      return 1;
  return 0;
}

/* Writers block every signal on their thread, so a handler never waits for
 * a lock its own thread holds; another thread holds it for a few stores. */
static void lockTable(sigset_t *Old) {
  sigset_t All;
  sigfillset(&All);
  pthread_sigmask(SIG_BLOCK, &All, Old);
  while (__atomic_test_and_set(&TableLock, __ATOMIC_ACQUIRE))
    sched_yield();
}

static void unlockTable(const sigset_t *Old) {
  __atomic_clear(&TableLock, __ATOMIC_RELEASE);
  pthread_sigmask(SIG_SETMASK, Old, NULL);
}

/* Learns what glibc adds, from covlock's own action as the kernel has it. */
static void learnAddedFields(int Sig, const struct sigaction *Installed) {
  struct sigaction K;
  if (__sigaction(Sig, NULL, &K) != 0 || K.sa_sigaction != Handler)
    return;
  AddedFlags = K.sa_flags & ~Installed->sa_flags;
  AddedRestorer = K.sa_restorer;
  Learned = 1;
}

/* What the kernel gets for a stored disposition. For a program handler,
 * covlock's handler runs with the program's mask, SA_NODEFER, SA_RESTART
 * and SA_ONSTACK, so the program's handler runs as it would have;
 * SA_RESETHAND is done by covlock's handler. For SIG_DFL, covlock's handler
 * flushes with everything blocked, on the alternate stack (stack
 * overflows). */
static void applyToKernel(int Sig) {
  const struct sigaction *P = &Program[Sig];
  struct sigaction K;
  memset(&K, 0, sizeof(K));
  if (P->sa_handler == SIG_IGN) {
    K.sa_handler = SIG_IGN;
  } else if (P->sa_handler == SIG_DFL) {
    K.sa_sigaction = Handler;
    K.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigfillset(&K.sa_mask);
  } else {
    K.sa_sigaction = Handler;
    K.sa_flags =
        SA_SIGINFO | (P->sa_flags & (SA_RESTART | SA_NODEFER | SA_ONSTACK));
    K.sa_mask = P->sa_mask;
  }
  __sigaction(Sig, &K, NULL);
  if (K.sa_handler != SIG_IGN && !Learned)
    learnAddedFields(Sig, &K);
}

/* Stores Act as the kernel would have stored it, so that the program reads
 * back what it would have read without covlock. */
static void storeProgramAction(int Sig, const struct sigaction *Act) {
  struct sigaction *P = &Program[Sig];
  *P = *Act;
  P->sa_flags |= AddedFlags;
  if (AddedRestorer)
    P->sa_restorer = AddedRestorer;
  sigdelset(&P->sa_mask, SIGKILL);
  sigdelset(&P->sa_mask, SIGSTOP);
}

static int isCovlockAction(const struct sigaction *A) {
  return (A->sa_flags & SA_SIGINFO) && A->sa_sigaction == Handler;
}

void covlockVirtualizeSignals(CovlockSignalHandler H) {
  sigset_t Old;
  lockTable(&Old);
  Handler = H;
  for (size_t I = 0; I != sizeof(HandledSignals) / sizeof(int); ++I) {
    int Sig = HandledSignals[I];
    /* A handler installed before covlock started (a shared library's
     * constructor) becomes the program's disposition. */
    if (__sigaction(Sig, NULL, &Program[Sig]) != 0)
      continue;
    Virtual[Sig] = 1;
    applyToKernel(Sig);
  }
  unlockTable(&Old);
}

void covlockTakeProgramAction(int Sig, struct sigaction *Out) {
  sigset_t Old;
  lockTable(&Old);
  *Out = Program[Sig];
  int IsHandler = Out->sa_handler != SIG_DFL && Out->sa_handler != SIG_IGN;
  if (IsHandler && (Out->sa_flags & SA_RESETHAND)) {
    /* What the kernel does on entry to a SA_RESETHAND handler: only the
     * handler changes. */
    Program[Sig].sa_handler = SIG_DFL;
    applyToKernel(Sig);
  }
  unlockTable(&Old);
}

int covlockProgramActionIsDefault(int Sig) {
  sigset_t Old;
  lockTable(&Old);
  int IsDefault = Program[Sig].sa_handler == SIG_DFL;
  unlockTable(&Old);
  return IsDefault;
}

static int isVirtual(int Sig) {
  return Sig > 0 && Sig < NSIG && Virtual[Sig] && covlockState.Enabled &&
         getpid() == covlockState.Pid; /* a vfork child passes through */
}

__attribute__((visibility("default"))) int
sigaction(int Sig, const struct sigaction *Act, struct sigaction *OldAct) {
  if (!isVirtual(Sig))
    return __sigaction(Sig, Act, OldAct);
  sigset_t Old;
  lockTable(&Old);
  struct sigaction Previous = Program[Sig];
  /* Putting back covlock's own action, read behind covlock's back (a raw
   * syscall), leaves the program's disposition as it is. */
  if (Act && !isCovlockAction(Act)) {
    storeProgramAction(Sig, Act);
    applyToKernel(Sig);
  }
  unlockTable(&Old);
  if (OldAct)
    *OldAct = Previous;
  return 0;
}

/* glibc's signal(): BSD semantics, the signal blocked in its handler. */
__attribute__((visibility("default"))) __sighandler_t signal(int Sig,
                                                             __sighandler_t H) {
  if (!isVirtual(Sig))
    return ssignal(Sig, H); /* glibc's signal under its SVID name */
  if (H == SIG_ERR) {
    errno = EINVAL;
    return SIG_ERR;
  }
  struct sigaction Act, Old;
  memset(&Act, 0, sizeof(Act));
  Act.sa_handler = H;
  sigemptyset(&Act.sa_mask);
  sigaddset(&Act.sa_mask, Sig);
  Act.sa_flags = SA_RESTART;
  if (sigaction(Sig, &Act, &Old) != 0)
    return SIG_ERR;
  return Old.sa_handler;
}
