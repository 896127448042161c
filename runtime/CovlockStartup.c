/*===- CovlockStartup.c - enabling covlock in a process -------------------===*\
|*
|* Once per process, before any module registers: reads COVLOCK_*, makes
|* and checks the coverage directory, refuses a directory another run
|* holds, places the boot marker and installs the fork and signal
|* handlers. Also the final flush at exit.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int makeDir(const char *Path) {
  if (mkdir(Path, 0777) == 0) {
    /* Usable by its owner whatever umask the program runs with. */
    struct stat St;
    if (stat(Path, &St) == 0 && (St.st_mode & 0700) != 0700)
      chmod(Path, (St.st_mode & 07777) | 0700);
    return 0;
  }
  return errno == EEXIST ? 0 : -1;
}

static void copyEnv(const char *Name, char *Out, size_t Cap, int *Has,
                    size_t *LenOut) {
  const char *V = getenv(Name);
  *Has = V && *V;
  size_t Len = *Has ? covlockCutUtf8(V, strlen(V), Cap - 1) : 0;
  memcpy(Out, V ? V : "", Len);
  Out[Len] = '\0';
  if (LenOut)
    *LenOut = Len;
}

/* A process whose COVLOCK_DIR is held by a run it does not belong to must
 * not mix its coverage into that run. Whether a run is live is decided by
 * the lock alone; the owner record is only read for its run id. */
