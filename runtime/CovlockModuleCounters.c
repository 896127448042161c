/*===- CovlockModuleCounters.c - what a module's profiles count -----------===*\
|*
|* Linked into every instrumented module with CovlockModule.c: the module's
|* own counters, bitmap and writer. A process that flushes and goes on (a
|* test boundary, covlock_flush) must start its next profile from zero
|* without writing the 8-byte counters: another thread's increment is a
|* plain load, add and store, which undoes any reset or subtraction that
|* lands between its load and its store, and the whole count written
|* before would be counted again. So the counters are never written here.
|* A baseline, mapped at the first such flush, holds what the profiles
|* have counted so far: each profile is the counters minus the baseline,
|* written through a 4 KiB snapshot, and a flush that goes on moves the
|* baseline up to exactly what it wrote. Without a baseline (a process
|* that only flushes at its end) the profile is written straight from the
|* sections. Single-byte counters and the MC/DC bitmap only ever go from
|* "not run" to "run": they are set back in place after being written.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <string.h>
#include <sys/mman.h>

char *__llvm_profile_begin_counters(void);
char *__llvm_profile_end_counters(void);
char *__llvm_profile_begin_bitmap(void);
char *__llvm_profile_end_bitmap(void);
uint64_t __llvm_profile_get_version(void);

/* Counters hold one byte each, 0 once run, under
 * -mllvm -enable-single-byte-coverage (INSTR_PROF_RAW_VERSION's flags). */
#define COVLOCK_BYTE_COVERAGE (1ULL << 60)

enum { SnapshotBytes = 4096 };

/* What the profiles written so far hold of each 8-byte counter; NULL until
 * the first flush after which the process goes on. */
static uint64_t *Baseline;

static int byteCounters(void) {
  return (__llvm_profile_get_version() & COVLOCK_BYTE_COVERAGE) != 0;
}

static size_t numCounters(void) {
  return (size_t)(__llvm_profile_end_counters() -
                  __llvm_profile_begin_counters()) /
         sizeof(uint64_t);
}

/* mmap, not malloc: async-signal-safe. Zero-filled: nothing counted yet. */
static int mapBaseline(void) {
  if (Baseline || byteCounters() || !numCounters())
    return Baseline != NULL;
  void *P = mmap(NULL, numCounters() * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (P == MAP_FAILED)
    return 0;
  Baseline = (uint64_t *)P;
  return 1;
}

typedef struct {
  CovlockProfWriter Base;
  CovlockProfWriter *Out;
  int Restart; /* the process goes on: the next profile starts here */
} CountingWriter;

static uint32_t forward(CountingWriter *W, const void *Data, size_t Len) {
  CovlockProfPiece Piece = {Data, 1, Len, 0};
  return W->Out->Write(W->Out, &Piece, 1);
}

/* The 8-byte counters, minus the baseline (none: as they are). */
static uint32_t writeCounters(CountingWriter *W, const uint64_t *Live,
                              size_t N) {
  enum { Words = SnapshotBytes / sizeof(uint64_t) };
  uint64_t Snapshot[Words];
  for (size_t Done = 0; Done < N;) {
    size_t K = N - Done < Words ? N - Done : Words;
    memcpy(Snapshot, &Live[Done], K * sizeof(uint64_t));
    if (Baseline)
      for (size_t I = 0; I != K; ++I) {
        uint64_t Now = Snapshot[I];
        Snapshot[I] -= Baseline[Done + I];
        if (W->Restart)
          Baseline[Done + I] = Now;
      }
    if (forward(W, Snapshot, K * sizeof(uint64_t)))
      return 1;
    Done += K;
  }
  return 0;
}

/* Single-byte counters or bitmap bytes; with Restart, what was written as
 * run is made unrun again in place (a byte counter back to 0xFF, a bitmap
 * byte without the bits written). */
static uint32_t writeBytes(CountingWriter *W, unsigned char *Live, size_t N,
                           int IsByteCounters) {
  unsigned char Snapshot[SnapshotBytes];
  for (size_t Done = 0; Done < N;) {
    size_t K = N - Done < SnapshotBytes ? N - Done : SnapshotBytes;
    memcpy(Snapshot, &Live[Done], K);
    if (forward(W, Snapshot, K))
      return 1;
    for (size_t I = 0; I != K && W->Restart; ++I) {
      unsigned char *B = &Live[Done + I];
      if (IsByteCounters && Snapshot[I] == 0)
        __atomic_store_n(B, 0xFF, __ATOMIC_RELAXED);
      else if (!IsByteCounters && Snapshot[I])
        __atomic_fetch_and(B, (unsigned char)~Snapshot[I], __ATOMIC_RELAXED);
    }
    Done += K;
  }
  return 0;
}

static uint32_t writePieces(CovlockProfWriter *This, CovlockProfPiece *Pieces,
                            uint32_t NumPieces) {
  CountingWriter *W = (CountingWriter *)This->Context;
  char *Counters = __llvm_profile_begin_counters();
  size_t CountersLen = (size_t)(__llvm_profile_end_counters() - Counters);
  char *Bitmap = __llvm_profile_begin_bitmap();
  size_t BitmapLen = (size_t)(__llvm_profile_end_bitmap() - Bitmap);
  int ByteCounters = byteCounters();
  for (uint32_t I = 0; I != NumPieces; ++I) {
    CovlockProfPiece *P = &Pieces[I];
    size_t Len = P->ElmSize * P->NumElm;
    int IsCounters = Len && P->Data == Counters && Len == CountersLen;
    int IsBitmap = Len && P->Data == Bitmap && Len == BitmapLen;
    uint32_t Failed;
    if (IsCounters && !ByteCounters)
      Failed = writeCounters(W, (const uint64_t *)(const void *)Counters,
                             Len / sizeof(uint64_t));
    else if (IsCounters || IsBitmap)
      Failed = writeBytes(W, (unsigned char *)(IsCounters ? Counters : Bitmap),
                          Len, IsCounters);
    else
      Failed = W->Out->Write(W->Out, P, 1);
    if (Failed)
      return Failed;
  }
  return 0;
}

int covlockWriteModuleProfile(CovlockProfWriter *Writer, int Restart) {
  if (!Restart && !Baseline)
    return lprofWriteData(Writer, NULL, 0); /* no copy on the way out */
  int Mapped = !Restart || mapBaseline();
  CountingWriter W = {{writePieces, &W}, Writer, Restart};
  int Err = lprofWriteData(&W.Base, NULL, 0);
  /* No room for a baseline: the old way, a reset, which a racing
   * increment of another thread can undo. */
  if (Restart && !Mapped && !byteCounters())
    memset(__llvm_profile_begin_counters(), 0,
           numCounters() * sizeof(uint64_t));
  return Err;
}

void covlockRestartModuleCounts(void) {
  if (byteCounters() || !mapBaseline()) {
    __llvm_profile_reset_counters();
    return;
  }
  memcpy(Baseline, __llvm_profile_begin_counters(),
         numCounters() * sizeof(uint64_t));
  char *Bitmap = __llvm_profile_begin_bitmap();
  memset(Bitmap, 0, (size_t)(__llvm_profile_end_bitmap() - Bitmap));
}
