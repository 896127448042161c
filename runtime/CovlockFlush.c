/*===- CovlockFlush.c - publishing a profile and its flush record ----------===*\
|*
|* One path for every flush, signal handlers included, so only
|* async-signal-safe calls: the profile image is built in the buffer sized at
|* start-up, then written with open/write/link/unlink/close.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long a writer waits for its shared flush lock before publishing
 * without it; the exclusive holders (clean, merge snapshots) are brief. */
#define COVLOCK_FLUSH_LOCK_WAIT_MS 10000

static const char *reasonName(CovlockReason R) {
  switch (R) {
  case COVLOCK_EXIT: return "exit";
  case COVLOCK_SIGNAL: return "signal";
  case COVLOCK_UNDERSCORE_EXIT: return "_exit";
  case COVLOCK_EXEC: return "exec";
  case COVLOCK_TEST_BEGIN: return "test-begin";
  case COVLOCK_TEST_END: return "test-end";
  case COVLOCK_EXPLICIT: return "explicit";
  }
  return "explicit";
}

/* DIR/KEY/[.]HOST.PID.SEQ<Suffix> */
static int formatFilePath(char *Out, unsigned Seq, const char *Suffix,
                          int Hidden) {
  CovlockBuf B;
  covlockBufInit(&B, Out, PATH_MAX);
  covlockPutProcessPrefix(&B, Hidden);
  covlockPutStr(&B, ".");
  covlockPutU64(&B, Seq);
  covlockPutStr(&B, Suffix);
  return covlockBufFinish(&B);
}

static int acquireFlushLock(void) {
  CovlockState *S = &covlockState;
  char Path[PATH_MAX];
  CovlockBuf B;
  covlockBufInit(&B, Path, sizeof(Path));
  covlockPutStr(&B, S->Dir);
  covlockPutStr(&B, "/.covlock/flush.lock");
  covlockBufFinish(&B);
  int Fd = open(Path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (Fd < 0)
    return -1;
  struct flock L;
  memset(&L, 0, sizeof(L));
  L.l_type = F_RDLCK;
  L.l_whence = SEEK_SET;
  for (int Waited = 0; fcntl(Fd, F_OFD_SETLK, &L) != 0; Waited += 10) {
    if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
        Waited >= COVLOCK_FLUSH_LOCK_WAIT_MS) {
      covlockReport(COVLOCK_REPORT_LOCK,
                    "flush lock busy; publishing without it", Path, 0);
      break;
    }
    struct timespec T = {0, 10 * 1000 * 1000};
    nanosleep(&T, NULL);
  }
  return Fd; /* closing it releases the lock */
}

static int writeAll(int Fd, const char *Data, size_t N) {
  while (N) {
    ssize_t W = write(Fd, Data, N);
    if (W < 0 && errno == EINTR)
      continue;
    if (W <= 0)
      return W < 0 ? errno : ENOSPC;
    Data += W;
    N -= (size_t)W;
  }
  return 0;
}

