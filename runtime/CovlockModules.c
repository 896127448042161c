/*===- CovlockModules.c - the instrumented modules of the process ---------===*\
|*
|* The registry behind CovlockModuleABI.h: which modules the runtime writes,
|* with the path and GNU build id llvm-covmerge needs to find each binary.
|* Modules register from their constructors (under the dynamic loader's
|* lock) and leave from their last destructor: at dlclose their profile is
|* flushed on its own before their code goes away; at exit they stay, and
|* the final flush writes them after every module's exit-time code.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"
#include "CovlockModuleABI.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

CovlockModuleEntry covlockModules[COVLOCK_MAX_MODULES];
unsigned covlockNumModules;

typedef struct {
  uintptr_t Anchor;
  unsigned Visited; /* objects seen; the first is the executable */
  int Found, IsMain;
  CovlockModuleEntry *Entry;
} ModuleSearch;

static void readBuildId(const struct dl_phdr_info *Info, char *Out) {
  Out[0] = '\0';
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
        covlockBufInit(&B, Out, 2 * 64 + 1);
        covlockPutHex(&B, (const unsigned char *)Desc, N->n_descsz);
        covlockBufFinish(&B);
        return;
      }
      Note = Desc + ((N->n_descsz + 3) & ~3u);
    }
  }
}

/* The loaded object whose segments hold the anchor: its path (the
 * executable's is /proc/self/exe) and build id. */
static int findModule(struct dl_phdr_info *Info, size_t Size, void *Data) {
  (void)Size;
  ModuleSearch *S = (ModuleSearch *)Data;
  int IsMain = S->Visited++ == 0;
  for (int I = 0; I != Info->dlpi_phnum; ++I) {
    const ElfW(Phdr) *P = &Info->dlpi_phdr[I];
    uintptr_t Start = Info->dlpi_addr + P->p_vaddr;
    if (P->p_type != PT_LOAD || S->Anchor < Start ||
        S->Anchor - Start >= P->p_memsz)
      continue;
    CovlockModuleEntry *E = S->Entry;
    const char *Path = IsMain ? covlockState.Exe : Info->dlpi_name;
    /* dlopen("./libx.so") lists the module as it was named: the tools may
     * run elsewhere, so the record gets its absolute path. */
    if (!Path || !realpath(Path, E->Path)) {
      size_t Len = strnlen(Path ? Path : "", sizeof(E->Path) - 1);
      memcpy(E->Path, Path ? Path : "", Len);
      E->Path[Len] = '\0';
    }
    readBuildId(Info, E->BinaryId);
    S->Found = 1;
    S->IsMain = IsMain;
    return 1;
  }
  return 0;
}

/* Exit has begun: modules that finalize from now on stay registered. The
 * handler is registered at every load, since only one registered after
 * the dynamic loader's own exit handler runs before the destructors. */
static volatile int ExitStarted;
static void noteExit(int Status, void *Arg) {
  (void)Arg;
  ExitStarted = 1;
  covlockNoteExitStatus(Status);
}

COVLOCK_ABI int __covlock_module_loaded(CovlockModule *M) {
  if (!M || M->AbiVersion != COVLOCK_MODULE_ABI_VERSION)
    return 0;
  covlockStart();
  CovlockState *S = &covlockState;
  /* With COVLOCK_DIR set but unusable (reported once), nothing is written
   * at all: not a stray default.profraw either. */
  if (!S->Requested)
    return 0;
  if (!S->Enabled)
    return 1;
  if (covlockNumModules == COVLOCK_MAX_MODULES) {
    covlockReport(COVLOCK_REPORT_SETUP,
                  "too many instrumented modules; this one is not written",
                  NULL, 0);
    return 0;
  }
  int SavedErrno = errno;
  CovlockModuleEntry Entry;
  memset(&Entry, 0, sizeof(Entry));
  Entry.Module = M;
  ModuleSearch Search = {(uintptr_t)M->Anchor, 0, 0, 0, &Entry};
  dl_iterate_phdr(findModule, &Search);
  if (!Search.Found)
    strcpy(Entry.Path, S->Exe);
  Entry.IsMain = Search.IsMain;
  /* The executable comes first: its profile is the record's "profile".
   * Another thread may be flushing (a plugin loaded while a test ends). */
  int Held = covlockAcquireGuard();
  unsigned At = Search.IsMain ? 0 : covlockNumModules;
  memmove(&covlockModules[At + 1], &covlockModules[At],
          (covlockNumModules - At) * sizeof(CovlockModuleEntry));
  covlockModules[At] = Entry;
  ++covlockNumModules;
  if (Held)
    covlockReleaseGuard();
  on_exit(noteExit, NULL);
  errno = SavedErrno;
  return 1;
}

