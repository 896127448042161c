//===- SumProfiles.cpp - Merge step 2: sum raw profiles by layout ---------===//
//
// One task per context, on a thread pool. A raw profile that the bulk view
// accepts (RawProfile.h) is matched to a layout by comparing its data and
// names sections with the layout's first profile, and its counter section
// is added to the context's dense sums as an array. The first profile of a
// new layout is read once with LLVM's reader, to check it and to learn the
// function names. Contexts are disjoint, so tasks share nothing but the
// layout registry; each worker also keeps its own aggregate per layout.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include <algorithm>
#include <chrono>

using namespace llvm;

namespace covlock {
namespace merge {

Expected<Layout *> LayoutRegistry::get(const RawProfileView &V,
                                       std::unique_ptr<MemoryBuffer> &Buf,
                                       bool *IsNew) {
  uint64_t Key = layoutKey(V);
  // Layouts are never changed once published; compare outside the lock.
  size_t Seen;
  {
    std::lock_guard<std::mutex> G(Lock);
    Seen = Layouts.size();
  }
  auto Find = [&](size_t Begin, size_t End) -> Layout * {
    for (size_t I = Begin; I < End; ++I) {
      Layout *L = Layouts[I].get();
      if (L->Key == Key && haveSameLayout(L->View, V))
        return L;
    }
    return nullptr;
  };
  std::vector<Layout *> Snapshot;
  {
    std::lock_guard<std::mutex> G(Lock);
    for (size_t I = 0; I < Seen; ++I)
      Snapshot.push_back(Layouts[I].get());
  }
  for (Layout *L : Snapshot)
    if (L->Key == Key && haveSameLayout(L->View, V))
      return L;

  std::lock_guard<std::mutex> G(Lock);
  if (Layout *L = Find(Seen, Layouts.size()))
    return L;

  // A new layout: read it once with LLVM's reader, which checks what the
  // bulk view does not (names, offsets), and learn the functions. LLVM's
  // reader reserves a record's counters and bitmap bytes before it checks
  // them against their sections (4 GiB for a damaged count): every record
  // is checked here first.
  for (uint64_t I = 0; I < V.NumData; ++I)
    if (!decodeDataRecord(V, I))
      return make_error<InstrProfError>(
          instrprof_error::malformed,
          "data record " + Twine(I) +
              ": counters or bitmap bytes outside their sections");
  auto NewL = std::make_unique<Layout>();
  auto Reader = InstrProfReader::create(
      MemoryBuffer::getMemBuffer(V.Buffer, Buf->getBufferIdentifier(),
                                 /*RequiresNullTerminator=*/false));
  if (!Reader)
    return Reader.takeError();
  uint64_t I = 0;
  for (NamedInstrProfRecord &R : **Reader) {
    if (I >= V.NumData)
      return make_error<InstrProfError>(instrprof_error::malformed,
                                        "more records than data entries");
    std::optional<RawDataRecord> D = decodeDataRecord(V, I);
    if (!D || D->NumCounters != R.Counts.size() || D->FuncHash != R.Hash)
      return make_error<InstrProfError>(instrprof_error::malformed,
                                        "data record " + Twine(I) +
                                            " does not match its counters");
    if (!isStorableHash(D->FuncHash))
      return make_error<InstrProfError>(
          instrprof_error::malformed,
          "function " + R.Name + " has hash " + utohexstr(D->FuncHash) +
              ", which no profile can hold (a damaged file)");
    LayoutFunction F;
    F.Name = R.Name.str();
    F.NameRef = D->NameRef;
    F.Hash = D->FuncHash;
    F.FirstCounter = D->FirstCounter;
    F.NumCounters = D->NumCounters;
    F.FirstBitmapByte = D->FirstBitmapByte;
    F.NumBitmapBytes = D->NumBitmapBytes;
    NewL->ByName.try_emplace({F.NameRef, F.Hash}, unsigned(I));
    NewL->Functions.push_back(std::move(F));
    ++I;
  }
  if (Error E = (*Reader)->getError())
    return std::move(E);
  if (I != V.NumData)
    return make_error<InstrProfError>(instrprof_error::malformed,
                                      "fewer records than data entries");
  NewL->View = V;
  NewL->Key = Key;
  NewL->Ref = std::move(Buf);
  Layouts.push_back(std::move(NewL));
  if (IsNew)
    *IsNew = true;
  return Layouts.back().get();
}

Expected<Layout *> LayoutRegistry::getFile(StringRef Path, bool *IsNew) {
  FileOutcome *O;
  {
    std::lock_guard<std::mutex> G(FileLock);
    std::unique_ptr<FileOutcome> &Slot = ByFile[Path.str()];
    if (!Slot)
      Slot = std::make_unique<FileOutcome>();
    O = Slot.get();
  }
  // Packs naming the same file wait for its one read.
  std::lock_guard<std::mutex> G(O->Lock);
  if (!O->Read) {
    O->Read = true;
    Expected<Layout *> L = readFile(Path, IsNew);
    if (L)
      O->L = *L;
    else
      O->Error = messageOf(L.takeError());
  }
  if (!O->L)
    return createStringError(inconvertibleErrorCode(), O->Error);
  return O->L;
}

Expected<Layout *> LayoutRegistry::readFile(StringRef Path, bool *IsNew) {
  // DIR/.covlock/layouts itself is never followed either.
  sys::fs::file_status St;
  StringRef Parent = sys::path::parent_path(Path);
  if (sys::fs::status(Parent, St, /*Follow=*/false) ||
      !sys::fs::is_directory(St))
    return createFileError(Parent, make_error<InstrProfError>(
                                       instrprof_error::malformed,
                                       "not a directory (a symbolic link is "
                                       "not followed)"));
  Expected<std::unique_ptr<MemoryBuffer>> Buf =
      readProfileFile(Path, MaxLayoutBytes);
  if (!Buf)
    return Buf.takeError();
  std::optional<RawProfileView> V = viewRawProfile((*Buf)->getBuffer());
  if (!V)
    return createFileError(Path, make_error<InstrProfError>(
                                     instrprof_error::malformed,
                                     "not a layout file (a raw profile of "
                                     "version 10 that the bulk path reads)"));
  Expected<Layout *> L = get(*V, *Buf, IsNew);
  if (!L)
    return createFileError(Path, L.takeError());
  return *L;
}

void addSums(Sums &Dst, const Sums &Src) {
  if (Src.Sparse) {
    // Dense Dst (an aggregate): only the counters Src has cost anything.
    Dst.densify();
    if (Dst.Counters.empty() && Dst.Bitmap.empty()) {
      Dst.Counters.assign(Src.NumCounters, 0);
      Dst.Bitmap.assign(Src.Bitmap.size(), 0);
    }
    for (size_t I = 0, E = Src.NonZero.size(); I != E; ++I)
      Dst.Saturated |=
          addCounters(&Dst.Counters[Src.NonZero[I]], &Src.NonZeroCounts[I], 1);
    orBitmap(Dst.Bitmap.data(), Src.Bitmap.data(), Src.Bitmap.size());
    Dst.Saturated |= Src.Saturated;
    return;
  }
  if (Dst.Counters.empty() && Dst.Bitmap.empty()) {
    Dst = Src;
    return;
  }
  Dst.Saturated |= addCounters(Dst.Counters.data(), Src.Counters.data(),
                               Src.Counters.size());
  orBitmap(Dst.Bitmap.data(), Src.Bitmap.data(), Src.Bitmap.size());
  Dst.Saturated |= Src.Saturated;
}

/// A pack's profile into \p Ctx's sums.
void Merger::sumPackProfile(Unit &U, ContextState &Ctx) {
  bool IsNew = false;
  Expected<Layout *> L = Registry.getFile(U.LayoutPath, &IsNew);
  if (!L) {
    markBad(U, "unreadable",
            "its layout file " + U.LayoutPath + ": " +
                messageOf(L.takeError()));
    return;
  }
  Expected<std::unique_ptr<MemoryBuffer>> Buf =
      readProfileFile(U.Path, maxPackProfileBytes(**L));
  if (!Buf) {
    markBad(U, "unreadable", messageOf(Buf.takeError()));
    return;
  }
  std::optional<RawProfileView> V = viewRawProfile((*Buf)->getBuffer());
  if (!V) {
    markBad(U, "unreadable",
            "not a pack's profile (a raw profile of "
            "version 10 that the bulk path reads)");
    return;
  }
  // A test's only profile stays sparse (the common case).
  bool KeepSparse = Opts.SparseContexts && Ctx.Units.size() == 1;
  if (Error E = addSparseProfile(**L, *V, Ctx.PerLayout[*L], KeepSparse)) {
    markBad(U, "unreadable", messageOf(std::move(E)));
    return;
  }
  if (IsNew && !U.Exe.empty() && Opts.LayoutFound)
    Opts.LayoutFound((*L)->describe(U.Exe));
  noteUnitOfLayout(U, *L);
}

void Merger::noteUnitOfLayout(Unit &U, Layout *L) {
  U.State = Unit::Bulk;
  U.L = L;
  size_t Cur = L->FirstUnit.load();
  while (U.Index < Cur && !L->FirstUnit.compare_exchange_weak(Cur, U.Index))
    ;
}

void Merger::sumContext(ContextState &Ctx, LabelSums &Aggregate) {
  for (Unit *U : Ctx.Units) {
    if (!U->LayoutPath.empty()) {
      sumPackProfile(*U, Ctx);
      continue;
    }
    ErrorOr<std::unique_ptr<MemoryBuffer>> Buf = readUnit(*U);
    if (!Buf) {
      markBad(*U, "unreadable", Buf.getError().message());
      continue;
    }
    if ((*Buf)->getBufferSize() == 0) {
      markBad(*U, "unreadable",
              "empty profile (its process was killed before it wrote "
              "anything?)");
      continue;
    }
    std::optional<RawProfileView> V = viewRawProfile((*Buf)->getBuffer());
    if (!V) {
      U->State = Unit::Other; // read whole, later
      continue;
    }
    bool IsNew = false;
    Expected<Layout *> L = Registry.get(*V, *Buf, &IsNew);
    if (!L) {
      markBad(*U, "unreadable", messageOf(L.takeError()));
      continue;
    }
    if (IsNew && !U->Exe.empty() && Opts.LayoutFound)
      Opts.LayoutFound((*L)->describe(U->Exe));
    Sums &S = Ctx.PerLayout[*L];
    if (Opts.SparseContexts && !Opts.WantProfile && Ctx.Units.size() == 1) {
      // A test's only profile (the common case): straight to its sparse
      // form, without a dense copy of the whole binary's counters.
      S.assignSparse(V->counters(), V->NumCounters);
      S.Bitmap.assign(V->bitmap(), V->bitmap() + V->NumBitmapBytes);
    } else if (S.Counters.empty() && S.Bitmap.empty()) {
      S.Counters.assign(V->counters(), V->counters() + V->NumCounters);
      S.Bitmap.assign(V->bitmap(), V->bitmap() + V->NumBitmapBytes);
    } else {
      S.Saturated |=
          addCounters(S.Counters.data(), V->counters(), V->NumCounters);
      orBitmap(S.Bitmap.data(), V->bitmap(), V->NumBitmapBytes);
    }
    noteUnitOfLayout(*U, *L);
  }
  if (Opts.WantProfile)
    for (auto &[L, S] : Ctx.PerLayout)
      addSums(Aggregate[{Ctx.C.Label, L}], S);
  if (!Opts.WantContexts)
    Ctx.PerLayout.clear();
  else if (Opts.SparseContexts)
    for (auto &[L, S] : Ctx.PerLayout)
      S.sparsify();
}

void Merger::sumAll(std::vector<LabelSums> &Aggregates) {
  std::vector<ContextState *> Tasks;
  for (auto &[Key, Ctx] : Contexts)
    if (!Ctx.Units.empty())
      Tasks.push_back(&Ctx);
  unsigned N = Opts.Threads ? Opts.Threads
                            : hardware_concurrency().compute_thread_count();
  N = std::max(1u, std::min<unsigned>(N, Tasks.size()));
  Aggregates.resize(N);

  std::atomic<size_t> Next{0};
  std::atomic<uint64_t> Done{0};
  std::mutex ProgressLock;
  auto LastReport = std::chrono::steady_clock::now();
  uint64_t Total = Units.size();
  auto Work = [&](unsigned Worker) {
    for (size_t T; (T = Next.fetch_add(1)) < Tasks.size();) {
      sumContext(*Tasks[T], Aggregates[Worker]);
      uint64_t D =
          Done.fetch_add(Tasks[T]->Units.size()) + Tasks[T]->Units.size();
      if (Opts.Progress) {
        std::unique_lock<std::mutex> G(ProgressLock, std::try_to_lock);
        auto Now = std::chrono::steady_clock::now();
        if (G.owns_lock() &&
            Now - LastReport > std::chrono::milliseconds(100)) {
          LastReport = Now;
          Opts.Progress(D, Total);
        }
      }
    }
  };
  if (N == 1) {
    Work(0);
  } else {
    DefaultThreadPool Pool(hardware_concurrency(N));
    for (unsigned W = 0; W < N; ++W)
      Pool.async(Work, W);
    Pool.wait();
  }
  if (Opts.Progress)
    Opts.Progress(Done.load(), Total);
}

} // namespace merge
} // namespace covlock
