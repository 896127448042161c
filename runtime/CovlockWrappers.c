/*===- CovlockWrappers.c - flush before _exit and exec --------------------===*\
|*
|* Linked into each module with -Wl,--wrap=NAME (see `llvm-covlock
|* link-flags`): calls from the module to NAME land in __wrap_NAME, which
|* has the process's runtime flush (CovlockExecExit.c) and then calls
|* libc's NAME as __real_NAME. Calls made inside libc are not wrapped.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "CovlockModuleABI.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#define COVLOCK_WRAPPER COVLOCK_HIDDEN /* each module has its own */

void __real__exit(int Status) __attribute__((noreturn));
void __real__Exit(int Status) __attribute__((noreturn));
int __real_execv(const char *Path, char *const Argv[]);
int __real_execve(const char *Path, char *const Argv[], char *const Envp[]);
int __real_execvp(const char *File, char *const Argv[]);
int __real_execvpe(const char *File, char *const Argv[], char *const Envp[]);
int __real_fexecve(int Fd, char *const Argv[], char *const Envp[]);

COVLOCK_WRAPPER void __wrap__exit(int Status) {
  __covlock_before_underscore_exit(Status);
  __real__exit(Status);
}

COVLOCK_WRAPPER void __wrap__Exit(int Status) {
  __covlock_before_underscore_exit(Status);
  __real__Exit(Status);
}

static void flushBeforeExec(void) { __covlock_before_exec(); }

static int afterFailedExec(int Result) {
  int SavedErrno = errno;
  __covlock_after_failed_exec();
  errno = SavedErrno;
  return Result;
}

COVLOCK_WRAPPER int __wrap_execv(const char *Path, char *const Argv[]) {
  flushBeforeExec();
  return afterFailedExec(__real_execv(Path, Argv));
}

COVLOCK_WRAPPER int __wrap_execve(const char *Path, char *const Argv[],
                                  char *const Envp[]) {
  flushBeforeExec();
  return afterFailedExec(__real_execve(Path, Argv, Envp));
}

COVLOCK_WRAPPER int __wrap_execvp(const char *File, char *const Argv[]) {
  flushBeforeExec();
  return afterFailedExec(__real_execvp(File, Argv));
}

COVLOCK_WRAPPER int __wrap_execvpe(const char *File, char *const Argv[],
                                   char *const Envp[]) {
  flushBeforeExec();
  return afterFailedExec(__real_execvpe(File, Argv, Envp));
}

COVLOCK_WRAPPER int __wrap_fexecve(int Fd, char *const Argv[],
                                   char *const Envp[]) {
  flushBeforeExec();
  return afterFailedExec(__real_fexecve(Fd, Argv, Envp));
}

/* The variadic forms collect their arguments and use the array forms. */
static size_t countArgs(va_list Args) {
  size_t N = 1; /* the terminating NULL */
  while (va_arg(Args, const char *))
    ++N;
  return N;
}

#define COLLECT_ARGS(First, Argv, Args)                                        \
  va_start(Args, First);                                                       \
  size_t NumArgs = countArgs(Args) + 1;                                        \
  va_end(Args);                                                                \
  char *Argv[NumArgs];                                                         \
  va_start(Args, First);                                                       \
  Argv[0] = (char *)(uintptr_t)First;                                          \
  for (size_t I = 1; I != NumArgs; ++I)                                        \
    Argv[I] = va_arg(Args, char *);

COVLOCK_WRAPPER int __wrap_execl(const char *Path, const char *Arg, ...) {
  va_list Args;
  COLLECT_ARGS(Arg, Argv, Args)
  va_end(Args);
  return __wrap_execv(Path, Argv);
}

COVLOCK_WRAPPER int __wrap_execlp(const char *File, const char *Arg, ...) {
  va_list Args;
  COLLECT_ARGS(Arg, Argv, Args)
  va_end(Args);
  return __wrap_execvp(File, Argv);
}

COVLOCK_WRAPPER int __wrap_execle(const char *Path, const char *Arg, ...) {
  va_list Args;
  COLLECT_ARGS(Arg, Argv, Args)
  char *const *Envp = va_arg(Args, char *const *);
  va_end(Args);
  return __wrap_execve(Path, Argv, Envp);
}
