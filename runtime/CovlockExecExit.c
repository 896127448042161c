/*===- CovlockExecExit.c - flushes before _exit and exec ------------------===*\
|*
|* The runtime's side of the link-time wrappers (CovlockWrappers.c, in each
|* module): _exit and exec end the process image without exit(), so the
|* image's final flush happens here.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "CovlockModuleABI.h"

#include <unistd.h>

COVLOCK_ABI void __covlock_before_underscore_exit(int Status) {
  CovlockFlushRequest Req = {
      COVLOCK_UNDERSCORE_EXIT, 1, 0, 0, 1, Status, 0, 0, NULL};
  covlockFlush(&Req);
}

/* The image about to be replaced has run its course: its flush is final. */
COVLOCK_ABI void __covlock_before_exec(void) {
  CovlockFlushRequest Req = {COVLOCK_EXEC, 1, 0, 0, 0, 0, 0, 0, NULL};
  covlockFlush(&Req);
}

/* exec failed and the image lives on, in the middle of the functions that
 * called exec. Resetting the counters there would cut those functions'
 * counts (see docs/runtime.md, "Fork"), so the exec flush is taken back
 * instead: its files are removed, the counters keep running, and the
 * image gets its boot marker again. */
COVLOCK_ABI void __covlock_after_failed_exec(void) {
  CovlockState *S = &covlockState;
  if (!S->Enabled || getpid() != S->Pid)
    return;
  covlockRetractLastFlush();
  S->Ended = 0;
  covlockPlaceBootMarker();
}
