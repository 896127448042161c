//===- Encoding.cpp - Blob encodings of the covdb -------------------------===//

#include "covlock/CovDB/Encoding.h"
#include "covlock/Merge/RawProfile.h"
#include "llvm/ADT/bit.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/LEB128.h"
#include <limits>

using namespace llvm;

namespace covlock {
namespace covdb {

static Error malformed(const char *What) {
  return createStringError(inconvertibleErrorCode(), "malformed %s blob", What);
}

namespace {
/// Bounds-checked ULEB128 reading.
struct Cursor {
  const uint8_t *P, *End;
  bool Bad = false;
  explicit Cursor(StringRef S) : P(S.bytes_begin()), End(S.bytes_end()) {}
  /// A ULEB128 value. Decoded here rather than with LLVM's decodeULEB128,
  /// which shifts by 64 or more (undefined) on a long run of 0x80 bytes, as
  /// a damaged blob may hold.
  uint64_t uleb() {
    if (Bad)
      return 0;
    uint64_t V = 0;
    for (unsigned Shift = 0; Shift < 64; Shift += 7) {
      if (P == End)
        break;
      uint64_t Slice = *P & 0x7f;
      if (Shift == 63 && Slice > 1)
        break;
      V |= Slice << Shift;
      if (!(*P++ & 0x80))
        return V;
    }
    Bad = true;
    return 0;
  }
  StringRef bytes(uint64_t N) {
    if (Bad || uint64_t(End - P) < N) {
      Bad = true;
      return {};
    }
    StringRef S(reinterpret_cast<const char *>(P), N);
    P += N;
    return S;
  }
  bool atEnd() const { return P == End; }
};

void uleb(std::string &S, uint64_t V) {
  uint8_t Buf[16];
  unsigned N = encodeULEB128(V, Buf);
  S.append(reinterpret_cast<const char *>(Buf), N);
}
} // namespace

std::string encodeBitmap(ArrayRef<uint32_t> Sorted) {
  std::string S;
  if (Sorted.empty())
    return S;
  std::string Plain(Sorted.back() / 8 + 1, '\0');
  for (uint32_t N : Sorted)
    Plain[N / 8] |= char(1u << (N % 8));
  // Chunks of non-zero bytes, joined across gaps of fewer than four zeros.
  size_t End = 0, I = 0;
  while (I < Plain.size()) {
    size_t Begin = I; // a non-zero byte
    size_t Last = I;
    for (size_t J = I + 1; J < Plain.size() && J - Last < 5; ++J)
      if (Plain[J])
        Last = J;
    uleb(S, Begin - End);
    uleb(S, Last + 1 - Begin);
    S.append(Plain, Begin, Last + 1 - Begin);
    End = Last + 1;
    for (I = End; I < Plain.size() && !Plain[I]; ++I)
      ;
  }
  return S;
}

/// Calls \p F(byte index, byte) for each stored byte; false if malformed.
template <typename Fn> static bool forEachByte(StringRef Blob, Fn F) {
  Cursor C(Blob);
  uint64_t Pos = 0;
  // Members are below MaxBitmapMember: a blob that claims more would only
  // make its readers allocate (32 times its size, decoded).
  constexpr uint64_t MaxBytes = MaxBitmapMember / 8;
  while (!C.atEnd()) {
    uint64_t Skip = C.uleb();
    if (C.Bad || Skip > MaxBytes - Pos)
      return false;
    Pos += Skip;
    StringRef Bytes = C.bytes(C.uleb());
    if (C.Bad || Bytes.size() > MaxBytes - Pos)
      return false;
    for (size_t K = 0; K != Bytes.size(); ++K)
      if (!F(Pos + K, uint8_t(Bytes[K])))
        return true;
    Pos += Bytes.size();
  }
  return true;
}

std::optional<std::vector<uint32_t>> decodeBitmapChecked(StringRef Blob) {
  std::vector<uint32_t> V;
  bool OK = forEachByte(Blob, [&](uint64_t I, uint8_t B) {
    for (; B; B &= B - 1)
      V.push_back(I * 8 + countr_zero(B));
    return true;
  });
  if (!OK)
    return std::nullopt;
  return V;
}

bool testBit(StringRef Blob, uint32_t N) {
  bool Set = false;
  forEachByte(Blob, [&](uint64_t I, uint8_t B) {
    if (I < N / 8)
      return true;
    Set = I == N / 8 && ((B >> (N % 8)) & 1);
    return false;
  });
  return Set;
}

std::optional<bool> testBitChecked(StringRef Blob, uint32_t N) {
  bool Set = false;
  if (!forEachByte(Blob, [&](uint64_t I, uint8_t B) {
        Set |= I == N / 8 && ((B >> (N % 8)) & 1);
        return true;
      }))
    return std::nullopt;
  return Set;
}

uint32_t countBits(StringRef Blob) {
  uint32_t N = 0;
  forEachByte(Blob, [&](uint64_t, uint8_t B) {
    N += popcount(B);
    return true;
  });
  return N;
}

std::optional<std::vector<uint32_t>>
intersectBitmapChecked(StringRef Blob, ArrayRef<LineRange> Ranges) {
  std::vector<uint32_t> V;
  const LineRange *R = Ranges.begin(), *End = Ranges.end();
  bool OK = forEachByte(Blob, [&](uint64_t I, uint8_t B) {
    // Skip the ranges that end before this byte, then the byte if no
    // range reaches it; the rest of the blob is still read (checked).
    while (R != End && uint64_t(R->Last) < I * 8)
      ++R;
    if (R == End || uint64_t(R->First) > I * 8 + 7)
      return true;
    for (; B; B &= B - 1) {
      uint64_t N = I * 8 + countr_zero(B);
      while (R != End && uint64_t(R->Last) < N)
        ++R;
      if (R != End && uint64_t(R->First) <= N)
        V.push_back(uint32_t(N));
    }
    return true;
  });
  if (!OK)
    return std::nullopt;
  return V;
}

std::string encodeRegions(ArrayRef<RegionSpan> Sorted) {
  std::string S;
  uleb(S, Sorted.size());
  uint32_t Prev = 0;
  for (const RegionSpan &R : Sorted) {
    uleb(S, R.LineStart - Prev);
    uleb(S, R.ColumnStart);
    uleb(S, R.LineEnd - R.LineStart);
    uleb(S, R.ColumnEnd);
    Prev = R.LineStart;
  }
  return S;
}

Expected<std::vector<RegionSpan>> decodeRegions(StringRef Blob) {
  Cursor C(Blob);
  uint64_t N = C.uleb();
  if (C.Bad || N > Blob.size())
    return malformed("regions");
  std::vector<RegionSpan> V(N);
  uint32_t Prev = 0;
  for (RegionSpan &R : V) {
    R.LineStart = Prev + C.uleb();
    R.ColumnStart = C.uleb();
    R.LineEnd = R.LineStart + C.uleb();
    R.ColumnEnd = C.uleb();
    Prev = R.LineStart;
  }
  if (C.Bad || !C.atEnd())
    return malformed("regions");
  return V;
}

std::string encodeFunctions(const BinaryLayout &Layout) {
  std::string S;
  uleb(S, Layout.Functions.size());
  for (const LayoutFunction &F : Layout.Functions) {
    uleb(S, F.Name.size());
    S += F.Name;
    char Hash[8];
    support::endian::write64le(Hash, F.Hash);
    S.append(Hash, 8);
    uleb(S, F.NumCounters);
    uleb(S, F.NumBitmapBytes);
  }
  return S;
}

Error decodeFunctions(StringRef Blob, BinaryLayout &Layout) {
  Cursor C(Blob);
  uint64_t N = C.uleb();
  if (C.Bad || N > Blob.size())
    return malformed("function table");
  Layout.Functions.clear();
  Layout.Functions.reserve(N);
  Layout.NumCounters = Layout.NumBitmapBytes = 0;
  for (uint64_t I = 0; I != N && !C.Bad; ++I) {
    LayoutFunction F;
    F.Name = C.bytes(C.uleb()).str();
    StringRef Hash = C.bytes(8);
    if (C.Bad)
      break;
    F.Hash = support::endian::read64le(Hash.data());
    // What LLVM's writer cannot hold (its hash map's reserved keys) or
    // would divide by (a function without counters) is not a function.
    if (!isStorableHash(F.Hash))
      return malformed("function table");
    F.NameRef = IndexedInstrProf::ComputeHash(F.Name);
    // Bounded before any sum, narrowing or allocation trusts them.
    uint64_t NumCounters = C.uleb(), NumBitmapBytes = C.uleb();
    if (NumCounters == 0 ||
        NumCounters > MaxLayoutCounters - Layout.NumCounters ||
        NumBitmapBytes > MaxLayoutBitmapBytes - Layout.NumBitmapBytes)
      return malformed("function table");
    F.NumCounters = NumCounters;
    F.NumBitmapBytes = NumBitmapBytes;
    F.FirstCounter = Layout.NumCounters;
    F.FirstBitmapByte = Layout.NumBitmapBytes;
    Layout.NumCounters += F.NumCounters;
    Layout.NumBitmapBytes += F.NumBitmapBytes;
    Layout.Functions.push_back(std::move(F));
  }
  if (C.Bad || !C.atEnd())
    return malformed("function table");
  return Error::success();
}

template <typename T> static void encodeNonZero(std::string &S, ArrayRef<T> V) {
  size_t N = 0;
  for (T X : V)
    N += X != 0;
  uleb(S, N);
  size_t Next = 0;
  for (size_t I = 0, E = V.size(); I != E; ++I) {
    if (!V[I])
      continue;
    uleb(S, I - Next);
    uleb(S, V[I]);
    Next = I + 1;
  }
}

template <typename T> static bool decodeNonZero(Cursor &C, std::vector<T> &V) {
  uint64_t N = C.uleb();
  if (N > V.size())
    return false;
  uint64_t Next = 0;
  for (uint64_t K = 0; K != N && !C.Bad; ++K) {
    uint64_t I = Next + C.uleb();
    uint64_t X = C.uleb();
    if (I >= V.size() || X > std::numeric_limits<T>::max())
      return false;
    V[I] = T(X);
    Next = I + 1;
  }
  return !C.Bad;
}

std::string encodeSparse(const CounterView &Counters,
                         ArrayRef<uint8_t> Bitmap) {
  std::string S;
  size_t N = 0;
  Counters.forEachNonZero([&](uint64_t, uint64_t) { ++N; });
  uleb(S, N);
  uint64_t Next = 0;
  Counters.forEachNonZero([&](uint64_t I, uint64_t V) {
    uleb(S, I - Next);
    uleb(S, V);
    Next = I + 1;
  });
  encodeNonZero(S, Bitmap);
  return S;
}

Error decodeSparse(StringRef Blob, const BinaryLayout &Layout,
                   std::vector<uint64_t> &Counters,
                   std::vector<uint8_t> &Bitmap) {
  Counters.assign(Layout.NumCounters, 0);
  Bitmap.assign(Layout.NumBitmapBytes, 0);
  Cursor C(Blob);
  if (!decodeNonZero(C, Counters) || !decodeNonZero(C, Bitmap) || !C.atEnd())
    return malformed("profile");
  return Error::success();
}

} // namespace covdb
} // namespace covlock