static int belongsToLockedRun(int ControlFd) {
  CovlockState *S = &covlockState;
  CovlockBuf B;
  /* Never blocks (a FIFO planted there) and reads only a regular file. */
  int Fd = openat(ControlFd, "run.lock",
                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (Fd < 0 && errno == ENOENT)
    return 1; /* no run has ever locked it */
  struct stat St;
  if (Fd < 0 || fstat(Fd, &St) != 0 || !S_ISREG(St.st_mode)) {
    if (Fd >= 0)
      close(Fd);
    covlockReport(COVLOCK_REPORT_SETUP,
                  "run lock is not a regular file; this process's coverage "
                  "is not written",
                  S->Dir, 0);
    return 0;
  }
  struct flock L;
  memset(&L, 0, sizeof(L));
  L.l_type = F_WRLCK;
  L.l_whence = SEEK_SET;
  int Ours = 1;
  if (fcntl(Fd, F_OFD_GETLK, &L) == 0 && L.l_type != F_UNLCK) {
    /* The whole record (a long command line comes before the run id),
     * bounded: start-up only, so it may allocate. */
    size_t Cap =
        (size_t)St.st_size < (1u << 20) ? (size_t)St.st_size : 1u << 20;
    char *Record = malloc(Cap + 1);
    ssize_t N = Record ? pread(Fd, Record, Cap, 0) : -1;
    char Want[sizeof(S->Run) * 6 + 16];
    covlockBufInit(&B, Want, sizeof(Want));
    covlockPutStr(&B, "\"run\":");
    covlockPutJsonStr(&B, S->Run, strlen(S->Run));
    covlockBufFinish(&B);
    if (Record)
      Record[N > 0 ? N : 0] = '\0';
    Ours = S->HasRun && Record && strstr(Record, Want) != NULL;
    free(Record);
  }
  close(Fd);
  return Ours;
}

static void enableCovlock(const char *Dir);

/* A key for compiler-rt's file name patterns, which have no escape for
 * '%': a key with '%' is reached through the alias the lit plugin uses too,
 * DIR/.covlock/stock/<key with % as @> -> ../../<key> (docs/protocol.md). */
static int stockKeyPath(CovlockBuf *B) {
  CovlockState *S = &covlockState;
  if (!strchr(S->Key, '%')) {
    covlockPutStr(B, S->Key);
    return 0;
  }
  char Alias[COVLOCK_KEY_MAX + 1], Target[COVLOCK_KEY_MAX + 8];
  strcpy(Alias, S->Key);
  for (char *C = Alias; *C; ++C)
    if (*C == '%')
      *C = '@';
  strcpy(Target, "../../");
  strcat(Target, S->Key);
  int DirFd = covlockOpenDir();
  int ControlFd = DirFd < 0 ? -1 : covlockOpenSubdir(DirFd, ".covlock", 0);
  int StockFd = ControlFd < 0 ? -1 : covlockOpenSubdir(ControlFd, "stock", 1);
  int Ok = StockFd >= 0 &&
           (symlinkat(Target, StockFd, Alias) == 0 || errno == EEXIST);
  int Fds[] = {DirFd, ControlFd, StockFd};
  for (size_t I = 0; I != sizeof(Fds) / sizeof(Fds[0]); ++I)
    if (Fds[I] >= 0)
      close(Fds[I]);
  covlockPutStr(B, ".covlock/stock/");
  covlockPutStr(B, Alias);
  return Ok ? 0 : -1;
}

/* Modules built with plain -fprofile-instr-generate (not linked with
 * covlock) write with compiler-rt's own at-exit writer to LLVM_PROFILE_FILE,
 * read when they are loaded. Unless the user (or the lit plugin) chose a
 * file, point it at a stock profile in this process's key directory: such
 * modules loaded from now on are then captured at normal exit under the
 * process's test, and never leave default.profraw in the working directory
 * (docs/runtime.md, "Modules linked without covlock"). */
static void exportStockProfileFile(void) {
  CovlockState *S = &covlockState;
  /* One a covlock parent set (and its children inherited) is recomputed
   * for this process's own directory and test. */
  const char *Current = getenv("LLVM_PROFILE_FILE");
  const char *Ours = getenv("COVLOCK_STOCK_PROFILE_FILE");
  int Inherited = Current && Ours && strcmp(Current, Ours) == 0;
  if (Current && *Current && !Inherited)
    return;
  if (strchr(S->Dir, '%')) {
    /* No pattern can name this directory: rather than the parent's, none
     * (a module linked without covlock then writes as without it). */
    if (Inherited) {
      unsetenv("LLVM_PROFILE_FILE");
      unsetenv("COVLOCK_STOCK_PROFILE_FILE");
    }
    return;
  }
  static char Pattern[PATH_MAX];
  CovlockBuf B;
  covlockBufInit(&B, Pattern, sizeof(Pattern));
  covlockPutStr(&B, S->Dir);
  covlockPutStr(&B, "/");
  int Err = stockKeyPath(&B);
  covlockPutStr(&B, "/%h.%p.stock.profraw");
  if (!Err && !covlockBufFinish(&B)) {
    setenv("LLVM_PROFILE_FILE", Pattern, 1);
    setenv("COVLOCK_STOCK_PROFILE_FILE", Pattern, 1);
  }
}

/* exit() runs the atexit and on_exit handlers (C++ static destructors
 * among them), newest first, and then the ELF destructors: every module's,
 * and the runtime's last, since every instrumented module depends on it.
 * The handlers only note the status; the final flush is the runtime's
 * destructor, after all of that exit-time code. */
static int ExitStatus, HasExitStatus;

void covlockNoteExitStatus(int Status) {
  ExitStatus = Status;
  HasExitStatus = 1;
}

__attribute__((destructor(101))) static void covlockFinalize(void) {
  CovlockFlushRequest Req = {COVLOCK_EXIT, 1, 0, 0,   HasExitStatus,
                             ExitStatus,   0, 0, NULL};
  covlockFlush(&Req);
}

void covlockStart(void) {
  static int Started;
  if (Started)
    return;
  Started = 1;
  int SavedErrno = errno;
  /* Without a directory every module behaves as stock (CovlockModule.c). */
  const char *Dir = getenv("COVLOCK_DIR");
  if (Dir && *Dir) {
    covlockState.Requested = 1;
    enableCovlock(Dir);
  }
  errno = SavedErrno;
}

__attribute__((constructor(101))) static void covlockInitialize(void) {
  covlockStart();
}

static void enableCovlock(const char *Dir) {
  CovlockState *S = &covlockState;
  size_t DirLen = strlen(Dir);
  if (DirLen + COVLOCK_KEY_MAX * 2 + 64 >= sizeof(S->Dir) / 2) {
    covlockReport(COVLOCK_REPORT_SETUP, "coverage directory path too long", Dir,
                  0);
    return;
  }
  /* Absolute, so that a process that changes directory still writes here. */
  S->Dir[0] = '\0';
  if (Dir[0] != '/') {
    if (!getcwd(S->Dir, sizeof(S->Dir) - DirLen - 2)) {
      covlockReport(COVLOCK_REPORT_SETUP, "cannot resolve coverage directory",
                    Dir, errno);
      return;
    }
    strcat(S->Dir, "/");
  }
  strcat(S->Dir, Dir);
  DirLen = strlen(S->Dir);
  while (DirLen > 1 && S->Dir[DirLen - 1] == '/')
    S->Dir[--DirLen] = '\0';

  /* The path the user chose is followed once, here; from now on DIR is
   * opened by its canonical path without following a symlink, and must be
   * the directory found now. */
  char Canonical[PATH_MAX];
  if (makeDir(S->Dir) != 0 || !realpath(S->Dir, Canonical)) {
    covlockReport(COVLOCK_REPORT_SETUP, "cannot use coverage directory", S->Dir,
                  errno);
    return;
  }
  if (strlen(Canonical) + COVLOCK_KEY_MAX * 2 + 64 >= sizeof(S->Dir) / 2) {
    covlockReport(COVLOCK_REPORT_SETUP, "coverage directory path too long", Dir,
                  0);
    return;
  }
  strcpy(S->Dir, Canonical);
  int DirFd = open(S->Dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat St;
  if (DirFd < 0 || fstat(DirFd, &St) != 0) {
    covlockReport(COVLOCK_REPORT_SETUP, "cannot use coverage directory", S->Dir,
                  errno);
    if (DirFd >= 0)
      close(DirFd);
    return;
  }
  S->DirDev = (uint64_t)St.st_dev;
  S->DirIno = (uint64_t)St.st_ino;
  int ControlFd = covlockOpenSubdir(DirFd, ".covlock", 1);
  int Err = errno;
  close(DirFd);
  if (ControlFd < 0) {
    char ControlDir[PATH_MAX];
    strcpy(ControlDir, S->Dir);
    strcat(ControlDir, "/.covlock");
    covlockReport(COVLOCK_REPORT_SETUP, "cannot use coverage directory",
                  ControlDir, Err);
    return;
  }

  copyEnv("COVLOCK_RUN", S->Run, sizeof(S->Run), &S->HasRun, NULL);
  copyEnv("COVLOCK_LABEL", S->Label, sizeof(S->Label), &S->HasLabel, NULL);
  copyEnv("COVLOCK_TEST", S->AmbientTest, sizeof(S->AmbientTest),
          &S->HasAmbientTest, &S->AmbientTestLen);
  int Ours = belongsToLockedRun(ControlFd);
  close(ControlFd);
  if (!Ours) {
    covlockReport(COVLOCK_REPORT_SETUP,
                  "coverage directory is locked by another run; this "
                  "process's coverage is not written",
                  S->Dir, 0);
    return;
  }

  char Host[65];
  if (gethostname(Host, sizeof(Host)) != 0)
    strcpy(Host, "localhost");
  Host[sizeof(Host) - 1] = '\0';
  covlockEncodeKey(Host, strlen(Host), S->Host);
  ssize_t ExeLen = readlink("/proc/self/exe", S->Exe, sizeof(S->Exe) - 1);
  S->Exe[ExeLen > 0 ? ExeLen : 0] = '\0';
  S->Pid = getpid();
  S->Ppid = getppid();
  S->StartNs = covlockNowNs();
  covlockSetTest(S->AmbientTest, S->AmbientTestLen, S->HasAmbientTest);

  if (covlockPlaceBootMarker() != 0)
    return;
  S->Enabled = 1;
  exportStockProfileFile();
  pthread_atfork(covlockBeforeFork, covlockAfterForkParent, covlockOnForkChild);
  covlockInstallSignalHandlers();
}
