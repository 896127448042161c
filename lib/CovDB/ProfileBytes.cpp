//===- ProfileBytes.cpp - Indexed profiles from covdb counters ------------===//

#include "ProfileBytes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/BuildID.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include <unistd.h>

using namespace llvm;

namespace covlock {

void CounterSum::add(const BinaryLayout &Layout, const CounterView &View,
                     ArrayRef<uint8_t> Bits) {
  if (Counters.empty() && Bitmap.empty()) {
    Counters.assign(Layout.NumCounters, 0);
    Bitmap.assign(Layout.NumBitmapBytes, 0);
  }
  View.forEachNonZero([&](uint64_t I, uint64_t V) {
    Counters[I] = SaturatingAdd(Counters[I], V);
  });
  for (size_t I = 0, N = std::min(Bits.size(), Bitmap.size()); I != N; ++I)
    Bitmap[I] |= Bits[I];
}

/// \p Writer as an indexed profile in memory. InstrProfWriter::writeBuffer
/// holds up to three times the profile's size while writing; this holds the
/// result only. The writer patches its header afterwards, so it needs a
/// seekable stream: an anonymous temporary file (TMPDIR), read back at its
/// size. Without a usable one, memory will do.
static Expected<std::string> indexedProfileBytes(InstrProfWriter &Writer) {
  auto InMemory = [&]() -> Expected<std::string> {
    std::unique_ptr<MemoryBuffer> Buffer = Writer.writeBuffer();
    if (!Buffer)
      return createStringError(std::make_error_code(std::errc::io_error),
                               "cannot write an indexed profile");
    return Buffer->getBuffer().str();
  };
  int FD;
  SmallString<128> Path;
  if (sys::fs::createTemporaryFile("covlock-label", "profdata", FD, Path))
    return InMemory();
  sys::fs::remove(Path); // anonymous from now on
  auto Close = make_scope_exit([&] { ::close(FD); });
  bool Failed;
  {
    raw_fd_ostream OS(FD, /*shouldClose=*/false);
    // An error of the profile itself is one in memory too.
    if (Error E = Writer.write(OS)) {
      OS.clear_error();
      return std::move(E);
    }
    OS.flush();
    Failed = OS.has_error();
    OS.clear_error();
  }
  off_t Size = Failed ? -1 : ::lseek(FD, 0, SEEK_END);
  if (Size < 0)
    return InMemory(); // e.g. no space for it
  std::string Bytes(Size, '\0');
  for (off_t Done = 0; Done < Size;) {
    ssize_t N = ::pread(FD, &Bytes[Done], Size - Done, Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return InMemory();
    Done += N;
  }
  return std::move(Bytes);
}

IndexedProfileBuilder::IndexedProfileBuilder()
    : Writer(std::make_unique<InstrProfWriter>()) {
  Err = Writer->mergeProfileKind(InstrProfKind::FrontendInstrumentation);
}

IndexedProfileBuilder::~IndexedProfileBuilder() {
  consumeError(std::move(Err));
}

void IndexedProfileBuilder::add(const BinaryLayout &Layout,
                                ArrayRef<uint64_t> Counters,
                                ArrayRef<uint8_t> Bitmap) {
  if (Err)
    return;
  // The binary's id, as llvm-profdata merge keeps those of raw profiles.
  if (!Layout.BinaryId.empty()) {
    std::string Bytes = fromHex(Layout.BinaryId);
    Writer->addBinaryIds(object::BuildID(Bytes.begin(), Bytes.end()));
  }
  for (const LayoutFunction &F : Layout.Functions) {
    if (F.FirstCounter + F.NumCounters > Counters.size())
      continue;
    std::vector<uint64_t> Counts(Counters.begin() + F.FirstCounter,
                                 Counters.begin() + F.FirstCounter +
                                     F.NumCounters);
    std::vector<uint8_t> Bytes(F.NumBitmapBytes, 0);
    if (F.FirstBitmapByte + F.NumBitmapBytes <= Bitmap.size())
      std::copy_n(Bitmap.begin() + F.FirstBitmapByte, F.NumBitmapBytes,
                  Bytes.begin());
    Writer->addRecord(
        NamedInstrProfRecord(F.Name, F.Hash, std::move(Counts),
                             std::move(Bytes)),
        1, [&](Error E) { Err = joinErrors(std::move(Err), std::move(E)); });
  }
}

Expected<std::string> IndexedProfileBuilder::take() {
  if (Err)
    return std::move(Err);
  return indexedProfileBytes(*Writer);
}

Error addOwnIndexedProfile(InstrProfWriter &Writer, StringRef Profile) {
  auto Reader = IndexedInstrProfReader::create(MemoryBuffer::getMemBuffer(
      Profile, "", /*RequiresNullTerminator=*/false));
  if (!Reader)
    return Reader.takeError();
  Error WriteErr = Error::success();
  for (NamedInstrProfRecord &R : **Reader)
    Writer.addRecord(std::move(R), 1, [&](Error E) {
      WriteErr = joinErrors(std::move(WriteErr), std::move(E));
    });
  std::vector<object::BuildID> Ids;
  Error E = (*Reader)->getError();
  if (!E)
    E = (*Reader)->readBinaryIds(Ids);
  if (E) {
    consumeError(std::move(WriteErr));
    return E;
  }
  Writer.addBinaryIds(Ids);
  return WriteErr;
}

Expected<std::string> sumOwnIndexedProfiles(ArrayRef<std::string> Profiles) {
  InstrProfWriter Writer;
  if (Error E = Writer.mergeProfileKind(InstrProfKind::FrontendInstrumentation))
    return std::move(E);
  for (const std::string &P : Profiles)
    if (Error E = addOwnIndexedProfile(Writer, P))
      return std::move(E);
  return indexedProfileBytes(Writer);
}

} // namespace covlock
