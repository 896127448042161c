// Before exec replaces the process image, the wrapper flushes what the old
// image ran. The new image has the same pid and publishes under the next
// free sequence number, never over the old image's files. Every exec
// variant is wrapped.
//
// RUN: %cc_covlock %s -o %t
// RUN: %cc_covlock %S/Inputs/exec-target.c -o %t.target
// RUN: for v in execv execve execvp execvpe execl execle execlp fexecve; do \
// RUN:   rm -rf %t.$v && env COVLOCK_DIR=%t.$v COVLOCK_TEST=t %t $v %t.target 3 | FileCheck %s --check-prefix=OUT || exit 1; \
// RUN:   cat %t.$v/t/*.0.json | FileCheck %s --check-prefix=BEFORE || exit 1; \
// RUN:   cat %t.$v/t/*.1.json | FileCheck %s --check-prefix=AFTER || exit 1; \
// RUN:   llvm-profdata merge -o %t.$v.profdata %t.$v/t/*.profraw || exit 1; \
// RUN:   llvm-profdata show --counts --all-functions %t.$v.profdata | FileCheck %s --check-prefix=COUNTS || exit 1; \
// RUN:   test -z "$(find %t.$v -name '*.boot')" || exit 1; \
// RUN: done
//
// OUT: target ran 3
// BEFORE: "reason":"exec","final":true,"profile":
// AFTER: "reason":"exit","status":0,"final":true,"profile":
// COUNTS-DAG: main:
// COUNTS-DAG: target_work:
// COUNTS-DAG: before_exec:
//
// A failed exec leaves the process running inside the functions that
// called exec: the exec flush is taken back (its files removed) rather than
// the counters reset under those functions, the image gets a boot marker
// again, and everything it ran is flushed once, at exit.
// RUN: rm -rf %t.fail && env COVLOCK_DIR=%t.fail COVLOCK_TEST=t not %t execv /nonexistent 1 \
// RUN:   | FileCheck %s --check-prefix=FAIL
// FAIL: exec failed: No such file or directory
// RUN: cat %t.fail/t/*.json | FileCheck %s --check-prefix=FAILREC
// FAILREC: "seq":0,"reason":"exit","status":2,"final":true
// FAILREC-NOT: "reason":"exec"
// RUN: find %t.fail -name '*.profraw' | count 1
// RUN: find %t.fail -name '*.boot' | count 0
// RUN: llvm-profdata merge -o %t.fail.profdata %t.fail/t/*.profraw
// RUN: llvm-profdata show --counts --function=before_exec %t.fail.profdata \
// RUN:   | FileCheck %s --check-prefix=FAILCOUNT
// FAILCOUNT: Function count: 1

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;
__attribute__((noinline)) void before_exec(void) {}

int main(int argc, char **argv) {
  const char *How = argv[1], *Target = argv[2], *N = argv[3];
  char *Argv[] = {(char *)Target, (char *)N, NULL};
  before_exec();
  fflush(stdout);
  if (!strcmp(How, "execv"))
    execv(Target, Argv);
  else if (!strcmp(How, "execve"))
    execve(Target, Argv, environ);
  else if (!strcmp(How, "execvp"))
    execvp(Target, Argv);
  else if (!strcmp(How, "execvpe"))
    execvpe(Target, Argv, environ);
  else if (!strcmp(How, "execl"))
    execl(Target, Target, N, (char *)NULL);
  else if (!strcmp(How, "execle"))
    execle(Target, Target, N, (char *)NULL, environ);
  else if (!strcmp(How, "execlp"))
    execlp(Target, Target, N, (char *)NULL);
  else if (!strcmp(How, "fexecve"))
    fexecve(open(Target, O_RDONLY | O_CLOEXEC), Argv, environ);
  printf("exec failed: %s\n", strerror(errno));
  return 2;
}
