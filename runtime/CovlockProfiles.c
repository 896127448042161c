/*===- CovlockProfiles.c - writing every module's profile of a flush ------===*\
|*
|* Each instrumented module's profile goes to a file of its own, named
|* after the flush (docs/protocol.md, "Profiles of a flush"): the first
|* HOST.PID.SEQ.profraw, the others HOST.PID.SEQ.mK.profraw. Each is written
|* under a hidden temporary name straight from the module's sections by
|* compiler-rt's lprofWriteData (no buffer, no allocation) and published
|* with a rename that never replaces a file. Async-signal-safe throughout.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "CovlockModuleABI.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int covlockFormatFileName(char *Out, unsigned Seq, const char *Suffix,
                          int Hidden) {
  CovlockBuf B;
  covlockBufInit(&B, Out, COVLOCK_NAME_MAX);
  covlockPutProcessPrefix(&B, Hidden);
  covlockPutStr(&B, ".");
  covlockPutU64(&B, Seq);
  covlockPutStr(&B, Suffix);
  return covlockBufFinish(&B);
}

int covlockFormatProfileName(char *Out, unsigned Seq, unsigned K, int Tmp) {
  CovlockBuf B;
  covlockBufInit(&B, Out, COVLOCK_NAME_MAX);
  covlockPutProcessPrefix(&B, Tmp);
  covlockPutStr(&B, ".");
  covlockPutU64(&B, Seq);
  if (K) {
    covlockPutStr(&B, ".m");
    covlockPutU64(&B, K);
  }
  covlockPutStr(&B, Tmp ? ".profraw.tmp" : ".profraw");
  return covlockBufFinish(&B);
}

int covlockWriteAll(int Fd, const char *Data, size_t N) {
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

int covlockCreateFile(int KeyFd, const char *Name) {
  int Fd = openat(KeyFd, Name,
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (Fd >= 0)
    covlockEnsureOwnerAccess(Fd);
  return Fd;
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
      Sink->Err = covlockWriteAll(Sink->Fd, (const char *)Pieces[I].Data, N);
    } else if (!Pieces[I].UseZeroPadding) {
      if (lseek(Sink->Fd, (off_t)N, SEEK_CUR) < 0)
        Sink->Err = errno;
    } else {
      for (size_t Chunk; N && !Sink->Err; N -= Chunk) {
        Chunk = N < sizeof(Zeros) ? N : sizeof(Zeros);
        Sink->Err = covlockWriteAll(Sink->Fd, Zeros, Chunk);
      }
    }
  }
  return Sink->Err != 0;
}

/* Writes a module's profile (from its sections, or as kept when it was
 * closed during exit) into KeyFd/Tmp and publishes it as Final; with
 * Restart, the module's next profile starts where this one ends. */
static int writeModuleProfile(int KeyFd, const CovlockModuleEntry *E,
                              int Restart, const char *Tmp, const char *Final,
                              size_t *Size) {
  ProfileSink Sink = {covlockCreateFile(KeyFd, Tmp), 0, 0};
  if (Sink.Fd < 0)
    return errno;
  CovlockProfWriter Writer = {writePieces, &Sink};
  if (E->Saved) {
    CovlockProfPiece Piece = {E->Saved, 1, E->SavedSize, 0};
    writePieces(&Writer, &Piece, 1);
  } else if (E->Module->WriteProfile(&Writer, Restart) != 0 && !Sink.Err) {
    Sink.Err = EIO;
  }
  if (close(Sink.Fd) != 0 && !Sink.Err)
    Sink.Err = errno;
  if (!Sink.Err)
    Sink.Err = covlockRenameNoReplace(KeyFd, Tmp, Final);
  if (Sink.Err)
    unlinkat(KeyFd, Tmp, 0);
  *Size = Sink.Size;
  return Sink.Err;
}

void covlockWriteProfiles(int KeyFd, const CovlockFlushRequest *Req,
                          unsigned Seq, CovlockFlushResult *Out) {
  int Restart = covlockFlushRestarts(Req);
  Out->NumProfiles = 0;
  Out->Err = 0;
  for (unsigned I = 0; I != covlockNumModules; ++I) {
    CovlockModule *M = covlockModules[I].Module;
    if (Req->Module && Req->Module != M)
      continue;
    CovlockWrittenProfile *P = &Out->Profiles[Out->NumProfiles];
    char Tmp[COVLOCK_NAME_MAX], Final[COVLOCK_NAME_MAX] = "";
    P->Module = I;
    P->Size = 0;
    P->Err = ENAMETOOLONG;
    if (!covlockFormatProfileName(Tmp, Seq, Out->NumProfiles, 1) &&
        !covlockFormatProfileName(Final, Seq, Out->NumProfiles, 0))
      P->Err = writeModuleProfile(KeyFd, &covlockModules[I], Restart, Tmp,
                                  Final, &P->Size);
    if (P->Err && !Out->Err) {
      char Path[PATH_MAX];
      Out->Err = P->Err;
      covlockFormatPath(Path, Final);
      covlockReport(COVLOCK_REPORT_WRITE, "cannot write profile", Path, P->Err);
    }
    ++Out->NumProfiles;
  }
}
