/*===- CovlockModuleABI.h - instrumented modules and the runtime ----------===*\
|*
|* Every instrumented module (the executable, each shared library, each
|* dlopen'ed plugin) carries its own hidden copy of compiler-rt's profile
|* runtime: its own counters, data and names. Each module also links the
|* small covlock module object (CovlockModule.c), which hands these to the
|* one covlock runtime of the process (libcovlock_rt.so) through the ABI
|* below. The runtime then writes every module's profile on every flush.
|*
|* The ABI is versioned: a module made for another version is written by
|* compiler-rt's own at-exit writer instead (stock behaviour).
|*
\*===----------------------------------------------------------------------===*/

#ifndef COVLOCK_MODULE_ABI_H
#define COVLOCK_MODULE_ABI_H

#define COVLOCK_MODULE_ABI_VERSION 2
#define COVLOCK_ABI __attribute__((visibility("default")))

struct CovlockProfWriter;

/* What a module tells the runtime; the module owns it (static storage). */
typedef struct CovlockModule {
  unsigned AbiVersion; /* COVLOCK_MODULE_ABI_VERSION */
  /* Writes the module's raw profile, what ran since its last restart,
   * through compiler-rt's lprofWriteData (async-signal-safe); 0 on
   * success. With Restart, the module's next profile holds only what runs
   * after (and while) this one is written (CovlockModuleCounters.c). */
  int (*WriteProfile)(struct CovlockProfWriter *Writer, int Restart);
  /* Restarts the module's counts: its next profile holds only what runs
   * from now on. */
  void (*ResetCounters)(void);
  /* An address inside the module: how the runtime finds its path and
   * build id. */
  const void *Anchor;
} CovlockModule;

#ifdef __cplusplus
extern "C" {
#endif

/* From a module's constructor. Returns 0 if the module must behave as
 * stock (COVLOCK_DIR unset), else 1: the runtime writes the module's
 * profile, or nothing if the directory is unusable. */
COVLOCK_ABI int __covlock_module_loaded(CovlockModule *M);
/* From a module's last destructor: at dlclose the module's profile is
 * flushed before its code and counters are unmapped. */
COVLOCK_ABI void __covlock_module_unloading(CovlockModule *M);
/* From the link-time wrappers of _exit/_Exit and the exec family. */
COVLOCK_ABI void __covlock_before_underscore_exit(int Status);
COVLOCK_ABI void __covlock_before_exec(void);
COVLOCK_ABI void __covlock_after_failed_exec(void);

#ifdef __cplusplus
}
#endif

#endif /* COVLOCK_MODULE_ABI_H */
