/*===- CovlockInternal.h - covlock runtime internals ----------------------===*\
|*
|* Shared state and helpers of the runtime (libcovlock_rt.so, one per
|* process). Everything here has hidden visibility; the public ABI is
|* include/covlock/covlock.h, CovlockModuleABI.h (between the runtime and
|* each instrumented module) and the interposed sigaction/signal.
|*
\*===----------------------------------------------------------------------===*/

#ifndef COVLOCK_INTERNAL_H
#define COVLOCK_INTERNAL_H

#include "covlock/covlock.h"

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define COVLOCK_HIDDEN __attribute__((visibility("hidden")))
#define COVLOCK_PROTOCOL_VERSION 2
#define COVLOCK_MAX_MODULES 32 /* instrumented modules written per process */
#define COVLOCK_KEY_MAX 160    /* see docs/protocol.md, "Test keys" */
#define COVLOCK_ID_MAX (COVLOCK_TEST_ID_MAX + 1) /* with its NUL */
#define COVLOCK_NAME_MAX (COVLOCK_KEY_MAX + 64)  /* a file name in DIR/KEY */
/* The longest JSON line the runtime writes: every byte of the test id
 * escaped as \u00XX (6 bytes) plus its hex (2 bytes), the executable's path,
 * run and label escaped the same way, and the fixed keys and numbers. */
#define COVLOCK_RECORD_MAX                                                     \
  (COVLOCK_ID_MAX * 8 + PATH_MAX * 6 + 2 * 256 * 6 + 2 * COVLOCK_KEY_MAX +     \
   2048 + COVLOCK_MAX_MODULES * (PATH_MAX * 6 + COVLOCK_NAME_MAX + 256))
#define COVLOCK_OUTSIDE_KEY "_outside"

/* compiler-rt's profile runtime, in each instrumented module: linkable
 * internals of the same link unit (CovlockModule.c only). */
void __llvm_profile_initialize(void);
void __llvm_profile_reset_counters(void);

/* compiler-rt's low-level writer interface (LLVM 6 to 19, unchanged):
 * lprofWriteData hands the profile image to a callback as a list of pieces,
 * straight from the counter and data sections. A piece with no Data is
 * zero padding if UseZeroPadding, else a hole to skip. The callback returns
 * 0 on success. Writing from the sections needs no buffer: no allocation on
 * the signal path, and no copy or page faults on every exit. */
typedef struct {
  const void *Data;
  size_t ElmSize;
  size_t NumElm;
  int UseZeroPadding;
} CovlockProfPiece;
struct CovlockProfWriter;
typedef uint32_t (*CovlockProfWriteFn)(struct CovlockProfWriter *This,
                                       CovlockProfPiece *Pieces,
                                       uint32_t NumPieces);
typedef struct CovlockProfWriter {
  CovlockProfWriteFn Write;
  void *Context;
} CovlockProfWriter;
int lprofWriteData(CovlockProfWriter *Writer, void *ValueDataReader,
                   int SkipNameDataWrite);

/* The counts of the module this is linked into (CovlockModuleCounters.c,
 * a copy in each module): its profile, what ran since the last restart;
 * with Restart, the next profile starts where this one ends. */
COVLOCK_HIDDEN int covlockWriteModuleProfile(CovlockProfWriter *Writer,
                                             int Restart);
COVLOCK_HIDDEN void covlockRestartModuleCounts(void);

/* ---- Async-signal-safe formatting into a fixed buffer (CovlockFormat.c) -- */
typedef struct {
  char *Data;
  size_t Len, Cap;
  int Overflow;
} CovlockBuf;

COVLOCK_HIDDEN void covlockBufInit(CovlockBuf *B, char *Data, size_t Cap);
COVLOCK_HIDDEN void covlockPutMem(CovlockBuf *B, const void *M, size_t N);
COVLOCK_HIDDEN void covlockPutStr(CovlockBuf *B, const char *S);
COVLOCK_HIDDEN void covlockPutU64(CovlockBuf *B, uint64_t V);
COVLOCK_HIDDEN void covlockPutI64(CovlockBuf *B, int64_t V);
COVLOCK_HIDDEN void covlockPutHex(CovlockBuf *B, const unsigned char *M,
                                  size_t N);
/* A JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
 * Returns 1 if the bytes were valid UTF-8. */
