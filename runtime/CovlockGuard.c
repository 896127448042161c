/*===- CovlockGuard.c - one flush at a time, per process ------------------===*\
|*
|* Flushes and changes to the module registry exclude each other. A thread
|* that finds another thread's flush in progress waits for it (a final
|* flush must never be dropped because a test harness thread happened to
|* be flushing); only a flush nested in the same thread (a signal arriving
|* during a flush) gives up, since waiting would never end. Owners are
|* kernel thread ids, which a signal handler may read (gettid is
|* async-signal-safe).
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The owning thread's id, or 0. */
static volatile pid_t Owner;

/* Long enough for any flush of a big program; a thread that died holding
 * the guard (killed mid-flush by another thread's exit) is not waited for
 * longer. */
#define COVLOCK_GUARD_WAIT_MS 30000

int covlockAcquireGuard(void) {
  pid_t Self = (pid_t)syscall(SYS_gettid);
  for (unsigned Waited = 0;; ++Waited) {
    pid_t Expected = 0;
    if (__atomic_compare_exchange_n(&Owner, &Expected, Self, 0,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return 1;
    if (Expected == Self || Waited >= COVLOCK_GUARD_WAIT_MS)
      return 0;
    struct timespec T = {0, 1000 * 1000};
    nanosleep(&T, NULL);
  }
}

void covlockReleaseGuard(void) {
  __atomic_store_n(&Owner, 0, __ATOMIC_RELEASE);
}

/* A fork child has one thread: whatever the parent's threads held is not
 * held in the child. */
void covlockResetGuard(void) { Owner = 0; }

/* fork() from one thread while another flushes would give the child that
 * flush's descriptors (the flush lock among them, held by the child for
 * its life): fork waits for it, as a flush does. A fork from a signal
 * handler that interrupted this thread's own flush does not wait. */
static int HeldForFork;
void covlockBeforeFork(void) {
  if (covlockState.Enabled)
    HeldForFork = covlockAcquireGuard();
}

void covlockAfterForkParent(void) {
  if (HeldForFork)
    covlockReleaseGuard();
  HeldForFork = 0;
}
