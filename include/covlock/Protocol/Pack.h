//===- covlock/Protocol/Pack.h - Packs: compacted flushes -------*- C++ -*-===//
//
// A pack, DIR/<key>/_c<N>.pack (protocol v3), stands for flush records of
// one key directory and their profiles: one sparse raw profile per binary
// (_c<N>.<K>.profraw, the sum of the absorbed profiles of that binary) and
// the records themselves, kept so that processes are still counted. It
// lists what it absorbed, so that a reader ignores what a compactor that
// was killed had not yet removed. docs/protocol.md, "Compaction", is the
// contract; this is its reader and writer.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_PROTOCOL_PACK_H
#define COVLOCK_PROTOCOL_PACK_H

#include "covlock/Protocol/Records.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace covlock {

/// One binary's sum in a pack.
struct PackProfile {
  std::string Profile; ///< _c<N>.<K>.profraw, beside the pack
  std::string Layout;  ///< its binary's layout file in DIR/.covlock/layouts
  std::string Path;    ///< the module, as the absorbed records name it
  std::optional<std::string> Label;    ///< the absorbed records' label
  std::optional<std::string> BinaryId; ///< GNU build id in hex, if any
  uint64_t Size = 0;                   ///< bytes of Profile
  /// The first (by name) raw profile this sum holds: the order in which a
  /// reader meets binaries stays that of the uncompacted directory.
  std::string First;
};

/// A flush record a pack absorbed, by its file name and its image's start:
/// a name alone could be a later image's (pid reuse).
struct AbsorbedRecord {
  std::string Name;
  int64_t Start = 0;
};

struct Pack {
  int Version = ProtocolVersion;
  uint64_t Number = 0; ///< N of _c<N>.pack
  std::vector<PackProfile> Profiles;
  /// Every flush record whose profiles the pack sums (those of the packs it
  /// absorbed too), under its original file name, in name order.
  std::vector<NamedRecord<FlushRecord>> Records;
  /// What this pack replaced: remove these, never read them.
  std::vector<AbsorbedRecord> AbsorbedRecords;
  std::vector<std::string> AbsorbedPacks;
};

/// The file names of pack \p N and of its K-th profile.
std::string packFileName(uint64_t N);
std::string packProfileName(uint64_t N, uint64_t K);
/// Packs are numbered from 1 to this (nine digits).
constexpr uint64_t MaxPackNumber = 999999999;

/// The N of a pack's name (_c<N>.pack) or pack profile's (_c<N>.<K>.profraw);
/// none for any other name.
std::optional<uint64_t> packNumberOf(llvm::StringRef Name);

/// The most a pack file may hold (it carries its records: about 600 bytes
/// each). Lines are parsed one at a time, so reading one costs memory in
/// proportion to its records, not to the JSON.
constexpr uint64_t MaxPackFile = uint64_t(1) << 30;

/// A pack file: its header line ({"version","pack","profiles",
/// "absorbed_packs"}), then one line per carried record ({"name","record"})
/// and per absorbed record ({"absorbed","start"}).
std::string writePack(const Pack &P);

/// The header line.
bool fromJSON(const llvm::json::Value &V, Pack &P, llvm::json::Path Path);

/// A line after the header: a carried record or an absorbed one.
struct PackLine {
  std::optional<NamedRecord<FlushRecord>> Record;
  std::optional<AbsorbedRecord> Absorbed;
};
bool fromJSON(const llvm::json::Value &V, PackLine &L, llvm::json::Path Path);

/// Reads and parses a pack file (a regular file, never through a symlink,
/// of at most MaxPackFile bytes); errors name \p Path.
llvm::Expected<Pack> readPackFile(llvm::StringRef Path);

} // namespace covlock

#endif // COVLOCK_PROTOCOL_PACK_H
