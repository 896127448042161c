//===- RawProfile.cpp - Raw profiles read in bulk -------------------------===//
//
// The offsets follow the raw format as compiler-rt 19 writes it and
// RawInstrProfReader reads it (llvm/ProfileData/InstrProfData.inc):
//
//   header (16 x uint64) | binary ids | data | pad | counters | pad |
//   bitmap bytes | pad | names | pad-to-8 | vtables | vnames | pad | values
//
//===----------------------------------------------------------------------===//

#include "covlock/Merge/RawProfile.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/xxhash.h"
#include <cstring>

using namespace llvm;

namespace covlock {

namespace {
// Header field indices of raw version 10.
enum HeaderField {
  HMagic,
  HVersion,
  HBinaryIdsSize,
  HNumData,
  HPaddingBytesBeforeCounters,
  HNumCounters,
  HPaddingBytesAfterCounters,
  HNumBitmapBytes,
  HPaddingBytesAfterBitmapBytes,
  HNamesSize,
  HCountersDelta,
  HBitmapDelta,
  HNamesDelta,
  HNumVTables,
  HVNamesSize,
  HValueKindLast,
  NumHeaderFields
};
constexpr size_t HeaderSize = NumHeaderFields * sizeof(uint64_t);

// (255 << 56 | 'l' << 48 | 'p' << 40 | 'r' << 32 | 'o' << 24 | 'f' << 16 |
//  'r' << 8 | 129), the 64-bit raw magic, and its 32-bit sibling ('R').
constexpr uint64_t Magic64 = 0xff6c70726f667281ULL;
constexpr uint64_t Magic32 = 0xff6c70726f665281ULL;

// Variant flags in the version's high byte that leave the counters plain
// 8-byte counts and the sections where the bulk path expects them.
constexpr uint64_t VariantMask = 0xffULL << 56;
constexpr uint64_t IRProf = 1ULL << 56, CSIRProf = 1ULL << 57,
                   InstrEntry = 1ULL << 58, FunctionEntryOnly = 1ULL << 61;
constexpr uint64_t BulkVariants =
    IRProf | CSIRProf | InstrEntry | FunctionEntryOnly;

// Byte ranges of a data record that do not depend on where the process was
// loaded: all but FunctionPointer and Values ([32, 48)).
constexpr size_t StableHead = 32, StableTailBegin = 48;

uint64_t field(StringRef Buffer, HeaderField F) {
  return support::endian::read64le(Buffer.data() + F * sizeof(uint64_t));
}

size_t padTo8(uint64_t N) { return (8 - N % 8) % 8; }

/// A + B * C within Limit, or false.
bool addSize(uint64_t &Acc, uint64_t N, uint64_t Limit) {
  if (N > Limit || Acc > Limit - N)
    return false;
  Acc += N;
  return true;
}
/// Where a raw profile's sections are, from its header alone: every section
/// must end within Limit bytes of the header's start.
struct RawSections {
  uint64_t DataOffset, CountersOffset, BitmapOffset, NamesOffset, End;
};

std::optional<RawSections> sectionsOf(StringRef Header, uint64_t Limit) {
  uint64_t NumData = field(Header, HNumData);
  uint64_t NumCounters = field(Header, HNumCounters);
  uint64_t BinaryIdsSize = field(Header, HBinaryIdsSize);
  if (BinaryIdsSize % 8 || NumData > Limit / RawDataRecordSize ||
      NumCounters > Limit / 8)
    return std::nullopt;
  RawSections S;
  uint64_t Off = HeaderSize;
  if (!addSize(Off, BinaryIdsSize, Limit))
    return std::nullopt;
  S.DataOffset = Off;
  if (!addSize(Off, NumData * RawDataRecordSize, Limit) ||
      !addSize(Off, field(Header, HPaddingBytesBeforeCounters), Limit))
    return std::nullopt;
  S.CountersOffset = Off;
  if (!addSize(Off, NumCounters * 8, Limit) ||
      !addSize(Off, field(Header, HPaddingBytesAfterCounters), Limit))
    return std::nullopt;
  S.BitmapOffset = Off;
  if (!addSize(Off, field(Header, HNumBitmapBytes), Limit) ||
      !addSize(Off, field(Header, HPaddingBytesAfterBitmapBytes), Limit))
    return std::nullopt;
  S.NamesOffset = Off;
  uint64_t NamesSize = field(Header, HNamesSize);
  if (!addSize(Off, NamesSize, Limit) ||
      !addSize(Off, padTo8(NamesSize), Limit))
    return std::nullopt;
  S.End = Off;
  return S;
}
} // namespace

std::vector<RawProfileSlice> splitRawProfiles(StringRef Path) {
  std::vector<RawProfileSlice> Slices;
  Expected<sys::fs::file_t> F = sys::fs::openNativeFileForRead(Path);
  if (!F) {
    consumeError(F.takeError());
    return Slices;
  }
  sys::fs::file_status St;
  char Header[HeaderSize];
  if (!sys::fs::status(*F, St) && sys::fs::is_regular_file(St)) {
    uint64_t Size = St.getSize();
    for (uint64_t Off = 0; Off < Size;) {
      Expected<size_t> N = sys::fs::readNativeFileSlice(
          *F, MutableArrayRef<char>(Header, HeaderSize), Off);
      if (!N || *N != HeaderSize) {
        if (!N)
          consumeError(N.takeError());
        Slices.clear();
        break;
      }
      StringRef H(Header, HeaderSize);
      std::optional<RawSections> S;
      if (field(H, HMagic) == Magic64 && !field(H, HNumVTables) &&
          !field(H, HVNamesSize))
        S = sectionsOf(H, Size - Off);
      // Anything but whole raw profiles one after another: not ours to
      // split (value data follows its profile, for instance).
      if (!S) {
        Slices.clear();
        break;
      }
      Slices.push_back({Off, S->End});
      Off += S->End;
    }
  }
  sys::fs::closeFile(*F);
  return Slices;
}

bool looksLikeRawProfile(StringRef Buffer) {
  if (Buffer.size() < sizeof(uint64_t))
    return false;
  uint64_t M = support::endian::read64le(Buffer.data());
  return M == Magic64 || M == Magic32 || byteswap(M) == Magic64 ||
         byteswap(M) == Magic32;
}

std::optional<RawProfileView> viewRawProfile(StringRef Buffer) {
  if (Buffer.size() < HeaderSize || field(Buffer, HMagic) != Magic64)
    return std::nullopt;
  RawProfileView V;
  V.Buffer = Buffer;
  V.Version = field(Buffer, HVersion);
  if ((V.Version & ~VariantMask) != RawProfileVersion ||
      (V.Version & VariantMask & ~BulkVariants))
    return std::nullopt;
  if (field(Buffer, HNumVTables) || field(Buffer, HVNamesSize))
    return std::nullopt;
  uint64_t Size = Buffer.size();
  V.NumData = field(Buffer, HNumData);
  V.NumCounters = field(Buffer, HNumCounters);
  V.NumBitmapBytes = field(Buffer, HNumBitmapBytes);
  V.CountersDelta = field(Buffer, HCountersDelta);
  V.BitmapDelta = field(Buffer, HBitmapDelta);
  // The profile must end exactly at the buffer's end: anything after it is
  // value data or another profile.
  std::optional<RawSections> S = sectionsOf(Buffer, Size);
  if (!S || S->End != Size || S->CountersOffset % 8)
    return std::nullopt;
  V.CountersOffset = S->CountersOffset;
  V.BitmapOffset = S->BitmapOffset;
  uint64_t BinaryIdsSize = field(Buffer, HBinaryIdsSize);
  uint64_t NamesSize = field(Buffer, HNamesSize);
  uint64_t BinaryIdsOffset = HeaderSize, DataOffset = S->DataOffset,
           NamesOffset = S->NamesOffset;
  V.BinaryIds = Buffer.substr(BinaryIdsOffset, BinaryIdsSize);
  V.Data = Buffer.substr(DataOffset, V.NumData * RawDataRecordSize);
  V.Names = Buffer.substr(NamesOffset, NamesSize);
  // Value profile data follows records with value sites; the bulk path has
  // no place for it. (Coverage builds have none.)
  for (uint64_t I = 0; I < V.NumData; ++I) {
    const char *R = V.Data.data() + I * RawDataRecordSize;
    if (support::endian::read16le(R + 52) | support::endian::read16le(R + 54) |
        support::endian::read16le(R + 56))
      return std::nullopt;
  }
  return V;
}

std::string RawProfileView::firstBinaryId() const {
  if (BinaryIds.size() < 8)
    return "";
  uint64_t Len = support::endian::read64le(BinaryIds.data());
  if (Len > BinaryIds.size() - 8)
    return "";
  return toHex(BinaryIds.substr(8, Len), /*LowerCase=*/true);
}

bool haveSameLayout(const RawProfileView &A, const RawProfileView &B) {
  // Header: every field but the absolute addresses. BitmapDelta is relative
  // when there is a bitmap, and a process address when there is none.
  for (HeaderField F :
       {HMagic, HVersion, HBinaryIdsSize, HNumData, HPaddingBytesBeforeCounters,
        HNumCounters, HPaddingBytesAfterCounters, HNumBitmapBytes,
        HPaddingBytesAfterBitmapBytes, HNamesSize, HCountersDelta, HNumVTables,
        HVNamesSize, HValueKindLast})
    if (field(A.Buffer, F) != field(B.Buffer, F))
      return false;
  if (A.NumBitmapBytes && A.BitmapDelta != B.BitmapDelta)
    return false;
  if (A.BinaryIds != B.BinaryIds || A.Names != B.Names ||
      A.Data.size() != B.Data.size())
    return false;
  // Word by word, without a branch per record: this runs for every
  // profile, over every function of the binary.
  static_assert(StableHead == 32 && StableTailBegin == 48 &&
                    RawDataRecordSize == 64,
                "the words compared below");
  const char *PA = A.Data.data(), *PB = B.Data.data();
  uint64_t Diff = 0;
  for (uint64_t I = 0; I < A.NumData;
       ++I, PA += RawDataRecordSize, PB += RawDataRecordSize)
    for (size_t W : {0, 1, 2, 3, 6, 7})
      Diff |= support::endian::read64le(PA + 8 * W) ^
              support::endian::read64le(PB + 8 * W);
  return Diff == 0;
}

uint64_t layoutKey(const RawProfileView &V) {
  uint64_t Key =
      hash_combine(V.Version, V.NumData, V.NumCounters, V.NumBitmapBytes,
                   V.CountersDelta, V.Names.size());
  // The binary ids and a short stretch of the names tell binaries apart
  // cheaply; haveSameLayout() decides.
  Key =
      hash_combine(Key, xxh3_64bits(arrayRefFromStringRef(V.BinaryIds)),
                   xxh3_64bits(arrayRefFromStringRef(V.Names.take_front(64))));
  return Key;
}

std::optional<RawDataRecord> decodeDataRecord(const RawProfileView &V,
                                              uint64_t I) {
  const char *R = V.Data.data() + I * RawDataRecordSize;
  RawDataRecord D;
  D.NameRef = support::endian::read64le(R);
  D.FuncHash = support::endian::read64le(R + 8);
  uint64_t CounterPtr = support::endian::read64le(R + 16);
  uint64_t BitmapPtr = support::endian::read64le(R + 24);
  D.NumCounters = support::endian::read32le(R + 48);
  D.NumBitmapBytes = support::endian::read32le(R + 60);
  // Pointers are relative to the record itself: the header's deltas shrink
  // by one record per record, as RawInstrProfReader computes them.
  uint64_t Shift = I * RawDataRecordSize;
  int64_t CounterOffset = int64_t(CounterPtr - (V.CountersDelta - Shift));
  if (CounterOffset < 0 || CounterOffset % 8 ||
      uint64_t(CounterOffset) / 8 + D.NumCounters > V.NumCounters)
    return std::nullopt;
  D.FirstCounter = uint64_t(CounterOffset) / 8;
  if (D.NumBitmapBytes) {
    int64_t BitmapOffset = int64_t(BitmapPtr - (V.BitmapDelta - Shift));
    if (BitmapOffset < 0 ||
        uint64_t(BitmapOffset) + D.NumBitmapBytes > V.NumBitmapBytes)
      return std::nullopt;
    D.FirstBitmapByte = uint64_t(BitmapOffset);
  }
  return D;
}

bool addCounters(uint64_t *Dst, const uint64_t *Src, size_t N) {
  uint64_t Saturated = 0;
  for (size_t I = 0; I < N; ++I) {
    uint64_t S = Dst[I] + Src[I];
    uint64_t Over = -uint64_t(S < Dst[I]);
    Saturated |= Over;
    Dst[I] = S | Over;
  }
  return Saturated != 0;
}

void orBitmap(uint8_t *Dst, const uint8_t *Src, size_t N) {
  for (size_t I = 0; I < N; ++I)
    Dst[I] |= Src[I];
}

} // namespace covlock
