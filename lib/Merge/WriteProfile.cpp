//===- WriteProfile.cpp - Merge step 3: the indexed profile ---------------===//
//
// Sequential, in the sorted order of the files. Each layout's first
// profile, its counters replaced by the layout's sums, goes through
// RawInstrProfReader into an InstrProfWriter, in the position where
// `llvm-profdata merge` would meet it first; files the bulk view does not
// take (.profdata, other variants) are read whole there, and also placed
// into their context's sums. The order of insertion is the order
// llvm-profdata would use, so the written file is the same, byte for byte.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/Compiler.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>
#include <set>
#include <unistd.h>

using namespace llvm;
namespace fs = llvm::sys::fs;

namespace covlock {
namespace merge {

/// Writes, in the files' order, as llvm-profdata would meet them: into each
/// label's profile when profiles are wanted (the sums of \p Aggregates in
/// place of each layout's counters, at the label's first profile of that
/// layout), and the files read whole into their contexts.
void Merger::writeInOrder(
    std::map<std::string, std::unique_ptr<InstrProfWriter>> &Profiles,
    const std::vector<LabelSums> &Aggregates) {
  LabelSums Total;
  for (const LabelSums &A : Aggregates)
    for (auto &[Key, S] : A)
      addSums(Total[Key], S);
  auto ProfileOf = [&](const Unit &U) -> InstrProfWriter * {
    if (!Opts.WantProfile)
      return nullptr;
    std::unique_ptr<InstrProfWriter> &W = Profiles[U.Ctx->C.Label];
    if (!W)
      W = std::make_unique<InstrProfWriter>();
    return W.get();
  };
  std::set<std::pair<std::string, Layout *>> Fed;
  for (auto &U : Units) {
    if (U->State == Unit::Other) {
      readWhole(*U, ProfileOf(*U));
      continue;
    }
    if (U->State != Unit::Bulk || !Opts.WantProfile || U->L->Rejected ||
        !Fed.insert({U->Ctx->C.Label, U->L}).second)
      continue;
    const Sums &S = Total[{U->Ctx->C.Label, U->L}];
    if (S.Saturated)
      warn(fileError(U->Path, "counter overflow: sums saturated"));
    if (Error E = feedLayout(*ProfileOf(*U), *U->L, S)) {
      std::string Msg = messageOf(std::move(E));
      U->L->Rejected = true;
      for (auto &V : Units)
        if (V->State == Unit::Bulk && V->L == U->L)
          markBad(*V, "unreadable", Msg);
    }
  }
}

Error Merger::feedLayout(InstrProfWriter &W, Layout &L, const Sums &S) {
  // The layout's first profile with the sums in place of its counters.
  const RawProfileView &V = L.View;
  std::unique_ptr<WritableMemoryBuffer> Copy =
      WritableMemoryBuffer::getNewUninitMemBuffer(V.Buffer.size(),
                                                  L.Ref->getBufferIdentifier());
  std::memcpy(Copy->getBufferStart(), V.Buffer.data(), V.Buffer.size());
  if (!S.Counters.empty())
    std::memcpy(Copy->getBufferStart() + V.CountersOffset, S.Counters.data(),
                S.Counters.size() * sizeof(uint64_t));
  if (!S.Bitmap.empty())
    std::memcpy(Copy->getBufferStart() + V.BitmapOffset, S.Bitmap.data(),
                S.Bitmap.size());
  auto Reader = InstrProfReader::create(std::move(Copy));
  if (!Reader)
    return Reader.takeError();
  if (Error E = W.mergeProfileKind((*Reader)->getProfileKind())) {
    consumeError(std::move(E));
    return createStringError(inconvertibleErrorCode(),
                             "cannot merge IR and front-end profiles");
  }
  for (NamedInstrProfRecord &R : **Reader)
    W.addRecord(std::move(R), 1, [&](Error E) { consumeError(std::move(E)); });
  if (Error E = (*Reader)->getError())
    return E;
  std::vector<object::BuildID> Ids;
  if (Error E = (*Reader)->readBinaryIds(Ids))
    return E;
  W.addBinaryIds(Ids);
  return Error::success();
}

/// Reads the unit with LLVM's reader in a process of its own (see
/// MergeOptions::IsolatedReader), which writes what it read as a new
/// indexed profile at \p Clean: LLVM's writer made that file, so reading it
/// here is safe whatever the input held. Returns why not, if it failed.
static std::optional<std::string>
readInIsolation(StringRef Reader, const Unit &U, SmallVectorImpl<char> &Clean) {
  SmallString<128> Err;
  int FD;
  if (sys::fs::createTemporaryFile("covmerge-clean", "profdata", FD, Clean) ||
      sys::fs::createTemporaryFile("covmerge-read", "err", Err))
    return std::string("cannot create a temporary file");
  ::close(FD);
  auto RemoveErr = make_scope_exit([&] { sys::fs::remove(Err); });
  std::string Offset = std::to_string(U.Offset), Size = std::to_string(U.Size);
  StringRef CleanRef(Clean.data(), Clean.size());
  StringRef Args[] = {Reader, "__read-profile", U.Path, Offset, Size, CleanRef};
  std::optional<StringRef> Redirects[] = {StringRef(""), StringRef(""),
                                          StringRef(Err)};
  std::string Message;
  // Bounded in time and memory: a damaged size field must not be allowed
  // to exhaust the machine either. (Not in memory in an AddressSanitizer
  // build, whose shadow mappings alone exceed any such limit.)
  int Status =
      sys::ExecuteAndWait(Reader, Args, std::nullopt, Redirects,
                          /*SecondsToWait=*/120,
                          /*MemoryLimit=*/
                          LLVM_ADDRESS_SANITIZER_BUILD ? 0 : 4096, &Message);
  if (Status == 0)
    return std::nullopt;
  sys::fs::remove(CleanRef);
  if (Status == IsolatedReaderRejected) { // LLVM's reader said why
    auto Text = MemoryBuffer::getFile(Err);
    if (Text && !(*Text)->getBuffer().trim().empty())
      return (*Text)->getBuffer().trim().str();
  }
  return "LLVM's profile reader fails on it (" +
         (Message.empty() ? "status " + std::to_string(Status) : Message) +
         "): a damaged profile";
}

/// What is wrong with an indexed profile's header, from what LLVM's reader
/// would trust without checking: its version (only those of LLVM 16 to 19,
/// whose headers this knows), the offsets of its sections, which must lie
/// in the file, and the size of its summary. std::nullopt if \p Buffer is not
/// an indexed profile or its header is sound.
static std::optional<std::string> checkIndexedHeader(StringRef Buffer) {
  if (Buffer.size() < 8 ||
      support::endian::read64le(Buffer.data()) != IndexedInstrProf::Magic)
    return std::nullopt;
  if (Buffer.size() < 9 * 8)
    return std::string("indexed profile header truncated");
  auto Field = [&](unsigned I) {
    return support::endian::read64le(Buffer.data() + I * 8);
  };
  uint64_t Version = GET_VERSION(Field(1));
  if (Version < IndexedInstrProf::Version10 ||
      Version > IndexedInstrProf::CurrentVersion)
    return "indexed profile version " + std::to_string(Version) +
           ", not one LLVM 16 to 19 writes (10 to 12)";
  // HashOffset, MemProfOffset, BinaryIdOffset, TemporalProfTracesOffset,
  // and from version 12 VTableNamesOffset: 0 (absent) or inside the file.
  unsigned Last = Version >= 12 ? 8 : 7;
  for (unsigned I = 4; I <= Last; ++I)
    if ((Field(I) || I == 4) &&
        (Field(I) < Last * 8 + 8 || Field(I) >= Buffer.size()))
      return "indexed profile header: section offset " +
             std::to_string(Field(I)) + " outside the file";
  // The summary (two with a context-sensitive profile) follows the header;
  // the reader copies it by the sizes it states.
  uint64_t At = Last * 8 + 8;
  bool CS = Field(1) & VARIANT_MASK_CSIR_PROF;
  for (int I = 0, N = CS ? 2 : 1; I != N; ++I) {
    if (Buffer.size() - At < 16)
      return std::string("indexed profile summary truncated");
    uint64_t Fields = support::endian::read64le(Buffer.data() + At);
    uint64_t Entries = support::endian::read64le(Buffer.data() + At + 8);
    // A few dozen of each in any real profile; bounded so that the size
    // below (32-bit in LLVM) cannot wrap.
    if (Fields > 4096 || Entries > 4096)
      return std::string("indexed profile summary of an impossible size");
    uint64_t Size = IndexedInstrProf::Summary::getSize(Fields, Entries);
    if (Size > Buffer.size() - At)
      return std::string("indexed profile summary runs past the file");
    At += Size;
  }
  return std::nullopt;
}

void Merger::readWhole(Unit &U, InstrProfWriter *W) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buf = readUnit(U);
  if (!Buf) {
    markBad(U, "unreadable", Buf.getError().message());
    return;
  }
  std::optional<std::string> Why = checkIndexedHeader((*Buf)->getBuffer());
  SmallString<128> Clean;
  auto RemoveClean = make_scope_exit([&] {
    if (!Clean.empty())
      sys::fs::remove(Clean);
  });
  if (!Why && !Opts.IsolatedReader.empty()) {
    Why = readInIsolation(Opts.IsolatedReader, U, Clean);
    if (!Why) {
      Buf = MemoryBuffer::getFile(Clean, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
      if (!Buf)
        Why = "cannot read the checked copy: " + Buf.getError().message();
    }
  }
  if (Why) {
    markBad(U, "unreadable", *Why);
    return;
  }
  auto Reader = InstrProfReader::create(std::move(*Buf));
  if (!Reader) {
    markBad(U, "unreadable", messageOf(Reader.takeError()));
    return;
  }
  // All of it or nothing: a file that turns out corrupt half-way adds
  // nothing.
  std::vector<NamedInstrProfRecord> Records;
  for (NamedInstrProfRecord &R : **Reader) {
    if (!isStorableHash(R.Hash)) {
      markBad(U, "unreadable",
              "function " + R.Name + " has hash " + utohexstr(R.Hash) +
                  ", which no profile can hold (a damaged file)");
      return;
    }
    Records.push_back(std::move(R));
  }
  if (Error E = (*Reader)->getError()) {
    markBad(U, "unreadable", messageOf(std::move(E)));
    return;
  }
  std::vector<object::BuildID> Ids;
  if (Error E = (*Reader)->readBinaryIds(Ids)) {
    markBad(U, "unreadable", messageOf(std::move(E)));
    return;
  }

  if (Opts.WantContexts) {
    // Into the context's dense sums, by name and hash, in the layout of
    // the same binary.
    Layout *Target = nullptr;
    uint64_t Found = 0;
    for (auto &L : Registry.layouts()) {
      if (L->Rejected)
        continue;
      uint64_t N = 0;
      for (NamedInstrProfRecord &R : Records)
        N += L->ByName.count({IndexedInstrProf::ComputeHash(R.Name), R.Hash});
      if (N > Found) {
        Found = N;
        Target = L.get();
      }
    }
    if (!Target) {
      markBad(U, "mismatch",
              "no raw profile of the same binary was merged, so its counts "
              "cannot be placed; merge its binary's raw profiles too");
      return;
    }
    Sums &S = U.Ctx->PerLayout[Target];
    S.densify();
    S.Counters.resize(Target->View.NumCounters);
    S.Bitmap.resize(Target->View.NumBitmapBytes);
    uint64_t Unplaced = 0;
    for (NamedInstrProfRecord &R : Records) {
      auto It =
          Target->ByName.find({IndexedInstrProf::ComputeHash(R.Name), R.Hash});
      if (It == Target->ByName.end()) {
        ++Unplaced;
        continue;
      }
      const LayoutFunction &F = Target->Functions[It->second];
      if (F.NumCounters != R.Counts.size()) {
        ++Unplaced;
        continue;
      }
      S.Saturated |= addCounters(S.Counters.data() + F.FirstCounter,
                                 R.Counts.data(), F.NumCounters);
      if (R.BitmapBytes.size() == F.NumBitmapBytes)
        orBitmap(S.Bitmap.data() + F.FirstBitmapByte, R.BitmapBytes.data(),
                 F.NumBitmapBytes);
    }
    if (Opts.SparseContexts)
      S.sparsify();
    if (Unplaced) {
      U.Ctx->C.Problems.push_back(
          {"mismatch", U.Path,
           std::to_string(Unplaced) +
               " functions are not in the binary's layout and were left out"});
      warn(fileError(U.Path, Twine(Unplaced) +
                                 " functions are not in the "
                                 "layout of " +
                                 Target->BinaryPath + " and were left out"));
    }
  }

  if (W) {
    if (Error E = W->mergeProfileKind((*Reader)->getProfileKind())) {
      consumeError(std::move(E));
      markBad(U, "unreadable", "cannot merge IR and front-end profiles");
      return;
    }
    for (NamedInstrProfRecord &R : Records)
      W->addRecord(std::move(R), 1,
                   [&](Error E) { consumeError(std::move(E)); });
    W->addBinaryIds(Ids);
  }
  U.State = Unit::Other;
}

} // namespace merge

Error writeIndexedProfile(InstrProfWriter &Writer, StringRef Path) {
  std::string Tmp = (Path + ".tmp." + Twine(::getpid())).str();
  {
    // A new file, never one a link planted at this predictable name leads
    // to: whatever is there goes, and O_EXCL refuses a link put back.
    fs::remove(Tmp);
    int FD;
    if (std::error_code EC =
            fs::openFileForWrite(Tmp, FD, fs::CD_CreateNew, fs::OF_None))
      return createFileError(Path, EC);
    raw_fd_ostream OS(FD, /*shouldClose=*/true);
    if (Error E = Writer.write(OS)) {
      fs::remove(Tmp);
      return createFileError(Path, std::move(E));
    }
    OS.close();
    if (OS.has_error()) {
      std::error_code WEC = OS.error();
      OS.clear_error();
      fs::remove(Tmp);
      return createFileError(Path, WEC);
    }
  }
  if (std::error_code EC = fs::rename(Tmp, Path)) {
    fs::remove(Tmp);
    return createFileError(Path, EC);
  }
  return Error::success();
}

} // namespace covlock
