/*===- CovlockFlush.c - publishing a profile and its flush record ---------===*\
|*
|* One path for every flush, signal handlers included, so only
|* async-signal-safe calls: every file is written with openat/write/close
|* and published with renameat2 under a descriptor of DIR/KEY opened for
|* this flush (CovlockDir.c), never through a symlink.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long a writer waits for its shared flush lock before publishing
 * without it; the exclusive holders (clean, merge snapshots) are brief. */
#define COVLOCK_FLUSH_LOCK_WAIT_MS 10000

static const char *reasonName(CovlockReason R) {
  switch (R) {
  case COVLOCK_EXIT:
    return "exit";
  case COVLOCK_SIGNAL:
    return "signal";
  case COVLOCK_UNDERSCORE_EXIT:
    return "_exit";
  case COVLOCK_EXEC:
    return "exec";
  case COVLOCK_TEST_BEGIN:
    return "test-begin";
  case COVLOCK_TEST_END:
    return "test-end";
  case COVLOCK_EXPLICIT:
    return "explicit";
  case COVLOCK_UNLOAD:
    return "unload";
  }
  return "explicit";
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
  /* O_NONBLOCK and a regular file only: a FIFO planted there must not
   * stop the program. */
  int Fd = openat(ControlFd, "flush.lock",
                  O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
  close(ControlFd);
  /* A symlink (ELOOP), a directory (EISDIR) or a FIFO planted there. */
  struct stat St;
  int Planted = Fd < 0 ? errno == ELOOP || errno == EISDIR
                       : fstat(Fd, &St) != 0 || !S_ISREG(St.st_mode);
  if (Planted)
    covlockReport(COVLOCK_REPORT_LOCK,
                  "flush lock is not a regular file; publishing without it",
                  Path, 0);
  if (Fd >= 0 && Planted)
    close(Fd);
  if (Fd < 0 || Planted)
    return -1;
  covlockEnsureOwnerAccess(Fd);
  struct flock L;
  memset(&L, 0, sizeof(L));
  L.l_type = F_RDLCK;
  L.l_whence = SEEK_SET;
  for (int Waited = 0; fcntl(Fd, F_OFD_SETLK, &L) != 0; Waited += 10) {
    if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
        Waited >= (S->FlushLockGaveUp ? 0 : COVLOCK_FLUSH_LOCK_WAIT_MS)) {
      /* Waited out once: later flushes of this image do not wait again. */
      S->FlushLockGaveUp = 1;
      covlockReport(COVLOCK_REPORT_LOCK,
                    "flush lock busy; publishing without it", Path, 0);
      break;
    }
    struct timespec T = {0, 10 * 1000 * 1000};
    nanosleep(&T, NULL);
  }
  return Fd; /* closing it releases the lock */
}

/* Writes a new file; on failure removes it and returns errno. */
static int writeFile(int KeyFd, const char *Name, const char *Data, size_t N) {
  int Fd = covlockCreateFile(KeyFd, Name);
  if (Fd < 0)
    return errno;
  int Err = covlockWriteAll(Fd, Data, N);
  if (close(Fd) != 0 && !Err)
    Err = errno;
  if (Err)
    unlinkat(KeyFd, Name, 0);
  return Err;
}

/* The first sequence number from S->Seq whose profile and record names are
 * both free: the names may be taken by the image this one exec'd from, or
 * by an earlier process with this pid. */
static unsigned chooseSeq(int KeyFd) {
  char Profile[COVLOCK_NAME_MAX], Record[COVLOCK_NAME_MAX];
  unsigned Seq = covlockState.Seq;
  for (unsigned Tries = 0; Tries < 10000; ++Tries, ++Seq) {
    if (covlockFormatProfileName(Profile, Seq, 0, 0) ||
        covlockFormatFileName(Record, Seq, ".json", 0))
      break;
    if (!covlockExistsAt(KeyFd, Profile) && !covlockExistsAt(KeyFd, Record))
      break;
  }
  return Seq;
}

/* A profile's "binary_id", when its module has one. */
static void putBinaryId(CovlockBuf *B, const CovlockModuleEntry *E) {
  if (E->BinaryId[0]) {
    covlockPutStr(B, ",\"binary_id\":\"");
    covlockPutStr(B, E->BinaryId);
    covlockPutStr(B, "\"");
  }
}

/* "profile", "size", "binary_id" and "module" describe the flush's first
 * profile; "modules" lists the others (docs/protocol.md). A profile that
 * could not be written is left out, and "error" says why. */
static void putProfiles(CovlockBuf *B, unsigned Seq,
                        const CovlockFlushResult *R) {
  CovlockState *S = &covlockState;
  char Name[COVLOCK_NAME_MAX];
  const CovlockWrittenProfile *First = R->NumProfiles ? &R->Profiles[0] : NULL;
  if (First && !First->Err) {
    const CovlockModuleEntry *E = &covlockModules[First->Module];
    covlockFormatProfileName(Name, Seq, 0, 0);
    covlockPutStr(B, ",\"profile\":\"");
    covlockPutStr(B, Name);
    covlockPutStr(B, "\",\"size\":");
    covlockPutU64(B, First->Size);
    putBinaryId(B, E);
    if (strcmp(E->Path, S->Exe) != 0) {
      covlockPutStr(B, ",\"module\":");
      covlockPutJsonStr(B, E->Path, strlen(E->Path));
    }
  } else {
    covlockPutStr(B, ",\"profile\":null,\"size\":0");
  }
  int Listed = 0;
  for (unsigned K = 1; K < R->NumProfiles; ++K) {
    const CovlockWrittenProfile *P = &R->Profiles[K];
    if (P->Err)
      continue;
    const CovlockModuleEntry *E = &covlockModules[P->Module];
    covlockFormatProfileName(Name, Seq, K, 0);
    covlockPutStr(B, Listed++ ? ",{\"path\":" : ",\"modules\":[{\"path\":");
    covlockPutJsonStr(B, E->Path, strlen(E->Path));
    covlockPutStr(B, ",\"profile\":\"");
    covlockPutStr(B, Name);
    covlockPutStr(B, "\",\"size\":");
    covlockPutU64(B, P->Size);
    putBinaryId(B, E);
    covlockPutStr(B, "}");
  }
  if (Listed)
    covlockPutStr(B, "]");
  if (R->Err) {
    covlockPutStr(B, ",\"error\":\"");
    covlockPutStr(B, covlockErrnoText(R->Err));
    covlockPutStr(B, "\"");
  }
}

