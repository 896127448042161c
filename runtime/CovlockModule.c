/*===- CovlockModule.c - one instrumented module's side of the runtime ----===*\
|*
|* Linked into every instrumented module (executable or shared object) by
|* `llvm-covlock link-flags`. Defining __llvm_profile_runtime keeps
|* compiler-rt's registration object, and with it the stock at-exit write,
|* out of the module; the module then registers its profile with the
|* process's covlock runtime, or restores the stock behaviour when covlock
|* is not enabled. Everything here is hidden: each module has its own copy.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "CovlockModuleABI.h"

int __llvm_profile_runtime;

static int writeProfile(CovlockProfWriter *Writer, int Restart) {
  return covlockWriteModuleProfile(Writer, Restart);
}

static CovlockModule ThisModule = {COVLOCK_MODULE_ABI_VERSION, writeProfile,
                                   covlockRestartModuleCounts, &ThisModule};

/* Priority 101: the first constructor of the module and the last
 * destructor, so that the module's own exit-time code is counted. */
__attribute__((constructor(101))) static void moduleLoaded(void) {
  if (!__covlock_module_loaded(&ThisModule))
    __llvm_profile_initialize(); /* LLVM_PROFILE_FILE, at-exit write */
}

__attribute__((destructor(101))) static void moduleUnloading(void) {
  __covlock_module_unloading(&ThisModule);
}
