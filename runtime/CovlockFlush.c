/*===- CovlockFlush.c - publishing a profile and its flush record ----------===*\
|*
|* One path for every flush, signal handlers included, so only
|* async-signal-safe calls: every file is written with openat/write/close
|* and published with renameat2 under a descriptor of DIR/KEY opened for
|* this flush (CovlockDir.c), never through a symlink.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
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

/* [.]HOST.PID.SEQ<Suffix>, a name in DIR/KEY */
static int formatFileName(char *Out, unsigned Seq, const char *Suffix,
                          int Hidden) {
  CovlockBuf B;
  covlockBufInit(&B, Out, COVLOCK_NAME_MAX);
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
  int DirFd = covlockOpenDir();
  if (DirFd < 0)
    return -1;
  int ControlFd = covlockOpenSubdir(DirFd, ".covlock", 0);
  close(DirFd);
  if (ControlFd < 0)
    return -1;
  int Fd = openat(ControlFd, "flush.lock",
                  O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  close(ControlFd);
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

/* A new file in DIR/KEY: never an existing one, never through a symlink. */
static int createFile(int KeyFd, const char *Name) {
  return openat(KeyFd, Name,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
}

/* Writes a new file; on failure removes it and returns errno. */
static int writeFile(int KeyFd, const char *Name, const char *Data,
                     size_t N) {
  int Fd = createFile(KeyFd, Name);
  if (Fd < 0)
    return errno;
  int Err = writeAll(Fd, Data, N);
  if (close(Fd) != 0 && !Err)
    Err = errno;
  if (Err)
    unlinkat(KeyFd, Name, 0);
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

/* Writes the profile image straight from the sections into KeyFd/Name. */
static int writeProfileFile(int KeyFd, const char *Name, size_t *Size) {
  ProfileSink Sink = {createFile(KeyFd, Name), 0, 0};
  if (Sink.Fd < 0)
    return errno;
  CovlockProfWriter Writer = {writePieces, &Sink};
  if (lprofWriteData(&Writer, NULL, 0) != 0 && !Sink.Err)
    Sink.Err = EIO;
  if (close(Sink.Fd) != 0 && !Sink.Err)
    Sink.Err = errno;
  if (Sink.Err)
    unlinkat(KeyFd, Name, 0);
  *Size = Sink.Size;
  return Sink.Err;
}

/* Publishes Tmp as the first free DIR/KEY/HOST.PID.SEQ.profraw, never
 * replacing a file (the name may be taken by the image this one exec'd
 * from, or by an earlier process with this pid). A seq is free only when
 * neither its profile nor its record exists. */
static int publishProfile(int KeyFd, const char *Tmp, unsigned *Seq) {
  char Final[COVLOCK_NAME_MAX], Record[COVLOCK_NAME_MAX];
  for (unsigned Tries = 0; Tries < 10000; ++Tries, ++*Seq) {
    formatFileName(Final, *Seq, ".profraw", 0);
    formatFileName(Record, *Seq, ".json", 0);
    if (covlockExistsAt(KeyFd, Record))
      continue;
    int Err = covlockRenameNoReplace(KeyFd, Tmp, Final);
    if (Err != EEXIST) {
      if (Err)
        unlinkat(KeyFd, Tmp, 0);
      return Err;
    }
  }
  unlinkat(KeyFd, Tmp, 0);
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
  covlockPutTestId(B);
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
static int writeProfile(int KeyFd, unsigned *Seq, size_t *Size) {
  char Tmp[COVLOCK_NAME_MAX];
  if (formatFileName(Tmp, *Seq, ".profraw.tmp", 1))
    return ENAMETOOLONG;
  int Err = writeProfileFile(KeyFd, Tmp, Size);
  return Err ? Err : publishProfile(KeyFd, Tmp, Seq);
}

/* The final record is appended to the boot marker, which is then renamed
 * into the record: the marker disappears as the record appears, and a
 * process image costs one file besides its profile. */
static int publishRecordFromMarker(int KeyFd, const char *Record, size_t Len,
                                   const char *Final) {
  CovlockState *S = &covlockState;
  if (!S->BootName[0])
    return -1;
  /* Reopened by name: a descriptor kept from start-up could have been
   * closed and its number reused by the program. */
  int Fd = openat(KeyFd, S->BootName, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (Fd < 0)
    return errno;
  struct stat St;
  if (fstat(Fd, &St) != 0 || !S_ISREG(St.st_mode) ||
      (uint64_t)St.st_dev != S->BootDev || (uint64_t)St.st_ino != S->BootIno) {
    close(Fd);
    covlockDropBootMarker(); /* not ours any more */
    return ESTALE;
  }
  int Err = 0;
  for (size_t Done = 0; Done < Len && !Err;) {
    ssize_t W = pwrite(Fd, Record + Done, Len - Done,
                       (off_t)(S->BootLen + Done));
    if (W < 0 && errno == EINTR)
      continue;
    if (W <= 0)
      Err = W < 0 ? errno : ENOSPC;
    else
      Done += (size_t)W;
  }
  if (!Err)
    Err = covlockRenameNoReplace(KeyFd, S->BootName, Final);
  if (Err) {
    /* The marker stays a plain marker; on failure readers still find its
     * first line intact. */
    int Ignored = ftruncate(Fd, (off_t)S->BootLen);
    (void)Ignored;
  }
  close(Fd);
  if (!Err)
    covlockDropBootMarker();
  return Err;
}

/* The final record could not be written at all: the marker becomes
 * HOST.PID[.bN].failed, which the tools count as a failed flush rather
 * than a lost process. A rename needs no room in any file. */
static void markFlushFailed(int KeyFd) {
  CovlockState *S = &covlockState;
  size_t Len = strlen(S->BootName);
  char Failed[COVLOCK_NAME_MAX + 8];
  if (Len < 5 || !covlockIsFileAt(KeyFd, S->BootName, S->BootDev, S->BootIno))
    return;
  memcpy(Failed, S->BootName, Len - 5); /* without ".boot" */
  strcpy(Failed + Len - 5, ".failed");
  covlockRenameNoReplace(KeyFd, S->BootName, Failed);
}

/* The record goes to the profile's seq; without a profile, to the first
 * seq with neither file. Returns 0 once a record is published. */
static int writeRecord(int KeyFd, const CovlockFlushRequest *Req,
                       unsigned *Seq, size_t Size, int Error) {
  /* Sized for the worst case (see COVLOCK_RECORD_MAX); static: flushes
   * never run concurrently (the flush guard). */
  static char Record[COVLOCK_RECORD_MAX];
  char Tmp[COVLOCK_NAME_MAX], Final[COVLOCK_NAME_MAX];
  char Profile[COVLOCK_NAME_MAX];
  int Err = EEXIST;
  for (unsigned Tries = 0; Err == EEXIST && Tries < 10000; ++Tries) {
    formatFileName(Final, *Seq, ".json", 0);
    formatFileName(Profile, *Seq, ".profraw", 0);
    if (Error && covlockExistsAt(KeyFd, Profile)) {
      ++*Seq;
      continue;
    }
    CovlockBuf B;
    covlockBufInit(&B, Record, sizeof(Record));
    formatRecord(&B, Req, *Seq, Size, Error);
    if (covlockBufFinish(&B) || formatFileName(Tmp, *Seq, ".json.tmp", 1))
      return ENAMETOOLONG;
    if (Req->Final && publishRecordFromMarker(KeyFd, Record, B.Len, Final) == 0)
      return 0;
    Err = writeFile(KeyFd, Tmp, Record, B.Len);
    if (Err)
      break;
    Err = covlockRenameNoReplace(KeyFd, Tmp, Final);
    if (Err)
      unlinkat(KeyFd, Tmp, 0);
    if (Err == EEXIST)
      ++*Seq;
  }
  /* A failed profile was reported already, most likely for the same
   * reason: one line per problem. */
  if (Err && !Error) {
    char Path[PATH_MAX];
    covlockFormatPath(Path, Final);
    covlockReport(COVLOCK_REPORT_WRITE, "cannot write flush record", Path,
                  Err);
  }
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
  int KeyFd;
  /* A directory that cannot be used (gone, replaced, a symlink) was
   * reported by covlockOpenKeyDir; nothing can be written or recorded. */
  if (covlockOpenKeyDir(S->Key, &KeyFd) == 0) {
    unsigned Seq = S->Seq;
    size_t Size = 0;
    int Err = writeProfile(KeyFd, &Seq, &Size);
    if (Err) {
      char Name[COVLOCK_NAME_MAX], Path[PATH_MAX];
      formatFileName(Name, Seq, ".profraw", 0);
      covlockFormatPath(Path, Name);
      covlockReport(COVLOCK_REPORT_WRITE, "cannot write profile", Path, Err);
    }
    int RecordErr = writeRecord(KeyFd, Req, &Seq, Size, Err);
    S->Seq = Seq + 1;
    if (Req->Final && S->BootName[0]) {
      /* The record did not take the marker's place: remove the marker if a
       * record was published on its own, else keep it as evidence of a
       * failed flush. */
      if (!RecordErr) {
        if (covlockIsFileAt(KeyFd, S->BootName, S->BootDev, S->BootIno))
          unlinkat(KeyFd, S->BootName, 0);
      } else {
        markFlushFailed(KeyFd);
      }
    } else if (!Req->Final && S->BootName[0] &&
               !covlockIsFileAt(KeyFd, S->BootName, S->BootDev, S->BootIno)) {
      /* A new run cleared DIR under this process: it needs a marker again
       * to be reported if it is lost later. */
      covlockPlaceBootMarker();
    }
    close(KeyFd);
  }
  if (Req->Final)
    covlockDropBootMarker();
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
