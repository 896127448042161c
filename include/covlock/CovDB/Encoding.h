//===- covlock/CovDB/Encoding.h - Blob encodings of the covdb ------*- C++
//-*-===//
//
// The byte formats of the covdb's blobs (docs/covdb.md, "Blob encodings"):
// bitmaps of line numbers or region indices, region span lists, a binary's
// function table and a context's sparse counters.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_COVDB_ENCODING_H
#define COVLOCK_COVDB_ENCODING_H

#include "covlock/Attribution/Attribution.h"
#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace covlock {
namespace covdb {

/// A set of line numbers or region indices as a bitmap (bit N is bit N % 8,
/// least significant first, of byte N / 8) stored in chunks: a sequence of
/// (ULEB128 zero bytes skipped since the previous chunk, ULEB128 length,
/// that many bytes). Runs of four or more zero bytes are skipped, so a test
/// that covers a few functions of a long file costs bytes, not kilobytes.
/// An empty set is an empty blob.
std::string encodeBitmap(llvm::ArrayRef<uint32_t> Sorted);
/// Members are below 2^24 (no source file has 16 million lines, nor a file
/// that many regions): a blob whose members would reach it is malformed.
constexpr uint32_t MaxBitmapMember = uint32_t(1) << 24;
/// The members of \p Blob, ascending; std::nullopt if it is malformed.
std::optional<std::vector<uint32_t>> decodeBitmapChecked(llvm::StringRef Blob);
/// Whether \p N is a member (reading no further than it).
bool testBit(llvm::StringRef Blob, uint32_t N);
/// The same, reading the whole blob: std::nullopt if it is malformed.
std::optional<bool> testBitChecked(llvm::StringRef Blob, uint32_t N);
/// Number of members.
uint32_t countBits(llvm::StringRef Blob);
/// Lines First to Last, both included.
struct LineRange {
  uint32_t First, Last;
};
/// The members of \p Blob that lie in \p Ranges (ascending, disjoint), in
/// one pass over the blob and the ranges; std::nullopt if it is malformed.
std::optional<std::vector<uint32_t>>
intersectBitmapChecked(llvm::StringRef Blob, llvm::ArrayRef<LineRange> Ranges);

/// Region spans: count, then per span four ULEB128s, the start line as a
/// delta from the previous span's start line.
std::string encodeRegions(llvm::ArrayRef<RegionSpan> Sorted);
llvm::Expected<std::vector<RegionSpan>> decodeRegions(llvm::StringRef Blob);

/// A binary's function table: count, then per function its name (length +
/// bytes), hash (8 bytes little-endian), counters and bitmap bytes (ULEB128).
std::string encodeFunctions(const BinaryLayout &Layout);
/// The most counters and bitmap bytes a binary's function table may hold
/// (2^28 each, 2 GiB of counters: far beyond any real binary's). Readers
/// allocate them, so a table that claims more is malformed, not trusted.
constexpr uint64_t MaxLayoutCounters = uint64_t(1) << 28;
constexpr uint64_t MaxLayoutBitmapBytes = uint64_t(1) << 28;
/// Fills Functions, NumCounters and NumBitmapBytes of \p Layout; a table
/// over the bounds above, or with a function of no counters or of a hash
/// no indexed profile can hold (isStorableHash), is malformed.
llvm::Error decodeFunctions(llvm::StringRef Blob, BinaryLayout &Layout);

/// A context's non-zero counters and bitmap bytes against its binary's
/// layout: count, then (gap from the previous index + 1, value) pairs, once
/// for the counters and once for the bitmap bytes.
std::string encodeSparse(const CounterView &Counters,
                         llvm::ArrayRef<uint8_t> Bitmap);
llvm::Error decodeSparse(llvm::StringRef Blob, const BinaryLayout &Layout,
                         std::vector<uint64_t> &Counters,
                         std::vector<uint8_t> &Bitmap);

} // namespace covdb
} // namespace covlock

#endif // COVLOCK_COVDB_ENCODING_H