void covlockResetCounters(void) {
  for (unsigned I = 0; I != covlockNumModules; ++I)
    if (!covlockModules[I].Saved)
      covlockModules[I].Module->ResetCounters();
}

void covlockResetUnwritten(const CovlockFlushResult *R) {
  for (unsigned I = 0; I != covlockNumModules; ++I) {
    int Written = 0;
    for (unsigned K = 0; K != R->NumProfiles && !Written; ++K)
      Written = R->Profiles[K].Module == I && !R->Profiles[K].Err;
    if (!Written && !covlockModules[I].Saved)
      covlockModules[I].Module->ResetCounters();
  }
}

void covlockDropSavedModules(void) {
  unsigned Kept = 0;
  for (unsigned I = 0; I != covlockNumModules; ++I) {
    if (covlockModules[I].Saved) {
      free(covlockModules[I].Saved);
      continue;
    }
    covlockModules[Kept++] = covlockModules[I];
  }
  covlockNumModules = Kept;
}

/* The profile of a module about to be unmapped, in memory: exit has begun
 * (this is not a signal handler), and the final flush writes it. */
typedef struct {
  char *Data;
  size_t Size, Cap;
  int Failed;
} SavedProfile;

static int grow(SavedProfile *P, size_t N) {
  if (P->Size + N <= P->Cap)
    return 1;
  size_t Cap = P->Cap ? P->Cap : 65536;
  while (Cap < P->Size + N)
    Cap *= 2;
  char *Data = realloc(P->Data, Cap);
  if (!Data)
    return 0;
  P->Data = Data;
  P->Cap = Cap;
  return 1;
}

static uint32_t savePieces(CovlockProfWriter *This, CovlockProfPiece *Pieces,
                           uint32_t NumPieces) {
  SavedProfile *P = (SavedProfile *)This->Context;
  for (uint32_t I = 0; I != NumPieces && !P->Failed; ++I) {
    size_t N = Pieces[I].ElmSize * Pieces[I].NumElm;
    if (!grow(P, N)) {
      P->Failed = 1;
      break;
    }
    if (Pieces[I].Data)
      memcpy(P->Data + P->Size, Pieces[I].Data, N);
    else
      memset(P->Data + P->Size, 0, N); /* padding, or a hole */
    P->Size += N;
  }
  return P->Failed;
}

static void saveProfile(CovlockModuleEntry *E) {
  SavedProfile P = {NULL, 0, 0, 0};
  CovlockProfWriter Writer = {savePieces, &P};
  if (E->Module->WriteProfile(&Writer, 0) != 0 || P.Failed || !P.Size) {
    free(P.Data);
    covlockReport(COVLOCK_REPORT_WRITE,
                  "cannot keep the profile of a module closed during exit",
                  E->Path, ENOMEM);
    return;
  }
  E->Saved = P.Data;
  E->SavedSize = P.Size;
}

static int indexOf(const CovlockModule *M) {
  for (unsigned I = 0; I != covlockNumModules; ++I)
    if (covlockModules[I].Module == M)
      return (int)I;
  return -1;
}

COVLOCK_ABI void __covlock_module_unloading(CovlockModule *M) {
  if (indexOf(M) < 0)
    return;
  int SavedErrno = errno;
  /* Flushed and removed in one step: no flush of another thread may call
   * into the module once its code is unmapped. */
  int Held = covlockAcquireGuard();
  int I = indexOf(M);
  CovlockModuleEntry *E = I < 0 ? NULL : &covlockModules[I];
  if (E && ExitStarted) {
    /* During exit: this is the module's last destructor, run either by
     * the dynamic loader's exit processing (nothing is unmapped) or by a
     * dlclose from exit-time code (it is). The executable is never
     * unmapped; another module's profile is kept in memory for the final
     * flush, which comes after all exit-time code. */
    if (!E->IsMain && !E->Saved)
      saveProfile(E);
  } else if (E) {
    CovlockFlushRequest Req = {COVLOCK_UNLOAD, 0, 0, 0, 0, 0, 0, 0, M};
    covlockFlushHoldingGuard(&Req);
    I = indexOf(M);
    if (I >= 0) {
      memmove(&covlockModules[I], &covlockModules[I + 1],
              (covlockNumModules - (unsigned)I - 1) *
                  sizeof(CovlockModuleEntry));
      --covlockNumModules;
    }
  }
  if (Held)
    covlockReleaseGuard();
  errno = SavedErrno;
}
