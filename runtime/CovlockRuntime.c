/*===- CovlockRuntime.c - start-up, process identity, test boundaries ------===*\
|*
|* Defining __llvm_profile_runtime keeps compiler-rt's registration object
|* (and with it the stock at-exit write) out of the link; this file then
|* either restores the stock behaviour (COVLOCK_DIR unset) or takes over
|* writing, following docs/protocol.md.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "covlock/covlock.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

__attribute__((visibility("default"))) int __llvm_profile_runtime;

CovlockState covlockState;

uint64_t covlockNowNs(void) {
  struct timespec T;
  clock_gettime(CLOCK_REALTIME, &T);
  return (uint64_t)T.tv_sec * 1000000000u + (uint64_t)T.tv_nsec;
}

void covlockReport(unsigned Kind, const char *What, const char *Path,
                   int Err) {
  if (covlockState.ReportedErrors & Kind)
    return;
  covlockState.ReportedErrors |= Kind;
  char Line[PATH_MAX + 256];
  CovlockBuf B;
  covlockBufInit(&B, Line, sizeof(Line));
  covlockPutStr(&B, "covlock: ");
  covlockPutStr(&B, What);
  if (Path) {
    covlockPutStr(&B, ": ");
    covlockPutStr(&B, Path);
  }
  if (Err) {
    covlockPutStr(&B, ": ");
    covlockPutStr(&B, covlockErrnoText(Err));
  }
  if (B.Overflow)
    B.Len = B.Cap - 2;
  B.Data[B.Len++] = '\n';
  struct sigaction OldXfsz;
  covlockIgnoreFileSizeSignal(&OldXfsz);
  ssize_t Ignored = write(2, B.Data, B.Len);
  (void)Ignored;
  covlockRestoreFileSizeSignal(&OldXfsz);
}

static int makeDir(const char *Path) {
  if (mkdir(Path, 0777) == 0 || errno == EEXIST)
    return 0;
  return -1;
}

static void copyEnv(const char *Name, char *Out, size_t Cap, int *Has,
                    size_t *LenOut) {
  const char *V = getenv(Name);
  *Has = V && *V;
  size_t Len = *Has ? strlen(V) : 0;
  if (Len >= Cap)
    Len = Cap - 1;
  memcpy(Out, V ? V : "", Len);
  Out[Len] = '\0';
  if (LenOut)
    *LenOut = Len;
}

void covlockSetTest(const char *Id, size_t N, int HasId) {
  CovlockState *S = &covlockState;
  if (N >= sizeof(S->Test))
    N = sizeof(S->Test) - 1;
  S->HasTest = HasId && N;
  memcpy(S->Test, Id, S->HasTest ? N : 0);
  S->TestLen = S->HasTest ? N : 0;
  S->Test[S->TestLen] = '\0';
  if (S->HasTest)
    covlockEncodeKey(S->Test, S->TestLen, S->Key);
  else
    strcpy(S->Key, COVLOCK_OUTSIDE_KEY);
}

/* The test id: its JSON string (lossy for invalid UTF-8), and whenever an
 * id is set its exact bytes as "test_hex"; null outside any test. */
void covlockPutTestId(CovlockBuf *B) {
  CovlockState *S = &covlockState;
  if (!S->HasTest) {
    covlockPutStr(B, "null");
    return;
  }
  covlockPutJsonStr(B, S->Test, S->TestLen);
  covlockPutStr(B, ",\"test_hex\":\"");
  covlockPutHex(B, (const unsigned char *)S->Test, S->TestLen);
  covlockPutStr(B, "\"");
}

void covlockPutKeyDir(CovlockBuf *B) {
  covlockPutStr(B, covlockState.Dir);
  covlockPutStr(B, "/");
  covlockPutStr(B, covlockState.Key);
}

void covlockFormatPath(char *Out, const char *Name) {
  CovlockBuf B;
  covlockBufInit(&B, Out, PATH_MAX);
  covlockPutKeyDir(&B);
  covlockPutStr(&B, "/");
  covlockPutStr(&B, Name);
  covlockBufFinish(&B);
}

void covlockPutProcessPrefix(CovlockBuf *B, int Hidden) {
  covlockPutStr(B, Hidden ? "." : "");
  covlockPutStr(B, covlockState.Host);
  covlockPutStr(B, ".");
  covlockPutU64(B, (uint64_t)covlockState.Pid);
}