COVLOCK_HIDDEN int covlockPutJsonStr(CovlockBuf *B, const char *S, size_t N);
/* Writes a NUL terminator; returns 0 if everything fitted. */
COVLOCK_HIDDEN int covlockBufFinish(CovlockBuf *B);
COVLOCK_HIDDEN const char *covlockErrnoText(int Err);

/* ---- Test keys (CovlockKey.c) ------------------------------------------- */
/* Writes the key of the N-byte id into Out (COVLOCK_KEY_MAX + 1 bytes). */
COVLOCK_HIDDEN void covlockEncodeKey(const char *Id, size_t N, char *Out);

/* ---- Directories by descriptor (CovlockDir.c) -------------------------- */
/* DIR, by its canonical path without following a symlink, if it is still
 * the directory found at start-up (else -1, errno ESTALE). */
COVLOCK_HIDDEN int covlockOpenDir(void);
/* DirFd/Name as a directory (made first if Create); a symlink is never
 * followed and gives -1 with errno ELOOP. */
COVLOCK_HIDDEN int covlockOpenSubdir(int DirFd, const char *Name, int Create);
/* DIR/KEY, made if missing; on failure says so once and returns -1. */
COVLOCK_HIDDEN int covlockOpenKeyDir(const char *Key, int *KeyFd);
/* Gives the owner read and write access to the file Fd, if a umask took it. */
COVLOCK_HIDDEN void covlockEnsureOwnerAccess(int Fd);
/* Whether DirFd/Name is the regular file Dev/Ino (not following a symlink). */
COVLOCK_HIDDEN int covlockIsFileAt(int DirFd, const char *Name, uint64_t Dev,
                                   uint64_t Ino);
/* Whether anything (or something unknowable) is at DirFd/Name. */
COVLOCK_HIDDEN int covlockExistsAt(int DirFd, const char *Name);
/* Renames DirFd/From to DirFd/To unless To exists (0 or an errno value). */
COVLOCK_HIDDEN int covlockRenameNoReplace(int DirFd, const char *From,
                                          const char *To);

/* ---- Process state (CovlockRuntime.c) ----------------------------------- */
typedef enum {
  COVLOCK_EXIT,
  COVLOCK_SIGNAL,
  COVLOCK_UNDERSCORE_EXIT,
  COVLOCK_EXEC,
  COVLOCK_TEST_BEGIN,
  COVLOCK_TEST_END,
  COVLOCK_EXPLICIT,
  COVLOCK_UNLOAD
} CovlockReason;

typedef struct {
  int Requested;           /* COVLOCK_DIR set: modules never go stock */
  int Enabled;             /* COVLOCK_DIR set and usable */
  char Dir[PATH_MAX];      /* canonical path, resolved at start-up */
  uint64_t DirDev, DirIno; /* what Dir must still be at every flush */
  char Host[COVLOCK_KEY_MAX + 1];
  char Run[256], Label[256];
  int HasRun, HasLabel;
  char AmbientTest[COVLOCK_ID_MAX]; /* COVLOCK_TEST */
  size_t AmbientTestLen;
  int HasAmbientTest;
  char Test[COVLOCK_ID_MAX]; /* the current test id */
  size_t TestLen;
  int HasTest;
  char Key[COVLOCK_KEY_MAX + 1];
  char BootName[COVLOCK_NAME_MAX]; /* in DIR/KEY; empty: no marker */
  uint64_t BootDev, BootIno;       /* the marker file this image created */
  size_t BootLen;                  /* bytes of the marker's boot line */
  char Exe[PATH_MAX];
  pid_t Pid, Ppid;
  uint64_t StartNs;
  unsigned Seq;
  unsigned LastSeq, LastNumProfiles; /* the last flush, for a retraction */
  int HasLastFlush;
  volatile sig_atomic_t Ended; /* the image's final flush is done */
  int FlushLockGaveUp;         /* a flush lock holder kept us waiting once */
  volatile sig_atomic_t SignalFlushed; /* SIGABRT flushed before its handler */
  unsigned ReportedErrors;             /* one stderr line per kind of problem */
} CovlockState;

extern COVLOCK_HIDDEN CovlockState covlockState;

COVLOCK_HIDDEN uint64_t covlockNowNs(void);
/* One line on stderr, prefixed "covlock: ", at most once per Kind bit. */
COVLOCK_HIDDEN void covlockReport(unsigned Kind, const char *What,
                                  const char *Path, int Err);
