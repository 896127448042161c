/*===- CovlockModule.c - one instrumented module's side of the runtime ----===*\
|*
|* Linked into every instrumented module (executable or shared object) by
|* `llvm-covlock link-flags`. Defining __llvm_profile_runtime keeps
|* compiler-rt's registration object, and with it the stock at-exit write,
|* out of the module; the module then registers its profile with the
|* process's covlock runtime, or restores the stock behaviour when covlock
|* is not enabled. Everything here is hidden: each module has its own copy.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "CovlockModuleABI.h"

#include <string.h>

int __llvm_profile_runtime;

char *__llvm_profile_begin_counters(void);
char *__llvm_profile_end_counters(void);
char *__llvm_profile_begin_bitmap(void);
char *__llvm_profile_end_bitmap(void);
uint64_t __llvm_profile_get_version(void);

/* Counters hold one byte each, 0 once run, under
 * -mllvm -enable-single-byte-coverage (INSTR_PROF_RAW_VERSION's flags). */
#define COVLOCK_BYTE_COVERAGE (1ULL << 60)

/* A draining write hands the counters and bitmap to the writer through a
 * small snapshot and then takes exactly the snapshot out of the live
 * sections, where a reset would also erase what another thread counted
 * while the profile was written. The snapshot is a plain copy, as
 * compiler-rt's own writer reads the counters: aligned words. */
typedef struct {
  CovlockProfWriter Base;
  CovlockProfWriter *Out;
} DrainingWriter;

enum { DrainChunk = 4096 };

static uint32_t forward(DrainingWriter *W, const void *Data, size_t Len) {
  CovlockProfPiece Piece = {Data, 1, Len, 0};
  return W->Out->Write(W->Out, &Piece, 1);
}

/* 8-byte counters: what was written is subtracted. */
static uint32_t drainCounters(DrainingWriter *W, uint64_t *Live, size_t N) {
  uint64_t Snapshot[DrainChunk / sizeof(uint64_t)];
  for (size_t Done = 0; Done < N;) {
    size_t K = N - Done < DrainChunk / sizeof(uint64_t)
                   ? N - Done
                   : DrainChunk / sizeof(uint64_t);
    memcpy(Snapshot, &Live[Done], K * sizeof(uint64_t));
    if (forward(W, Snapshot, K * sizeof(uint64_t)))
      return 1;
    for (size_t I = 0; I != K; ++I)
      if (Snapshot[I])
        __atomic_fetch_sub(&Live[Done + I], Snapshot[I], __ATOMIC_RELAXED);
    Done += K;
  }
  return 0;
}

/* Bytes: a byte counter written as run (0) is made unrun again (0xFF); a
 * bitmap byte loses the bits that were written. */
static uint32_t drainBytes(DrainingWriter *W, unsigned char *Live, size_t N,
                           int ByteCounters) {
  unsigned char Snapshot[DrainChunk];
  for (size_t Done = 0; Done < N;) {
    size_t K = N - Done < DrainChunk ? N - Done : DrainChunk;
    memcpy(Snapshot, &Live[Done], K);
    if (forward(W, Snapshot, K))
      return 1;
    for (size_t I = 0; I != K; ++I) {
      unsigned char *B = &Live[Done + I];
      if (ByteCounters && Snapshot[I] == 0)
        __atomic_store_n(B, 0xFF, __ATOMIC_RELAXED);
      else if (!ByteCounters && Snapshot[I])
        __atomic_fetch_and(B, (unsigned char)~Snapshot[I], __ATOMIC_RELAXED);
    }
    Done += K;
  }
  return 0;
}

static uint32_t drainPieces(CovlockProfWriter *This, CovlockProfPiece *Pieces,
                            uint32_t NumPieces) {
  DrainingWriter *W = (DrainingWriter *)This->Context;
  char *Counters = __llvm_profile_begin_counters();
  size_t CountersLen = (size_t)(__llvm_profile_end_counters() - Counters);
  char *Bitmap = __llvm_profile_begin_bitmap();
  size_t BitmapLen = (size_t)(__llvm_profile_end_bitmap() - Bitmap);
  int ByteCounters =
      (__llvm_profile_get_version() & COVLOCK_BYTE_COVERAGE) != 0;
  for (uint32_t I = 0; I != NumPieces; ++I) {
    CovlockProfPiece *P = &Pieces[I];
    size_t Len = P->ElmSize * P->NumElm;
    int IsCounters = Len && P->Data == Counters && Len == CountersLen;
    int IsBitmap = Len && P->Data == Bitmap && Len == BitmapLen;
    uint32_t Failed;
    if (IsCounters && !ByteCounters)
      Failed = drainCounters(W, (uint64_t *)Counters, Len / sizeof(uint64_t));
    else if (IsCounters || IsBitmap)
      Failed = drainBytes(W, (unsigned char *)(IsCounters ? Counters : Bitmap),
                          Len, IsCounters);
    else
      Failed = W->Out->Write(W->Out, P, 1);
    if (Failed)
      return Failed;
  }
  return 0;
}

static int writeProfile(CovlockProfWriter *Writer, int Drain) {
  if (!Drain)
    return lprofWriteData(Writer, NULL, 0);
  DrainingWriter W = {{drainPieces, &W}, Writer};
  return lprofWriteData(&W.Base, NULL, 0);
}

static CovlockModule ThisModule = {COVLOCK_MODULE_ABI_VERSION, writeProfile,
                                   __llvm_profile_reset_counters, &ThisModule};

/* Priority 101: the first constructor of the module and the last
 * destructor, so that the module's own exit-time code is counted. */
__attribute__((constructor(101))) static void moduleLoaded(void) {
  if (!__covlock_module_loaded(&ThisModule))
    __llvm_profile_initialize(); /* LLVM_PROFILE_FILE, at-exit write */
}

__attribute__((destructor(101))) static void moduleUnloading(void) {
  __covlock_module_unloading(&ThisModule);
}