/* HOST.PID[.bN].boot: the suffix only appears if a marker of an earlier
 * image with this pid (pid reuse under --append) is still there; that one
 * is evidence of a lost process and must not be replaced. */
static void formatBootName(char *Out, unsigned Attempt) {
  CovlockBuf B;
  covlockBufInit(&B, Out, COVLOCK_NAME_MAX);
  covlockPutProcessPrefix(&B, 0);
  if (Attempt) {
    covlockPutStr(&B, ".b");
    covlockPutU64(&B, Attempt);
  }
  covlockPutStr(&B, ".boot");
  covlockBufFinish(&B);
}

static int writeAll(int Fd, const char *P, size_t N) {
  while (N) {
    ssize_t W = write(Fd, P, N);
    if (W < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    P += W;
    N -= (size_t)W;
  }
  return 0;
}

static size_t formatBootRecord(char *Out, size_t Cap) {
  CovlockState *S = &covlockState;
  CovlockBuf B;
  covlockBufInit(&B, Out, Cap);
  covlockPutStr(&B, "{\"version\":1,\"run\":");
  if (S->HasRun)
    covlockPutJsonStr(&B, S->Run, strlen(S->Run));
  else
    covlockPutStr(&B, "null");
  covlockPutStr(&B, ",\"label\":");
  if (S->HasLabel)
    covlockPutJsonStr(&B, S->Label, strlen(S->Label));
  else
    covlockPutStr(&B, "null");
  covlockPutStr(&B, ",\"test\":");
  covlockPutTestId(&B);
  covlockPutStr(&B, ",\"host\":\"");
  covlockPutStr(&B, S->Host);
  covlockPutStr(&B, "\",\"pid\":");
  covlockPutU64(&B, (uint64_t)S->Pid);
  covlockPutStr(&B, ",\"ppid\":");
  covlockPutU64(&B, (uint64_t)S->Ppid);
  covlockPutStr(&B, ",\"exe\":");
  covlockPutJsonStr(&B, S->Exe, strlen(S->Exe));
  covlockPutStr(&B, ",\"start\":");
  covlockPutU64(&B, S->StartNs);
  covlockPutStr(&B, "}\n");
  return covlockBufFinish(&B) ? 0 : B.Len;
}

void covlockIgnoreFileSizeSignal(struct sigaction *Old) {
  struct sigaction Ignore;
  memset(&Ignore, 0, sizeof(Ignore));
  Ignore.sa_handler = SIG_IGN;
  covlockRealSigaction(SIGXFSZ, &Ignore, Old);
}

void covlockRestoreFileSizeSignal(const struct sigaction *Old) {
  covlockRealSigaction(SIGXFSZ, Old, NULL);
}

static int placeBootMarker(void);

/* Creates DIR/KEY and this image's boot marker there (O_EXCL). */
int covlockPlaceBootMarker(void) {
  struct sigaction OldXfsz;
  covlockIgnoreFileSizeSignal(&OldXfsz);
  int Result = placeBootMarker();
  covlockRestoreFileSizeSignal(&OldXfsz);
  return Result;
}

static int placeBootMarker(void) {
  CovlockState *S = &covlockState;
  S->BootName[0] = '\0';
  int KeyFd;
  if (covlockOpenKeyDir(S->Key, &KeyFd) != 0)
    return -1;
  /* Static: this runs on signal stacks too, and never concurrently (the
   * flush guard, or a fork child's single thread). Sized for the worst
   * case, so it never overflows. */
  static char Content[COVLOCK_RECORD_MAX];
  size_t Len = formatBootRecord(Content, sizeof(Content));
  char Name[COVLOCK_NAME_MAX], Path[PATH_MAX];
  int Result = -1;
  for (unsigned Attempt = 0; Len && Attempt < 100; ++Attempt) {
    formatBootName(Name, Attempt);
    int Fd = openat(KeyFd, Name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (Fd < 0 && errno == EEXIST)
      continue;
    struct stat St;
    if (Fd < 0 || writeAll(Fd, Content, Len) != 0 || fstat(Fd, &St) != 0) {
      int Err = errno;
      covlockFormatPath(Path, Name);
      covlockReport(COVLOCK_REPORT_MARKER, "cannot write boot marker", Path,
                    Err);
      if (Fd >= 0) {
        close(Fd);
        unlinkat(KeyFd, Name, 0);
      }
      break;
    }
    /* Not kept open: the program may close any descriptor and reuse its
     * number. The final flush reopens the marker by name and checks that
     * it is still this file (docs/runtime.md). */
    close(Fd);
    strcpy(S->BootName, Name);
    S->BootDev = (uint64_t)St.st_dev;
    S->BootIno = (uint64_t)St.st_ino;
    S->BootLen = Len;
    Result = 0;
    break;
  }
  close(KeyFd);
  return Result;
}

void covlockDropBootMarker(void) { covlockState.BootName[0] = '\0'; }

/* Removes DIR/Key/Name if it is still the marker Dev/Ino. */
static void removeMarker(const char *Key, const char *Name, uint64_t Dev,
                         uint64_t Ino) {
  int DirFd = covlockOpenDir();
  if (DirFd < 0)
    return;
  int KeyFd = covlockOpenSubdir(DirFd, Key, 0);
  if (KeyFd >= 0) {
    if (covlockIsFileAt(KeyFd, Name, Dev, Ino))
      unlinkat(KeyFd, Name, 0);
    close(KeyFd);
  }
  close(DirFd);
}

/* Moves the boot marker with the process when its test changes, so that a
 * process lost during a test marks that test. */
void covlockChangeTest(const char *Id, size_t N, int HasId) {
  CovlockState *S = &covlockState;
  char OldName[sizeof(S->BootName)], OldKey[sizeof(S->Key)];
  strcpy(OldName, S->BootName);
  strcpy(OldKey, S->Key);
  uint64_t OldDev = S->BootDev, OldIno = S->BootIno;
  covlockSetTest(Id, N, HasId);
  if (OldName[0] && strcmp(OldKey, S->Key) == 0)
    return;
  if (covlockPlaceBootMarker() == 0 && OldName[0])
    removeMarker(OldKey, OldName, OldDev, OldIno);
}

/* The GNU build id of the main executable, as llvm-covmerge verifies it. */
static int findBuildId(struct dl_phdr_info *Info, size_t Size, void *Data) {
  (void)Size;
  for (int I = 0; I != Info->dlpi_phnum; ++I) {
    const ElfW(Phdr) *P = &Info->dlpi_phdr[I];
    if (P->p_type != PT_NOTE)
      continue;
    const char *Note = (const char *)(Info->dlpi_addr + P->p_vaddr);
    const char *End = Note + P->p_memsz;
    while (Note + sizeof(ElfW(Nhdr)) <= End) {
      const ElfW(Nhdr) *N = (const ElfW(Nhdr) *)Note;
      const char *Name = Note + sizeof(ElfW(Nhdr));
      const char *Desc = Name + ((N->n_namesz + 3) & ~3u);
      if (N->n_type == NT_GNU_BUILD_ID && N->n_namesz == 4 &&
          memcmp(Name, "GNU", 4) == 0 && N->n_descsz <= 64) {
        CovlockBuf B;
        covlockBufInit(&B, (char *)Data, 2 * 64 + 1);
        covlockPutHex(&B, (const unsigned char *)Desc, N->n_descsz);
        covlockBufFinish(&B);
        return 1;
      }
      Note = Desc + ((N->n_descsz + 3) & ~3u);
    }
  }
  return 1; /* only the first object is the executable */
}

/* A process whose COVLOCK_DIR is held by a run it does not belong to must
 * not mix its coverage into that run. Whether a run is live is decided by
 * the lock alone; the owner record is only read for its run id. */
static int belongsToLockedRun(int ControlFd) {
  CovlockState *S = &covlockState;
  CovlockBuf B;
  int Fd = openat(ControlFd, "run.lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (Fd < 0)
    return 1; /* no run has ever locked it */
  struct flock L;
  memset(&L, 0, sizeof(L));
  L.l_type = F_WRLCK;
  L.l_whence = SEEK_SET;
  int Ours = 1;
  if (fcntl(Fd, F_OFD_GETLK, &L) == 0 && L.l_type != F_UNLCK) {
    char Record[4096];
    ssize_t N = pread(Fd, Record, sizeof(Record) - 1, 0);
    Record[N > 0 ? N : 0] = '\0';
    char Want[sizeof(S->Run) + 16];
    covlockBufInit(&B, Want, sizeof(Want));
    covlockPutStr(&B, "\"run\":");
    covlockPutJsonStr(&B, S->Run, strlen(S->Run));
    covlockBufFinish(&B);
    Ours = S->HasRun && strstr(Record, Want) != NULL;
  }
  close(Fd);
  return Ours;
}

static void enableCovlock(const char *Dir);

/* exit() runs the atexit and on_exit handlers (C++ static destructors
 * among them), newest first, and then the ELF destructors. This handler,
 * registered at start-up, only notes the status; the final flush is the
 * executable's last destructor, after all of that exit-time code. */
static int ExitStatus, HasExitStatus;

static void onExit(int Status, void *Arg) {
  (void)Arg;
  ExitStatus = Status;
  HasExitStatus = 1;
}

__attribute__((destructor(101))) static void covlockFinalize(void) {
  CovlockFlushRequest Req = {COVLOCK_EXIT, 1, 0, 0, HasExitStatus,
                             ExitStatus, 0, 0};
  covlockFlush(&Req);
}

static void onForkChild(void) {
  CovlockState *S = &covlockState;
  if (!S->Enabled)
    return;
  /* The child keeps the counts it inherited: the coverage mapping derives
   * many regions as differences of counters, and a function in flight at
   * the fork is only consistent with its whole history (docs/runtime.md,
   * "Fork"). Pre-fork work therefore appears in every child's profile. */
  S->Ppid = S->Pid;
  S->Pid = getpid();
  S->StartNs = covlockNowNs();
  S->Seq = 0;
  S->Flushing = 0;
  S->SignalFlushed = 0;
  covlockDropBootMarker(); /* the parent's */
  covlockPlaceBootMarker();
}

__attribute__((constructor(101))) static void covlockInitialize(void) {
  const char *Dir = getenv("COVLOCK_DIR");
  if (!Dir || !*Dir) {
    /* Exactly what compiler-rt's own registration would have done. */
    __llvm_profile_initialize();
    return;
  }
  enableCovlock(Dir);
}

static void enableCovlock(const char *Dir) {
  CovlockState *S = &covlockState;
  size_t DirLen = strlen(Dir);
  if (DirLen + COVLOCK_KEY_MAX * 2 + 64 >= sizeof(S->Dir) / 2) {
    covlockReport(COVLOCK_REPORT_SETUP, "coverage directory path too long",
                  NULL, 0);
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
    covlockReport(COVLOCK_REPORT_SETUP, "cannot use coverage directory",
                  S->Dir, errno);
    return;
  }
  if (strlen(Canonical) + COVLOCK_KEY_MAX * 2 + 64 >= sizeof(S->Dir) / 2) {
    covlockReport(COVLOCK_REPORT_SETUP, "coverage directory path too long",
                  NULL, 0);
    return;
  }
  strcpy(S->Dir, Canonical);
  int DirFd = open(S->Dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat St;
  if (DirFd < 0 || fstat(DirFd, &St) != 0) {
    covlockReport(COVLOCK_REPORT_SETUP, "cannot use coverage directory",
                  S->Dir, errno);
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
  dl_iterate_phdr(findBuildId, S->BinaryId);
  S->Pid = getpid();
  S->Ppid = getppid();
  S->StartNs = covlockNowNs();
  covlockSetTest(S->AmbientTest, S->AmbientTestLen, S->HasAmbientTest);

  if (covlockPlaceBootMarker() != 0)
    return;
  S->Enabled = 1;
  on_exit(onExit, NULL);
  pthread_atfork(NULL, NULL, onForkChild);
  covlockInstallSignalHandlers();
}

/* ---- Public test-boundary API (include/covlock/covlock.h) ------------- */

__attribute__((visibility("default"))) void covlock_test_begin(const char *Id) {
  CovlockState *S = &covlockState;
  if (!S->Enabled)
    return;
  CovlockFlushRequest Req = {COVLOCK_TEST_BEGIN, 0, 0, 0, 0, 0, 0, 0};
  covlockFlush(&Req);
  covlockChangeTest(Id ? Id : "", Id ? strlen(Id) : 0, Id != NULL);
}

__attribute__((visibility("default"))) void covlock_test_end(int Outcome) {
  CovlockState *S = &covlockState;
  if (!S->Enabled)
    return;
  CovlockFlushRequest Req = {COVLOCK_TEST_END, 0, 0, 0, 0, 0, 1, Outcome};
  covlockFlush(&Req);
  covlockChangeTest(S->AmbientTest, S->AmbientTestLen, S->HasAmbientTest);
}

__attribute__((visibility("default"))) void covlock_flush(void) {
  if (!covlockState.Enabled)
    return;
  CovlockFlushRequest Req = {COVLOCK_EXPLICIT, 0, 0, 0, 0, 0, 0, 0};
  covlockFlush(&Req);
}