enum {
  COVLOCK_REPORT_SETUP = 1,
  COVLOCK_REPORT_WRITE = 2,
  COVLOCK_REPORT_LOCK = 4,
  COVLOCK_REPORT_MARKER = 8,
};
/* Appends DIR/KEY (for messages). */
COVLOCK_HIDDEN void covlockPutKeyDir(CovlockBuf *B);
/* DIR/KEY/Name into Out (PATH_MAX bytes), for messages. */
COVLOCK_HIDDEN void covlockFormatPath(char *Out, const char *Name);
/* Opens a marker or record: {"version":V,"run":..,"label":..,"test":..
 * (and "test_hex"), the fields both share, in protocol order. */
COVLOCK_HIDDEN void covlockPutRecordHead(CovlockBuf *B);
/* Appends "[.]HOST.PID": the prefix of every file name this image writes
 * in DIR/KEY. */
COVLOCK_HIDDEN void covlockPutProcessPrefix(CovlockBuf *B, int Hidden);
/* A file size limit must give EFBIG from our writes, not kill the process
 * with SIGXFSZ: ignore it while writing, then put back what was there. */
COVLOCK_HIDDEN void covlockIgnoreFileSizeSignal(struct sigaction *Old);
COVLOCK_HIDDEN void covlockRestoreFileSizeSignal(const struct sigaction *Old);
/* Makes the current key's directory and places this image's boot marker. */
COVLOCK_HIDDEN int covlockPlaceBootMarker(void);
/* Forgets the marker without touching the file. */
COVLOCK_HIDDEN void covlockDropBootMarker(void);
/* The length of \p S (\p N bytes) cut to at most \p Max bytes on a UTF-8
 * character boundary: one rule for ids however they arrive (code,
 * COVLOCK_TEST). */
COVLOCK_HIDDEN size_t covlockCutUtf8(const char *S, size_t N, size_t Max);
COVLOCK_HIDDEN void covlockSetTest(const char *Id, size_t N, int HasId);
/* Start-up (CovlockStartup.c): reads the environment and enables covlock;
 * runs once, from the runtime's constructor or a module's, whichever is
 * first. */
COVLOCK_HIDDEN void covlockStart(void);
/* The status exit() was called with, for the final flush's record. */
COVLOCK_HIDDEN void covlockNoteExitStatus(int Status);
COVLOCK_HIDDEN void covlockOnForkChild(void);
COVLOCK_HIDDEN void covlockChangeTest(const char *Id, size_t N, int HasId);

/* ---- One flush at a time (CovlockGuard.c) ------------------------------- */
/* Waits for another thread's flush or registry change; returns 0 (not
 * acquired) only for a flush nested in the calling thread. */
COVLOCK_HIDDEN int covlockAcquireGuard(void);
COVLOCK_HIDDEN void covlockReleaseGuard(void);
COVLOCK_HIDDEN void covlockResetGuard(void);
/* pthread_atfork handlers: fork waits for other threads' flushes. */
COVLOCK_HIDDEN void covlockBeforeFork(void);
COVLOCK_HIDDEN void covlockAfterForkParent(void);

/* ---- Flushing (CovlockFlush.c) ------------------------------------------ */
typedef struct {
  CovlockReason Reason;
  int Final;    /* last flush of this image: remove its boot marker */
  int InSignal; /* only async-signal-safe calls allowed */
  int Signal;   /* for COVLOCK_SIGNAL */
  int HasStatus, Status;
  int HasOutcome, Outcome;
  const struct CovlockModule *Module; /* COVLOCK_UNLOAD: only this one */
} CovlockFlushRequest;

/* Whether the process goes on counting after flush Req (not the image's
 * last flush, not a module's unload): its profiles then restart their
 * modules' counts, and what could not be written is dropped. */
static inline int covlockFlushRestarts(const CovlockFlushRequest *Req) {
  return !Req->Final && !Req->Module;
}

COVLOCK_HIDDEN void covlockFlush(const CovlockFlushRequest *Req);
/* The same, for a caller that holds the guard (CovlockGuard.c). */
COVLOCK_HIDDEN void covlockFlushHoldingGuard(const CovlockFlushRequest *Req);
/* Removes the files of the image's last flush (a failed exec's). */
COVLOCK_HIDDEN void covlockRetractLastFlush(void);

