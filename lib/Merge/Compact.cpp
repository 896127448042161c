//===- Compact.cpp - Compacting a coverage directory ----------------------===//
//
// One round, under the compact lock (one compactor at a time; readers that
// need the files to hold still take it shared), for each key directory
// that changed:
//
// 1. Remove what a killed compactor left (TestDirectory::Remnants, and
//    files of packs that were never published).
// 2. Sum, per label and binary, the raw profiles of the published flush
//    records and the profiles of the live packs; a record any of whose
//    profiles cannot be read stays as it is, for the merge to report.
// 3. Write a layout file for each binary not seen before, then the new
//    pack's sparse profiles, then publish the pack (the commit: from here
//    on, readers ignore what it absorbed).
// 4. Remove what it absorbed: each record's profiles, then the record; each
//    older pack's profiles, then the pack.
//
// Files are written under a temporary name and published with a rename
// that never replaces, all relative to directory descriptors opened
// without following symlinks.
//
//===----------------------------------------------------------------------===//

#include "covlock/Merge/Compact.h"
#include "DirFD.h"
#include "KeyChanges.h"
#include "Merger.h"
#include "ProfileBuffers.h"
#include "covlock/Locking/RunLock.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <set>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;
namespace fs = llvm::sys::fs;

namespace covlock {

using merge::DirFD;
using merge::errnoError;
using merge::Layout;
using merge::LayoutRegistry;
using merge::namesIn;
using merge::Sums;

namespace {

/// What a new pack sums for one label and binary: one raw profile as it
/// is (most tests run one process), or dense sums.
struct PackSum {
  std::optional<RawProfileView> Only;
  std::unique_ptr<MemoryBuffer> OnlyBuf; ///< Only's bytes (or its layout's)
  Sums S;
  PackProfile Meta; ///< all but Profile, Layout and Size

  /// The dense sums, made from Only if need be.
  Sums &dense() {
    if (Only) {
      S.Counters.assign(Only->counters(), Only->counters() + Only->NumCounters);
      S.Bitmap.assign(Only->bitmap(), Only->bitmap() + Only->NumBitmapBytes);
      Only.reset();
      OnlyBuf.reset();
    }
    return S;
  }
  bool empty() const { return !Only && S.Counters.empty() && S.Bitmap.empty(); }
};
using PackSumKey = std::pair<std::optional<std::string>, Layout *>;

/// A raw profile of a record, read and matched to its layout.
struct ReadProfile {
  std::unique_ptr<MemoryBuffer> Buf;
  RawProfileView View;
  Layout *L = nullptr;
};

} // namespace

struct Compactor::Impl {
  CompactOptions Opts;
  merge::ProfileBufferPool Buffers;
  LayoutRegistry Registry;
  std::unique_ptr<merge::KeyChangeFeed> Feed;  ///< with Opts.Watch
  std::map<Layout *, std::string> LayoutFiles; ///< file names in layouts/
  /// Key directories and their modification times when last compacted.
  std::map<std::string, sys::TimePoint<>> Unchanged;
  std::set<std::string> KilledAfter; ///< steps done (for KillAfter)
  CompactStats Stats;

  explicit Impl(CompactOptions O) : Opts(std::move(O)) {
    if (Opts.Watch)
      Feed = merge::KeyChangeFeed::open(Opts.Dir);
  }

  void warn(Error E) {
    if (Opts.Warn)
      Opts.Warn(std::move(E));
    else
      consumeError(std::move(E));
  }

  void stepDone(StringRef Step) {
    if (Opts.KillAfter == Step) {
      fflush(nullptr);
      ::raise(SIGKILL);
    }
  }