static void formatRecord(CovlockBuf *B, const CovlockFlushRequest *Req,
                         unsigned Seq, const CovlockFlushResult *R) {
  CovlockState *S = &covlockState;
  covlockPutRecordHead(B);
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
  putProfiles(B, Seq, R);
  covlockPutStr(B, "}\n");
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
    ssize_t W =
        pwrite(Fd, Record + Done, Len - Done, (off_t)(S->BootLen + Done));
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

/* Publishes the record of the flush with sequence number Seq; returns 0 or
 * an errno value. */
static int writeRecord(int KeyFd, const CovlockFlushRequest *Req, unsigned Seq,
                       const CovlockFlushResult *R) {
  /* Sized for the worst case (see COVLOCK_RECORD_MAX); static: flushes
   * never run concurrently (the flush guard). */
  static char Record[COVLOCK_RECORD_MAX];
  char Tmp[COVLOCK_NAME_MAX], Final[COVLOCK_NAME_MAX];
  CovlockBuf B;
  covlockBufInit(&B, Record, sizeof(Record));
  formatRecord(&B, Req, Seq, R);
  if (covlockBufFinish(&B) || covlockFormatFileName(Final, Seq, ".json", 0) ||
      covlockFormatFileName(Tmp, Seq, ".json.tmp", 1))
    return ENAMETOOLONG;
  if (Req->Final && publishRecordFromMarker(KeyFd, Record, B.Len, Final) == 0)
    return 0;
  int Err = writeFile(KeyFd, Tmp, Record, B.Len);
  if (!Err) {
    Err = covlockRenameNoReplace(KeyFd, Tmp, Final);
    if (Err)
      unlinkat(KeyFd, Tmp, 0);
  }
  /* A failed profile was reported already, most likely for the same
   * reason: one line per problem. */
  if (Err && !R->Err) {
    char Path[PATH_MAX];
    covlockFormatPath(Path, Final);
    covlockReport(COVLOCK_REPORT_WRITE, "cannot write flush record", Path, Err);
  }
  return Err;
}

void covlockFlush(const CovlockFlushRequest *Req) {
  CovlockState *S = &covlockState;
  /* A vfork child shares this memory and these counters with its parent,
   * which flushes them; it must not publish or move the parent's files. */
  if (!S->Enabled || S->Ended || getpid() != S->Pid)
    return;
  if (!covlockAcquireGuard())
    return;
  covlockFlushHoldingGuard(Req);
  covlockReleaseGuard();
}

void covlockFlushHoldingGuard(const CovlockFlushRequest *Req) {
  CovlockState *S = &covlockState;
  /* Another thread's final flush may have come first. */
  if (!S->Enabled || S->Ended || getpid() != S->Pid)
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
  /* Static: sized for every module, and flushes never overlap. */
  static CovlockFlushResult Written;
  Written.NumProfiles = 0;
  /* A directory that cannot be used (gone, replaced, a symlink) was
   * reported by covlockOpenKeyDir; nothing can be written or recorded. */
  if (covlockOpenKeyDir(S->Key, &KeyFd) == 0) {
    unsigned Seq = chooseSeq(KeyFd);
    covlockWriteProfiles(KeyFd, Req, Seq, &Written);
    int RecordErr = writeRecord(KeyFd, Req, Seq, &Written);
    S->Seq = Seq + 1;
    S->LastSeq = Seq;
    S->LastNumProfiles = Written.NumProfiles;
    S->HasLastFlush = 1;
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
  /* Later flushes of this image write only what runs after this one: the
   * written profiles restarted their modules' counts, and what could not
   * be written is dropped. A final flush restarts nothing: the image ends,
   * and a restart would touch every counter page of a big program (see
   * CovlockWrappers.c and CovlockSignals.c for the final flushes an image
   * may survive). */
  if (covlockFlushRestarts(Req)) {
    covlockResetUnwritten(&Written);
    covlockDropSavedModules();
  }

  covlockRestoreFileSizeSignal(&OldXfsz);
  pthread_sigmask(SIG_SETMASK, &Old, NULL);
  errno = SavedErrno;
  if (Req->Final)
    S->Ended = 1;
}

void covlockRetractLastFlush(void) {
  CovlockState *S = &covlockState;
  int KeyFd;
  if (!S->HasLastFlush || covlockOpenKeyDir(S->Key, &KeyFd) != 0)
    return;
  char Name[COVLOCK_NAME_MAX];
  if (!covlockFormatFileName(Name, S->LastSeq, ".json", 0))
    unlinkat(KeyFd, Name, 0);
  for (unsigned K = 0; K != S->LastNumProfiles; ++K)
    if (!covlockFormatProfileName(Name, S->LastSeq, K, 0))
      unlinkat(KeyFd, Name, 0);
  close(KeyFd);
  S->Seq = S->LastSeq;
  S->HasLastFlush = 0;
}