/* ---- Instrumented modules (CovlockModules.c) ---------------------------- */
typedef struct {
  struct CovlockModule *Module; /* never called once Saved is set */
  char Path[PATH_MAX];          /* the executable's is /proc/self/exe */
  char BinaryId[2 * 64 + 1];    /* GNU build id in hex, or empty */
  int IsMain;                   /* the executable: never unloaded */
  /* A module closed during exit (a plugin manager's destructor) before the
   * final flush: its profile, written to memory before its code went away. */
  char *Saved;
  size_t SavedSize;
} CovlockModuleEntry;

/* The executable first (when instrumented), then in load order. */
extern COVLOCK_HIDDEN CovlockModuleEntry covlockModules[COVLOCK_MAX_MODULES];
extern COVLOCK_HIDDEN unsigned covlockNumModules;
/* Resets the counters of every module. */
COVLOCK_HIDDEN void covlockResetCounters(void);

/* ---- Profiles of a flush (CovlockProfiles.c) ----------------------------- */
typedef struct {
  unsigned Module; /* index in covlockModules */
  size_t Size;     /* bytes written */
  int Err;         /* 0 if published */
} CovlockWrittenProfile;

typedef struct {
  CovlockWrittenProfile Profiles[COVLOCK_MAX_MODULES];
  unsigned NumProfiles;
  int Err; /* the first error */
} CovlockFlushResult;

/* [.]HOST.PID.SEQ.profraw for the flush's first profile (K = 0), and
 * [.]HOST.PID.SEQ.mK.profraw for the others; with Tmp, the hidden
 * temporary name (".tmp" appended). Returns 0 if it fitted. */
COVLOCK_HIDDEN int covlockFormatProfileName(char *Out, unsigned Seq, unsigned K,
                                            int Tmp);
/* [.]HOST.PID.SEQ<Suffix>; returns 0 if it fitted. */
COVLOCK_HIDDEN int covlockFormatFileName(char *Out, unsigned Seq,
                                         const char *Suffix, int Hidden);
/* Writes and publishes the profile of every module of the request under
 * DIR/KEY with sequence number Seq (whose names must be free). */
COVLOCK_HIDDEN void covlockWriteProfiles(int KeyFd,
                                         const CovlockFlushRequest *Req,
                                         unsigned Seq, CovlockFlushResult *Out);
/* After a flush that restarted the counts of the modules it wrote
 * (CovlockModules.c): restarts those whose profile R does not hold. */
COVLOCK_HIDDEN void covlockResetUnwritten(const CovlockFlushResult *R);
/* Forgets the modules closed during exit (CovlockModules.c): a flush
 * after which the process goes on has written their kept profiles (or
 * failed to), and a later flush must not count them again. */
COVLOCK_HIDDEN void covlockDropSavedModules(void);
COVLOCK_HIDDEN int covlockWriteAll(int Fd, const char *Data, size_t N);
/* A new file in DIR/KEY: never an existing one, never through a symlink. */
COVLOCK_HIDDEN int covlockCreateFile(int KeyFd, const char *Name);

/* ---- Signals (CovlockSignals.c) ----------------------------------------- */
COVLOCK_HIDDEN void covlockInstallSignalHandlers(void);

/* ---- The program's dispositions of the handled signals (CovlockSigaction.c)
 */
typedef void (*CovlockSignalHandler)(int, siginfo_t *, void *);
/* glibc's sigaction, bypassing the virtual dispositions. */
COVLOCK_HIDDEN int covlockRealSigaction(int Sig, const struct sigaction *Act,
                                        struct sigaction *Old);
COVLOCK_HIDDEN int covlockIsHandledSignal(int Sig);
/* Takes over the handled signals: what is installed now becomes the
 * program's disposition, H goes to the kernel (SIG_IGN stays). */
COVLOCK_HIDDEN void covlockVirtualizeSignals(CovlockSignalHandler H);
/* The program's disposition of Sig as a delivery finds it; a SA_RESETHAND
 * handler is reset to SIG_DFL, as the kernel does on delivery. */
COVLOCK_HIDDEN void covlockTakeProgramAction(int Sig, struct sigaction *Out);
COVLOCK_HIDDEN int covlockProgramActionIsDefault(int Sig);

#endif /* COVLOCK_INTERNAL_H */