/* Writes a new file (O_EXCL); on failure removes it and returns errno. */
static int writeFile(const char *Path, const char *Data, size_t N) {
  int Fd = open(Path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (Fd < 0)
    return errno;
  int Err = writeAll(Fd, Data, N);
  if (close(Fd) != 0 && !Err)
    Err = errno;
  if (Err)
    unlink(Path);
  return Err;
}

typedef struct {
  int Fd;
  int Err;
  size_t Size;
} ProfileSink;

static uint32_t writePieces(CovlockProfWriter *This, CovlockProfPiece *Pieces,
                            uint32_t NumPieces) {
  static const char Zeros[4096];
  ProfileSink *Sink = (ProfileSink *)This->Context;
  for (uint32_t I = 0; I != NumPieces && !Sink->Err; ++I) {
    size_t N = Pieces[I].ElmSize * Pieces[I].NumElm;
    Sink->Size += N;
    if (Pieces[I].Data) {
      Sink->Err = writeAll(Sink->Fd, (const char *)Pieces[I].Data, N);
    } else if (!Pieces[I].UseZeroPadding) {
      if (lseek(Sink->Fd, (off_t)N, SEEK_CUR) < 0)
        Sink->Err = errno;
    } else {
      for (size_t Chunk; N && !Sink->Err; N -= Chunk) {
        Chunk = N < sizeof(Zeros) ? N : sizeof(Zeros);
        Sink->Err = writeAll(Sink->Fd, Zeros, Chunk);
      }
    }
  }
  return Sink->Err != 0;
}

/* Writes the profile image straight from the sections into Path. */
static int writeProfileFile(const char *Path, size_t *Size) {
  ProfileSink Sink = {open(Path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666),
                      0, 0};
  if (Sink.Fd < 0)
    return errno;
  CovlockProfWriter Writer = {writePieces, &Sink};
  if (lprofWriteData(&Writer, NULL, 0) != 0 && !Sink.Err)
    Sink.Err = EIO;
  if (close(Sink.Fd) != 0 && !Sink.Err)
    Sink.Err = errno;
  if (Sink.Err)
    unlink(Path);
  *Size = Sink.Size;
  return Sink.Err;
}

/* Publishes Tmp as the first free DIR/KEY/HOST.PID.SEQ.profraw, never
 * replacing a file (the name may be taken by the image this one exec'd
 * from, or by an earlier process with this pid). A seq is free only when
 * neither its profile nor its record exists. */
static int publishProfile(const char *Tmp, unsigned *Seq) {
  char Final[PATH_MAX], Record[PATH_MAX];
  for (unsigned Tries = 0; Tries < 10000; ++Tries, ++*Seq) {
    formatFilePath(Final, *Seq, ".profraw", 0);
    formatFilePath(Record, *Seq, ".json", 0);
    if (access(Record, F_OK) == 0)
      continue;
    int Err = covlockRenameNoReplace(Tmp, Final);
    if (Err != EEXIST) {
      if (Err)
        unlink(Tmp);
      return Err;
    }
  }
  unlink(Tmp);
  return EEXIST;
}

static void formatRecord(CovlockBuf *B, const CovlockFlushRequest *Req,
                         unsigned Seq, size_t Size, int Error) {
  CovlockState *S = &covlockState;
  covlockPutStr(B, "{\"version\":1,\"run\":");
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
  if (!S->HasTest) {
    covlockPutStr(B, "null");
  } else if (!covlockPutJsonStr(B, S->Test, S->TestLen)) {
    covlockPutStr(B, ",\"test_hex\":\"");
    covlockPutHex(B, (const unsigned char *)S->Test, S->TestLen);
    covlockPutStr(B, "\"");
  }
  covlockPutStr(B, ",\"key\":\"");
  covlockPutStr(B, S->Key);
  covlockPutStr(B, "\",\"host\":\"");
  covlockPutStr(B, S->Host);
  covlockPutStr(B, "\",\"pid\":");
  covlockPutU64(B, (uint64_t)S->Pid);
  covlockPutStr(B, ",\"ppid\":");
  covlockPutU64(B, (uint64_t)S->Ppid);
  covlockPutStr(B, ",\"exe\":");
  covlockPutJsonStr(B, S->Exe, strlen(S->Exe));
  if (S->BinaryId[0]) {
    covlockPutStr(B, ",\"binary_id\":\"");
    covlockPutStr(B, S->BinaryId);
    covlockPutStr(B, "\"");
  }
  covlockPutStr(B, ",\"start\":");
  covlockPutU64(B, S->StartNs);
  covlockPutStr(B, ",\"end\":");
  covlockPutU64(B, covlockNowNs());
  covlockPutStr(B, ",\"seq\":");
  covlockPutU64(B, Seq);
  covlockPutStr(B, ",\"reason\":\"");
  covlockPutStr(B, reasonName(Req->Reason));
  covlockPutStr(B, "\"");
  if (Req->Reason == COVLOCK_SIGNAL) {
    covlockPutStr(B, ",\"signal\":");
    covlockPutI64(B, Req->Signal);
  }
  if (Req->HasStatus) {
    covlockPutStr(B, ",\"status\":");
    covlockPutI64(B, Req->Status);
  }
  if (Req->HasOutcome) {
    covlockPutStr(B, ",\"outcome\":");
    covlockPutI64(B, Req->Outcome);
  }
  covlockPutStr(B, Req->Final ? ",\"final\":true" : ",\"final\":false");
  if (Error) {
    covlockPutStr(B, ",\"profile\":null,\"size\":0,\"error\":\"");
    covlockPutStr(B, covlockErrnoText(Error));
    covlockPutStr(B, "\"");
  } else {
    covlockPutStr(B, ",\"profile\":\"");
    covlockPutStr(B, S->Host);
    covlockPutStr(B, ".");
    covlockPutU64(B, (uint64_t)S->Pid);
    covlockPutStr(B, ".");
    covlockPutU64(B, Seq);
    covlockPutStr(B, ".profraw\",\"size\":");
    covlockPutU64(B, Size);
  }
  covlockPutStr(B, "}\n");
}

/* Writes and publishes the profile; returns 0 or an errno value. */
static int writeProfile(unsigned *Seq, size_t *Size) {
  char Tmp[PATH_MAX];
  if (formatFilePath(Tmp, *Seq, ".profraw.tmp", 1))
    return ENAMETOOLONG;
  int Err = writeProfileFile(Tmp, Size);
  if (Err == ENOENT) {
    /* A new run may have cleared DIR; recreate this test's directory. */
    covlockPlaceBootMarker();
    Err = writeProfileFile(Tmp, Size);
  }
  return Err ? Err : publishProfile(Tmp, Seq);
}

/* The final record is appended to the boot marker, which is then renamed
 * into the record: the marker disappears as the record appears, and a
 * process image costs one file besides its profile. */
static int publishRecordFromMarker(const char *Record, size_t Len,
                                   const char *Final) {
  CovlockState *S = &covlockState;
  if (S->BootFd < 0)
    return -1;
  int Err = 0;
  for (size_t Done = 0; Done < Len && !Err;) {
    ssize_t W = pwrite(S->BootFd, Record + Done, Len - Done,
                       (off_t)(S->BootLen + Done));
    if (W < 0 && errno == EINTR)
      continue;
    if (W <= 0)
      Err = W < 0 ? errno : ENOSPC;
    else
      Done += (size_t)W;
  }
  if (!Err)
    Err = covlockRenameNoReplace(S->BootPath, Final);
  if (Err) {
    /* The marker stays a plain marker; on failure readers still find its
     * first line intact. */
    int Ignored = ftruncate(S->BootFd, (off_t)S->BootLen);
    (void)Ignored;
    return Err;
  }
  covlockDropBootMarker();
  return 0;
}

/* The record goes to the profile's seq; without a profile, to the first
 * seq with neither file. Returns 0 once a record is published. */
static int writeRecord(const CovlockFlushRequest *Req, unsigned *Seq,
                       size_t Size, int Error) {
  static char Record[COVLOCK_ID_MAX * 3 + PATH_MAX + 2048];
  char Tmp[PATH_MAX], Final[PATH_MAX], Profile[PATH_MAX];
  int Err = EEXIST;
  for (unsigned Tries = 0; Err == EEXIST && Tries < 10000; ++Tries) {
    formatFilePath(Final, *Seq, ".json", 0);
    formatFilePath(Profile, *Seq, ".profraw", 0);
    if (Error && access(Profile, F_OK) == 0) {
      ++*Seq;
      continue;
    }
    CovlockBuf B;
    covlockBufInit(&B, Record, sizeof(Record));
    formatRecord(&B, Req, *Seq, Size, Error);
    if (covlockBufFinish(&B) || formatFilePath(Tmp, *Seq, ".json.tmp", 1))
      return ENAMETOOLONG;
    if (Req->Final && publishRecordFromMarker(Record, B.Len, Final) == 0)
      return 0;
    Err = writeFile(Tmp, Record, B.Len);
    if (Err)
      break;
    Err = covlockRenameNoReplace(Tmp, Final);
    if (Err)
      unlink(Tmp);
    if (Err == EEXIST)
      ++*Seq;
  }
  if (Err && !Error)
    covlockReport(COVLOCK_REPORT_WRITE, "cannot write flush record", Final,
                  Err);
  return Err;
}

void covlockFlush(const CovlockFlushRequest *Req) {
  CovlockState *S = &covlockState;
  /* A vfork child shares this memory and these counters with its parent,
   * which flushes them; it must not publish or move the parent's files. */
  if (!S->Enabled || getpid() != S->Pid ||
      __sync_lock_test_and_set(&S->Flushing, 1))
    return;
  int SavedErrno = errno;

  /* Async termination signals wait until the flush is done. */
  sigset_t Block, Old;
  sigemptyset(&Block);
  sigaddset(&Block, SIGTERM);
  sigaddset(&Block, SIGINT);
  sigaddset(&Block, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &Block, &Old);
  struct sigaction OldXfsz;
  covlockIgnoreFileSizeSignal(&OldXfsz);

  int LockFd = acquireFlushLock();
  unsigned Seq = S->Seq;
  size_t Size = 0;
  unsigned ReportedBefore = S->ReportedErrors;
  int Err = writeProfile(&Seq, &Size);
  /* A directory that could not be recreated was reported already. */
  if (Err && !(S->ReportedErrors & ~ReportedBefore & COVLOCK_REPORT_MARKER)) {
    char Path[PATH_MAX];
    formatFilePath(Path, Seq, ".profraw", 0);
    covlockReport(COVLOCK_REPORT_WRITE, "cannot write profile", Path, Err);
  }
  int RecordErr = writeRecord(Req, &Seq, Size, Err);
  S->Seq = Seq + 1;
  if (Req->Final && S->BootPath[0]) {
    /* The record could not take the marker's place. If there is no record
     * at all, the marker stays: the tools then count the process as lost
     * rather than not at all. */
    if (!RecordErr)
      unlink(S->BootPath);
    covlockDropBootMarker();
  }
  if (LockFd >= 0)
    close(LockFd);
  /* Later flushes of this image write only what runs after this one. A
   * final flush skips it: the image ends, and resetting would touch every
   * counter page of a big program (see CovlockWrappers.c and
   * CovlockSignals.c for the final flushes an image may survive). */
  if (!Req->Final)
    __llvm_profile_reset_counters();

  covlockRestoreFileSizeSignal(&OldXfsz);
  pthread_sigmask(SIG_SETMASK, &Old, NULL);
  errno = SavedErrno;
  __sync_lock_release(&S->Flushing);
}
