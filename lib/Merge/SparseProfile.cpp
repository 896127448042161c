//===- SparseProfile.cpp - A layout's counts as a sparse raw profile ------===//
//
// A pack stores one binary's counts as a raw profile of that binary that
// holds only the functions with a count or a bitmap bit: a stock raw
// profile (llvm-profdata and llvm-cov read it as they read any), whose data
// records, counters, bitmap bytes and names are those functions' alone. The
// whole layout (every function, for the covdb and the aggregate) is kept
// once per binary as a zero-count copy of one of its profiles.
//
// Offsets are file-relative: the counter and bitmap deltas of the header
// are where those sections start, counted from the data section, so each
// record's pointers are what RawInstrProfReader and decodeDataRecord()
// compute them from.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/Support/Compression.h"
#include "llvm/Support/Endian.h"
#include <cstring>

using namespace llvm;

namespace covlock {
namespace merge {

namespace {
constexpr size_t HeaderFields = 16, HeaderSize = HeaderFields * 8;
// Header fields the sparse profile sets itself (raw version 10).
enum : size_t {
  HNumData = 3,
  HPaddingBytesBeforeCounters = 4,
  HNumCounters = 5,
  HPaddingBytesAfterCounters = 6,
  HNumBitmapBytes = 7,
  HPaddingBytesAfterBitmapBytes = 8,
  HNamesSize = 9,
  HCountersDelta = 10,
  HBitmapDelta = 11,
};
// Data record fields.
constexpr size_t RCounterPtr = 16, RBitmapPtr = 24, RFunctionPointer = 32,
                 RValues = 40;

size_t padTo8(uint64_t N) { return (8 - N % 8) % 8; }

void put64(std::string &Out, size_t At, uint64_t V) {
  support::endian::write64le(&Out[At], V);
}
} // namespace

std::string zeroedLayoutProfile(const Layout &L) {
  std::string Out = L.View.Buffer.str();
  std::memset(&Out[L.View.CountersOffset], 0, L.View.NumCounters * 8);
  std::memset(&Out[L.View.BitmapOffset], 0, L.View.NumBitmapBytes);
  // The writer's addresses say nothing about the binary.
  size_t Data = L.View.Data.data() - L.View.Buffer.data();
  for (uint64_t I = 0; I < L.View.NumData; ++I) {
    put64(Out, Data + I * RawDataRecordSize + RFunctionPointer, 0);
    put64(Out, Data + I * RawDataRecordSize + RValues, 0);
  }
  return Out;
}

Expected<std::string> writeSparseProfile(const Layout &L,
                                         const uint64_t *Counters,
                                         const uint8_t *Bitmap) {
  // The functions with anything to say, in the layout's order. (ORs
  // without early exits: this loop runs over the whole binary.)
  std::vector<unsigned> Kept;
  std::vector<std::string> Names;
  uint64_t NumCounters = 0, NumBitmapBytes = 0;
  for (unsigned I = 0, E = L.Functions.size(); I != E; ++I) {
    const LayoutFunction &F = L.Functions[I];
    uint64_t Or = 0;
    for (uint32_t C = 0; C < F.NumCounters; ++C)
      Or |= Counters[F.FirstCounter + C];
    for (uint32_t B = 0; B < F.NumBitmapBytes; ++B)
      Or |= Bitmap[F.FirstBitmapByte + B];
    bool Any = Or != 0;
    // A profile of nothing but zeros still says that the binary ran: its
    // last function stands for it (LLVM's reader takes no empty profile).
    if (!Any && !(I + 1 == E && Kept.empty()))
      continue;
    Kept.push_back(I);
    Names.push_back(F.Name);
    NumCounters += F.NumCounters;
    NumBitmapBytes += F.NumBitmapBytes;
  }
  std::string NameSection;
  // Compressed as the runtime compresses them: names are a sixth of a
  // sparse profile otherwise.
  if (Error E = collectGlobalObjectNameStrings(
          Names, compression::zlib::isAvailable(), NameSection))
    return std::move(E);

  const RawProfileView &V = L.View;
  uint64_t DataOffset = HeaderSize + V.BinaryIds.size();
  uint64_t CountersOffset = DataOffset + Kept.size() * RawDataRecordSize;
  uint64_t BitmapOffset = CountersOffset + NumCounters * 8;
  uint64_t NamesOffset = BitmapOffset + NumBitmapBytes + padTo8(NumBitmapBytes);
  uint64_t End = NamesOffset + NameSection.size() + padTo8(NameSection.size());

  std::string Out(End, '\0');
  std::memcpy(&Out[0], V.Buffer.data(), HeaderSize);
  put64(Out, HNumData * 8, Kept.size());
  put64(Out, HPaddingBytesBeforeCounters * 8, 0);
  put64(Out, HNumCounters * 8, NumCounters);
  put64(Out, HPaddingBytesAfterCounters * 8, 0);
  put64(Out, HNumBitmapBytes * 8, NumBitmapBytes);
  put64(Out, HPaddingBytesAfterBitmapBytes * 8, padTo8(NumBitmapBytes));
  put64(Out, HNamesSize * 8, NameSection.size());
  uint64_t CountersDelta = CountersOffset - DataOffset;
  uint64_t BitmapDelta = BitmapOffset - DataOffset;
  put64(Out, HCountersDelta * 8, CountersDelta);
  put64(Out, HBitmapDelta * 8, BitmapDelta);
  std::memcpy(&Out[HeaderSize], V.BinaryIds.data(), V.BinaryIds.size());
  std::memcpy(&Out[NamesOffset], NameSection.data(), NameSection.size());

  uint64_t Counter = 0, BitmapByte = 0;
  for (size_t K = 0; K != Kept.size(); ++K) {
    const LayoutFunction &F = L.Functions[Kept[K]];
    size_t Record = DataOffset + K * RawDataRecordSize;
    std::memcpy(&Out[Record], V.Data.data() + Kept[K] * RawDataRecordSize,
                RawDataRecordSize);
    // Pointers relative to the record itself, as the runtime writes them.
    uint64_t Shift = K * RawDataRecordSize;
    put64(Out, Record + RCounterPtr, CountersDelta - Shift + Counter * 8);
    put64(Out, Record + RBitmapPtr,
          F.NumBitmapBytes ? BitmapDelta - Shift + BitmapByte : 0);
    put64(Out, Record + RFunctionPointer, 0);
    put64(Out, Record + RValues, 0);
    std::memcpy(&Out[CountersOffset + Counter * 8], Counters + F.FirstCounter,
                F.NumCounters * 8);
    if (F.NumBitmapBytes)
      std::memcpy(&Out[BitmapOffset + BitmapByte], Bitmap + F.FirstBitmapByte,
                  F.NumBitmapBytes);
    Counter += F.NumCounters;
    BitmapByte += F.NumBitmapBytes;
  }
  return Out;
}

Error addSparseProfile(const Layout &L, const RawProfileView &V, Sums &S,
                       bool KeepSparse) {
  auto Malformed = [](const Twine &Why) {
    return make_error<InstrProfError>(instrprof_error::malformed, Why.str());
  };
  if (V.Version != L.View.Version || V.BinaryIds != L.View.BinaryIds)
    return Malformed("not a profile of its layout's binary (another version "
                     "or build id)");
  // Check every record before adding any: a damaged file adds nothing.
  std::vector<std::pair<const LayoutFunction *, RawDataRecord>> Records;
  BitVector Seen(L.Functions.size());
  for (uint64_t I = 0; I < V.NumData; ++I) {
    std::optional<RawDataRecord> D = decodeDataRecord(V, I);
    if (!D)
      return Malformed("data record " + Twine(I) +
                       ": counters or bitmap bytes outside their sections");
    // Hashes no layout holds are DenseMap's reserved keys: never looked up.
    auto It = isStorableHash(D->FuncHash)
                  ? L.ByName.find({D->NameRef, D->FuncHash})
                  : L.ByName.end();
    if (It == L.ByName.end())
      return Malformed("data record " + Twine(I) +
                       ": a function its binary does not have");
    const LayoutFunction &F = L.Functions[It->second];
    if (Seen.test(It->second) || F.NumCounters != D->NumCounters ||
        F.NumBitmapBytes != D->NumBitmapBytes)
      return Malformed("data record " + Twine(I) + " (" + F.Name +
                       "): twice, or not the binary's counters");
    Seen.set(It->second);
    Records.push_back({&F, *D});
  }
  bool Empty = !S.Sparse && S.Counters.empty() && S.Bitmap.empty();
  if (Empty && KeepSparse) {
    // Straight to the sparse form: a test's share of the binary, never the
    // whole binary's counters (those cost the tests times the functions).
    std::vector<std::pair<uint32_t, uint64_t>> NonZero;
    S.Bitmap.assign(L.View.NumBitmapBytes, 0);
    for (auto &[F, D] : Records) {
      for (uint32_t C = 0; C < F->NumCounters; ++C)
        if (uint64_t N = V.counters()[D.FirstCounter + C])
          NonZero.push_back({uint32_t(F->FirstCounter + C), N});
      orBitmap(S.Bitmap.data() + F->FirstBitmapByte,
               V.bitmap() + D.FirstBitmapByte, F->NumBitmapBytes);
    }
    llvm::sort(NonZero);
    for (auto &[Index, Count] : NonZero) {
      S.NonZero.push_back(Index);
      S.NonZeroCounts.push_back(Count);
    }
    S.NumCounters = L.View.NumCounters;
    S.Sparse = true;
    return Error::success();
  }
  S.densify();
  if (S.Counters.empty() && S.Bitmap.empty()) {
    S.Counters.assign(L.View.NumCounters, 0);
    S.Bitmap.assign(L.View.NumBitmapBytes, 0);
  }
  for (auto &[F, D] : Records) {
    S.Saturated |= addCounters(S.Counters.data() + F->FirstCounter,
                               V.counters() + D.FirstCounter, F->NumCounters);
    orBitmap(S.Bitmap.data() + F->FirstBitmapByte,
             V.bitmap() + D.FirstBitmapByte, F->NumBitmapBytes);
  }
  return Error::success();
}

} // namespace merge
} // namespace covlock
