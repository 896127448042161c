//===- covlock/Merge/RawProfile.h - Raw profiles read in bulk ---*- C++ -*-===//
//
// The raw profile format (version 10, 64-bit, little-endian) as far as the
// bulk merge needs it: where the sections of one profile lie and whether two
// profiles share a layout, so that their counter sections can be summed as
// arrays without any per-function work. Anything this view does not accept
// is read with LLVM's RawInstrProfReader instead (see Merge.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_MERGE_RAWPROFILE_H
#define COVLOCK_MERGE_RAWPROFILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace covlock {

/// The raw profile version the bulk path reads.
constexpr uint64_t RawProfileVersion = 10;

/// Size of one data record (__llvm_profile_data) of a 64-bit raw profile.
constexpr size_t RawDataRecordSize = 64;

/// The sections of one raw profile that the bulk path can sum: a single
/// 64-bit little-endian version-10 profile with 8-byte counters, no value
/// profile data, no virtual-table data and nothing after it.
struct RawProfileView {
  llvm::StringRef Buffer;
  uint64_t Version = 0; ///< including the variant flags
  uint64_t NumData = 0, NumCounters = 0, NumBitmapBytes = 0;
  uint64_t CountersDelta = 0, BitmapDelta = 0;
  llvm::StringRef BinaryIds; ///< the raw binary-ids section
  llvm::StringRef Data;      ///< NumData records
  llvm::StringRef Names;     ///< the (possibly compressed) names section
  size_t CountersOffset = 0; ///< NumCounters little-endian uint64 values
  size_t BitmapOffset = 0;   ///< NumBitmapBytes bytes

  /// The first binary id in hex, or "" if the profile has none.
  std::string firstBinaryId() const;

  const uint64_t *counters() const {
    return reinterpret_cast<const uint64_t *>(Buffer.data() + CountersOffset);
  }
  const uint8_t *bitmap() const {
    return reinterpret_cast<const uint8_t *>(Buffer.data() + BitmapOffset);
  }
};

/// Whether \p Buffer is a raw profile at all (either magic, any version).
bool looksLikeRawProfile(llvm::StringRef Buffer);

/// One raw profile of a file holding several (compiler-rt appends when
/// several modules of a process write one file, and llvm-profdata reads
/// such files): its byte range.
struct RawProfileSlice {
  uint64_t Offset = 0, Size = 0;
};

/// The raw profiles the file at \p Path holds one after another, from
/// their headers alone; empty if it is not exactly that (unreadable, not a
/// raw profile, value data, a truncated last profile).
std::vector<RawProfileSlice> splitRawProfiles(llvm::StringRef Path);

/// The bulk view of \p Buffer, or std::nullopt if the bulk path cannot take
/// it (another version or variant, value data, a truncated or malformed
/// file...). Callers then let LLVM's reader decide what it is.
std::optional<RawProfileView> viewRawProfile(llvm::StringRef Buffer);

/// Whether two viewable profiles have the same layout: equal header fields
/// (but the absolute addresses), binary ids, data records (but the
/// per-process function and value pointers) and names. Profiles of one
/// binary always do; only their counters and bitmap bytes differ.
bool haveSameLayout(const RawProfileView &A, const RawProfileView &B);

/// A cheap key that is equal for profiles of equal layout.
uint64_t layoutKey(const RawProfileView &V);

/// One data record, decoded.
struct RawDataRecord {
  uint64_t NameRef = 0, FuncHash = 0;
  uint64_t FirstCounter = 0; ///< index into the counters section
  uint32_t NumCounters = 0;
  uint64_t FirstBitmapByte = 0;
  uint32_t NumBitmapBytes = 0;
};

/// Record \p I of \p V (I < NumData); std::nullopt if its counters or bitmap
/// bytes lie outside the sections.
std::optional<RawDataRecord> decodeDataRecord(const RawProfileView &V,
                                              uint64_t I);

/// Saturating sums, as InstrProfRecord::merge adds counts: Dst += Src.
/// Returns whether any sum saturated.
/// Whether LLVM's InstrProfWriter can hold a function with hash \p Hash: it
/// keys functions by hash in a DenseMap, whose empty and tombstone keys
/// (~0 and ~0 - 1) a record must not have. Only a damaged profile has them.
inline bool isStorableHash(uint64_t Hash) { return Hash < ~uint64_t(0) - 1; }

bool addCounters(uint64_t *Dst, const uint64_t *Src, size_t N);
/// MC/DC bitmap bytes merge by OR.
void orBitmap(uint8_t *Dst, const uint8_t *Src, size_t N);

} // namespace covlock

#endif // COVLOCK_MERGE_RAWPROFILE_H