  Expected<CompactStats> round(bool Full);
  std::vector<std::pair<std::string, sys::TimePoint<>>> keysToLookAt(bool Full);
  Error compactKey(StringRef Key, StringRef KeyPath, bool Full);
  void sumRecords(DirFD &KD, const TestDirectory &TD,
                  std::map<PackSumKey, PackSum> &Sum, Pack &New);
  Error publishPack(DirFD &KD, StringRef KeyPath,
                    std::map<PackSumKey, PackSum> &Sum, Pack &New);
  void removeAbsorbed(DirFD &KD, const TestDirectory &TD, const Pack &New);
  void removeRemnants(DirFD &KD, const TestDirectory &TD,
                      const std::vector<std::string> &Names);
  bool readRecord(DirFD &KD, const NamedRecord<FlushRecord> &R,
                  std::vector<ReadProfile> &Out);
  bool addPack(const NamedRecord<Pack> &P, DirFD &KD,
               std::map<PackSumKey, PackSum> &Out);
  Expected<std::string> layoutFile(Layout *L);
};

Compactor::Compactor(CompactOptions Opts)
    : P(std::make_unique<Impl>(std::move(Opts))) {}
Compactor::~Compactor() = default;

Expected<CompactStats> Compactor::compact(bool Full) { return P->round(Full); }

void Compactor::setWait(bool Wait) { P->Opts.Wait = Wait; }

Expected<CompactStats> Compactor::Impl::round(bool Full) {
  Stats = CompactStats();
  StringRef Dir = Opts.Dir;
  if (!isCovlockDirectory(Dir))
    return createFileError(Dir, createStringError(inconvertibleErrorCode(),
                                                  whyNotCovlockDirectory(Dir)));
  Expected<std::optional<LockFile>> Lock =
      acquireCompactLock(Dir, LockKind::Exclusive, Opts.Wait);
  if (!Lock)
    return Lock.takeError();
  if (!*Lock) {
    Stats.Busy = true;
    return Stats;
  }
  // A directory changed after this instant has a later time than any it
  // had before (coarse clocks: only times well before it are trusted).
  auto Start =
      std::chrono::system_clock::now() - std::chrono::milliseconds(100);
  std::vector<std::pair<std::string, sys::TimePoint<>>> Keys =
      keysToLookAt(Full);
  for (size_t I = 0; I != Keys.size(); ++I) {
    auto &[Key, Time] = Keys[I];
    SmallString<256> Path(Dir);
    sys::path::append(Path, Key);
    if (Error E = compactKey(Key, Path, Full)) {
      ++Stats.KeysFailed;
      warn(std::move(E));
    }
    // Its own changes are seen next round, which finds nothing to do.
    if (Time < Start)
      Unchanged[Key] = Time;
    else
      Unchanged.erase(Key);
    if (Opts.Progress)
      Opts.Progress(I + 1, Keys.size());
  }
  return Stats;
}

/// The key directories a round looks at, sorted, with their modification
/// times: those the kernel says changed, or else every one whose time
/// changed since it was last compacted (every one if \p Full).
std::vector<std::pair<std::string, sys::TimePoint<>>>
Compactor::Impl::keysToLookAt(bool Full) {
  std::optional<std::set<std::string>> Changed;
  if (Feed)
    Changed = Feed->changed();
  std::vector<std::string> Names;
  if (Changed && !Full)
    Names.assign(Changed->begin(), Changed->end());
  else
    Names = namesIn(Opts.Dir);
  std::vector<std::pair<std::string, sys::TimePoint<>>> Keys;
  for (const std::string &Name : Names) {
    if (StringRef(Name).starts_with("."))
      continue;
    fs::file_status S;
    SmallString<256> Path(Opts.Dir);
    sys::path::append(Path, Name);
    if (fs::status(Path, S, /*Follow=*/false) || !fs::is_directory(S))
      continue;
    if (Feed && !Changed)
      Feed->watch(Name); // before it is read: nothing published is missed
    auto It = Unchanged.find(Name);
    if (!Full && !Changed && It != Unchanged.end() &&
        It->second == S.getLastModificationTime())
      continue;
    Keys.push_back({Name, S.getLastModificationTime()});
  }
  llvm::sort(Keys);
  return Keys;
}

void Compactor::Impl::removeRemnants(DirFD &KD, const TestDirectory &TD,
                                     const std::vector<std::string> &Names) {
  std::set<std::string> Present(Names.begin(), Names.end());
  auto Remove = [&](const std::string &Name) {
    if (!Present.erase(Name))
      return;
    ++Stats.Remnants;
    if (Error E = KD.remove(Name))
      warn(std::move(E));
  };
  for (const std::string &Name : TD.Remnants)
    Remove(Name);
  // Profiles of a pack that was never published, and temporaries: only
  // while no file of that pack's name exists (a pack that cannot be read is
  // kept with its profiles, for the merge to report).
  for (const std::string &Name : Names) {
    StringRef N(Name);
    bool Tmp = N.consume_front(".") && N.consume_back(".tmp");
    std::optional<uint64_t> Number = packNumberOf(N);
    if (!Number || (!Tmp && N.ends_with(".pack")) ||
        Present.count(packFileName(*Number)))
      continue;
    Remove(Name);
  }
}

/// Reads every profile of record \p R; false (and warned) if one cannot be
/// read: the record then stays as it is, for the merge to judge.
bool Compactor::Impl::readRecord(DirFD &KD, const NamedRecord<FlushRecord> &R,
                                 std::vector<ReadProfile> &Out) {
  if (R.Record.Error || (!R.Record.Profile && R.Record.Version < 2))
    return false; // a failed flush: the merge reports it
  // An exec flush is taken back if the exec fails, and its counts flushed
  // again: it waits until its process is gone.
  if (R.Record.Reason == "exec" && isProcessImageRunning(R.Record.id()))
    return false;
  for (const ModuleProfile &MP : R.Record.profiles()) {
    // Only what the runtime names its profiles: never a pack's, a stock
    // writer's or a temporary file.
    StringRef Name(MP.Profile);
    if (Name.starts_with(PackPrefix) || Name.starts_with(".") ||
        !Name.ends_with(".profraw") || Name.ends_with(".stock.profraw"))
      return false;
    Expected<std::unique_ptr<MemoryBuffer>> Buf = Buffers.read(KD, MP.Profile);
    if (!Buf) {
      consumeError(Buf.takeError()); // missing or not a file: the merge says
      return false;
    }
    std::optional<RawProfileView> V = viewRawProfile((*Buf)->getBuffer());
    if (!V)
      return false; // not for the bulk path: the merge reads it whole
    Expected<Layout *> L = Registry.get(*V, *Buf);
    if (!L) {
      consumeError(L.takeError()); // damaged: the merge reports it
      return false;
    }
    Out.push_back({std::move(*Buf), *V, *L});
  }
  return true;
}

/// Adds the profiles of live pack \p P to \p Out; false (nothing added) if
/// one cannot be read.
bool Compactor::Impl::addPack(const NamedRecord<Pack> &P, DirFD &KD,
                              std::map<PackSumKey, PackSum> &Out) {
  std::map<PackSumKey, PackSum> Mine;
  std::string Layouts = getLayoutsDir(Opts.Dir);
  for (const PackProfile &PP : P.Record.Profiles) {
    SmallString<256> LayoutPath(Layouts);
    sys::path::append(LayoutPath, PP.Layout);
    Expected<Layout *> L = Registry.getFile(LayoutPath);
    if (!L) {
      warn(createFileError(KD.path(P.Name), L.takeError()));
      return false;
    }
    LayoutFiles.try_emplace(*L, PP.Layout);
    Expected<std::unique_ptr<MemoryBuffer>> Buf = merge::readProfileFile(
        KD.path(PP.Profile), merge::maxPackProfileBytes(**L));
    if (!Buf) {
      warn(Buf.takeError());
      return false;
    }
    std::optional<RawProfileView> V = viewRawProfile((*Buf)->getBuffer());
    PackSum &PS = Mine[{PP.Label, *L}];
    Error E =
        V ? merge::addSparseProfile(**L, *V, PS.S)
          : createStringError(inconvertibleErrorCode(), "not a pack's profile");
    if (E) {
      warn(createFileError(KD.path(PP.Profile), std::move(E)));
      return false;
    }
    PS.Meta = PP;
  }
  for (auto &[Key, PS] : Mine) {
    PackSum &Dst = Out[Key];
    if (Dst.Meta.First.empty() || PS.Meta.First < Dst.Meta.First)
      Dst.Meta = PS.Meta;
    merge::addSums(Dst.dense(), PS.S);
  }
  return true;
}

/// Writes \p L's layout file, gzipped, as \p Name of \p LD.
static Error publishLayout(DirFD &LD, StringRef Name, const Layout &L) {
  std::string Raw = merge::zeroedLayoutProfile(L);
  if (Raw.size() > merge::MaxLayoutBytes)
    return createFileError(LD.path(Name),
                           createStringError(inconvertibleErrorCode(),
                                             "a binary whose raw profile is "
                                             "over 1 GiB is not compacted"));
  Expected<std::string> Gzip = merge::gzipProfile(Raw);
  if (!Gzip)
    return createFileError(LD.path(Name), Gzip.takeError());
  return LD.publish(Name, *Gzip);
}

/// Layout files sharing one key: binaries whose raw profiles hash alike,
/// or names taken by files that are not layout files.
constexpr unsigned MaxLayoutNumbers = 1000;

/// The layout file of \p L, written if it is new: a zero-count copy of one
/// of its profiles, named by its layout key.
Expected<std::string> Compactor::Impl::layoutFile(Layout *L) {
  std::string Layouts = getLayoutsDir(Opts.Dir);
  // Known, and still there (someone may have removed it).
  auto It = LayoutFiles.find(L);
  if (It != LayoutFiles.end()) {
    struct stat St;
    SmallString<256> Path(Layouts);
    sys::path::append(Path, It->second);
    if (::lstat(Path.c_str(), &St) == 0 && S_ISREG(St.st_mode))
      return It->second;
    LayoutFiles.erase(It);
  }
  if (::mkdir(Layouts.c_str(), 0777) != 0 && errno != EEXIST)
    return errnoError(Layouts);
  Expected<DirFD> LD = DirFD::open(Layouts);
  if (!LD)
    return LD.takeError();
  // Another layout with the same key takes the next number; so does a
  // name someone took with what is not a layout file.
  for (unsigned I = 0;; ++I) {
    if (I == MaxLayoutNumbers)
      return createFileError(
          Layouts, createStringError(inconvertibleErrorCode(),
                                     "no layout number left for key " +
                                         utohexstr(L->Key, /*Lower=*/true)));
    std::string Name;
    raw_string_ostream(Name)
        << format_hex_no_prefix(L->Key, 16) << "." << I << ".profraw.gz";
    if (LD->regularSize(Name)) {
      Expected<Layout *> Known = Registry.getFile(LD->path(Name));
      if (!Known) {
        consumeError(Known.takeError());
        continue;
      }
      if (*Known != L)
        continue;
    } else if (LD->exists(Name)) {
      continue; // not a regular file (a FIFO, a link): never read
    } else if (Error E = publishLayout(*LD, Name, *L)) {
      return std::move(E);
    } else {
      stepDone("layout");
    }
    LayoutFiles[L] = Name;
    return Name;
  }
}

/// Step 2 for the raw records of \p TD: each published record whose
/// profiles all read joins \p New, its profiles \p Sum.
void Compactor::Impl::sumRecords(DirFD &KD, const TestDirectory &TD,
                                 std::map<PackSumKey, PackSum> &Sum,
                                 Pack &New) {
  for (const NamedRecord<FlushRecord> &R : TD.Records) {
    if (!R.Pack.empty())
      continue;
    std::vector<ReadProfile> Profiles;
    if (!readRecord(KD, R, Profiles)) {
      ++Stats.Left;
      continue;
    }
    std::vector<ModuleProfile> Modules = R.Record.profiles();
    for (size_t I = 0; I != Profiles.size(); ++I) {
      ReadProfile &RP = Profiles[I];
      PackSum &PS = Sum[{R.Record.Label, RP.L}];
      if (PS.empty()) {
        // Most tests run one process: its profile is written out as it is.
        PS.Only = RP.View;
        PS.OnlyBuf = std::move(RP.Buf);
      } else {
        Sums &S = PS.dense();
        S.Saturated |= addCounters(S.Counters.data(), RP.View.counters(),
                                   RP.View.NumCounters);
        orBitmap(S.Bitmap.data(), RP.View.bitmap(), RP.View.NumBitmapBytes);
      }
      if (PS.Meta.First.empty() || Modules[I].Profile < PS.Meta.First) {
        PS.Meta.First = Modules[I].Profile;
        PS.Meta.Path = Modules[I].Path;
        PS.Meta.BinaryId = Modules[I].BinaryId;
        PS.Meta.Label = R.Record.Label;
      }
      Stats.BytesRemoved += RP.View.Buffer.size();
      ++Stats.Profiles;
    }
    New.Records.push_back({R.Name, R.Record});
    New.AbsorbedRecords.push_back({R.Name, R.Record.Start});
  }
}

/// Which live packs a new pack absorbs: all of them in a full round;
/// between rounds, none until there are several, and then all but the
/// biggest, unless it is smaller than the others together, so that a
/// test's records are rewritten a logarithmic number of times.
static std::vector<const NamedRecord<Pack> *>
packsToFold(const TestDirectory &TD, bool Full, bool NewRecords) {
  std::vector<const NamedRecord<Pack> *> Fold;
  constexpr size_t FoldAt = 8;
  if (TD.Packs.empty() || !((Full && (TD.Packs.size() >= 2 || NewRecords)) ||
                            TD.Packs.size() >= FoldAt))
    return Fold;
  for (const NamedRecord<Pack> &P : TD.Packs)
    Fold.push_back(&P);
  auto Biggest = llvm::max_element(Fold, [](const auto *A, const auto *B) {
    return A->Record.Records.size() < B->Record.Records.size();
  });
  size_t Others = 0;
  for (const auto *P : Fold)
    Others += P->Record.Records.size();
  Others -= (*Biggest)->Record.Records.size();
  if (!Full && (*Biggest)->Record.Records.size() >= Others)
    Fold.erase(Biggest);
  return Fold;
}

/// Step 3: the layout files of new binaries, the pack's profiles, then the
/// pack itself, numbered after every pack still there.
Error Compactor::Impl::publishPack(DirFD &KD, StringRef KeyPath,
                                   std::map<PackSumKey, PackSum> &Sum,
                                   Pack &New) {
  for (const std::string &Name : namesIn(KeyPath))
    if (std::optional<uint64_t> N = packNumberOf(Name))
      New.Number = std::max(New.Number, *N + 1);
  New.Number = std::max<uint64_t>(New.Number, 1);
  if (New.Number > MaxPackNumber)
    return createFileError(KeyPath, createStringError(inconvertibleErrorCode(),
                                                      "no pack number left"));
  std::vector<std::pair<const PackSumKey *, PackSum *>> Order;
  for (auto &[K, PS] : Sum)
    Order.push_back({&K, &PS});
  // Binaries in the order a reader of the raw profiles met them.
  llvm::sort(Order, [](const auto &A, const auto &B) {
    return std::tie(A.second->Meta.First, A.first->first) <
           std::tie(B.second->Meta.First, B.first->first);
  });
  for (auto &[K, PS] : Order) {
    Expected<std::string> LayoutName = layoutFile(K->second);
    if (!LayoutName)
      return LayoutName.takeError();
    Expected<std::string> Bytes =
        PS->Only ? merge::writeSparseProfile(*K->second, PS->Only->counters(),
                                             PS->Only->bitmap())
                 : merge::writeSparseProfile(*K->second, PS->S.Counters.data(),
                                             PS->S.Bitmap.data());
    if (Bytes)
      Bytes = merge::gzipProfile(*Bytes);
    if (!Bytes)
      return createFileError(KeyPath, Bytes.takeError());
    PackProfile PP = PS->Meta;
    PP.Profile = packProfileName(New.Number, New.Profiles.size());
    PP.Layout = *LayoutName;
    PP.Size = Bytes->size();
    if (Error E = KD.publish(PP.Profile, *Bytes))
      return E;
    Stats.BytesWritten += Bytes->size();
    New.Profiles.push_back(std::move(PP));
  }
  stepDone("profiles");
  std::string Text = writePack(New);
  if (Text.size() > MaxPackFile)
    return createFileError(KeyPath,
                           createStringError(inconvertibleErrorCode(),
                                             "too many records for one pack "
                                             "(1 GiB of JSON)"));
  if (Error E = KD.publish(packFileName(New.Number), Text))
    return E;
  Stats.RecordBytes += Text.size();
  ++Stats.Keys;
  Stats.Records += New.AbsorbedRecords.size();
  Stats.Packs += New.AbsorbedPacks.size();
  stepDone("pack");
  return Error::success();
}

/// Step 4: what \p New absorbed goes, each file's profiles before it.
void Compactor::Impl::removeAbsorbed(DirFD &KD, const TestDirectory &TD,
                                     const Pack &New) {
  for (const AbsorbedRecord &A : New.AbsorbedRecords) {
    auto R = llvm::find_if(TD.Records, [&](const auto &R) {
      return R.Pack.empty() && R.Name == A.Name && R.Record.Start == A.Start;
    });
    for (const ModuleProfile &MP : R->Record.profiles())
      if (Error E = KD.remove(MP.Profile))
        warn(std::move(E));
    if (Error E = KD.remove(A.Name))
      warn(std::move(E));
    stepDone("unlink");
  }
  for (const std::string &Name : New.AbsorbedPacks) {
    auto P =
        llvm::find_if(TD.Packs, [&](const auto &P) { return P.Name == Name; });
    for (const PackProfile &PP : P->Record.Profiles) {
      Stats.BytesRemoved += PP.Size;
      if (Error E = KD.remove(PP.Profile))
        warn(std::move(E));
    }
    if (Error E = KD.remove(Name))
      warn(std::move(E));
  }
}

Error Compactor::Impl::compactKey(StringRef Key, StringRef KeyPath, bool Full) {
  Expected<DirFD> KD = DirFD::open(KeyPath);
  if (!KD)
    return KD.takeError();
  uint64_t Unreadable = 0;
  Expected<TestDirectory> TD =
      readKeyDirectory(KeyPath, Key, Unreadable, [](Error E) {
        consumeError(std::move(E)); // the merge reports what cannot be read
      });
  if (!TD)
    return TD.takeError();
  removeRemnants(*KD, *TD, namesIn(KeyPath));

  std::map<PackSumKey, PackSum> Sum;
  Pack New;
  sumRecords(*KD, *TD, Sum, New);
  std::vector<const NamedRecord<Pack> *> Fold =
      packsToFold(*TD, Full, !New.Records.empty());
  if (New.Records.empty() && Fold.empty())
    return Error::success();
  for (const NamedRecord<Pack> *P : Fold) {
    if (!addPack(*P, *KD, Sum))
      continue;
    for (const NamedRecord<FlushRecord> &R : P->Record.Records)
      New.Records.push_back({R.Name, R.Record});
    New.AbsorbedPacks.push_back(P->Name);
  }
  if (New.AbsorbedRecords.empty() && New.AbsorbedPacks.size() < 2)
    return Error::success();
  llvm::sort(New.Records, [](const NamedRecord<FlushRecord> &A,
                             const NamedRecord<FlushRecord> &B) {
    return std::tie(A.Name, A.Record.Start) < std::tie(B.Name, B.Record.Start);
  });
  if (Error E = publishPack(*KD, KeyPath, Sum, New))
    return E;
  removeAbsorbed(*KD, *TD, New);
  return Error::success();
}

} // namespace covlock
