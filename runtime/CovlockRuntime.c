/*===- CovlockRuntime.c - process identity, markers, test boundaries ------===*\
|*
|* The process's state: its test (and key), its boot marker, and the public
|* test-boundary API of covlock/covlock.h. Start-up is CovlockStartup.c.
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

CovlockState covlockState;

uint64_t covlockNowNs(void) {
  struct timespec T;
  clock_gettime(CLOCK_REALTIME, &T);
  return (uint64_t)T.tv_sec * 1000000000u + (uint64_t)T.tv_nsec;
}

void covlockReport(unsigned Kind, const char *What, const char *Path, int Err) {
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

size_t covlockCutUtf8(const char *S, size_t N, size_t Max) {
  if (N <= Max)
    return N;
  N = Max;
  while (N && ((unsigned char)S[N] & 0xC0) == 0x80)
    --N;
  return N;
}

void covlockSetTest(const char *Id, size_t N, int HasId) {
  CovlockState *S = &covlockState;
  N = covlockCutUtf8(Id, N, COVLOCK_TEST_ID_MAX);
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
static void putTestId(CovlockBuf *B) {
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

void covlockPutRecordHead(CovlockBuf *B) {
  CovlockState *S = &covlockState;
  covlockPutStr(B, "{\"version\":");
  covlockPutU64(B, COVLOCK_PROTOCOL_VERSION);
  covlockPutStr(B, ",\"run\":");
  if (S->HasRun)
    covlockPutJsonStr(B, S->Run, strlen(S->Run));
  else
    covlockPutStr(B, "null");
  covlockPutStr(B, ",\"label\":");
  if (S->HasLabel)
    covlockPutJsonStr(B, S->Label, strlen(S->Label));
  else
    covlockPutStr(B, "null");
  covlockPutStr(B, ",\"test\":");
  putTestId(B);
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

static size_t formatBootRecord(char *Out, size_t Cap) {
  CovlockState *S = &covlockState;
  CovlockBuf B;
  covlockBufInit(&B, Out, Cap);
  covlockPutRecordHead(&B);
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
    int Fd = covlockCreateFile(KeyFd, Name);
    if (Fd < 0 && errno == EEXIST)
      continue;
    struct stat St;
    int Err = Fd < 0 ? errno : covlockWriteAll(Fd, Content, Len);
    if (!Err && fstat(Fd, &St) != 0)
      Err = errno;
    if (Err) {
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

void covlockOnForkChild(void) {
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
  S->Ended = 0;
  S->SignalFlushed = 0;
  covlockResetGuard();
  int SavedErrno = errno;
  covlockDropBootMarker(); /* the parent's */
  covlockPlaceBootMarker();
  errno = SavedErrno;
}

/* ---- Public test-boundary API (include/covlock/covlock.h) ------------- */

/* A flush and, for a boundary, the change of test, as one step under the
 * guard: another thread's flush must not write between them. The
 * program's errno is left as it was. */
static void flushAndSwitch(CovlockReason Reason, int HasOutcome, int Outcome,
                           int Switch, const char *Id, size_t N, int HasId) {
  CovlockState *S = &covlockState;
  if (!S->Enabled)
    return;
  int SavedErrno = errno;
  /* A call from a signal handler that interrupted a flush of this thread
   * (or after waiting out a stuck one) gives up: writing now would
   * interleave with the interrupted flush's files. */
  if (!covlockAcquireGuard()) {
    errno = SavedErrno;
    return;
  }
  CovlockFlushRequest Req = {Reason, 0, 0, 0, 0, 0, HasOutcome, Outcome, NULL};
  covlockFlushHoldingGuard(&Req);
  if (Switch && !S->Ended && getpid() == S->Pid)
    covlockChangeTest(Id, N, HasId);
  covlockReleaseGuard();
  errno = SavedErrno;
}

__attribute__((visibility("default"))) void covlock_test_begin(const char *Id) {
  flushAndSwitch(COVLOCK_TEST_BEGIN, 0, 0, 1, Id ? Id : "", Id ? strlen(Id) : 0,
                 Id != NULL);
}

__attribute__((visibility("default"))) void covlock_test_end(int Outcome) {
  CovlockState *S = &covlockState;
  flushAndSwitch(COVLOCK_TEST_END, 1, Outcome, 1, S->AmbientTest,
                 S->AmbientTestLen, S->HasAmbientTest);
}

__attribute__((visibility("default"))) void covlock_flush(void) {
  flushAndSwitch(COVLOCK_EXPLICIT, 0, 0, 0, NULL, 0, 0);
}
