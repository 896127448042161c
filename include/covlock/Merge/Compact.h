//===- covlock/Merge/Compact.h - Compacting a coverage directory -*- C++
//-*-===//
//
// Compaction replaces the flush records of each key directory and their raw
// profiles by one pack: per label and binary, one sparse raw profile of the
// summed counts, and the records themselves, so that processes are still
// counted. It runs while writers still write, and every step is atomic and
// can be repeated: a compactor killed at any moment leaves the directory
// meaning what it meant (docs/protocol.md, "Compaction").
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_MERGE_COMPACT_H
#define COVLOCK_MERGE_COMPACT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace covlock {

struct CompactOptions {
  std::string Dir;
  /// Wait for the compact lock (another compactor, a merge reading the
  /// directory); without, a busy lock makes the round do nothing.
  bool Wait = true;
  /// Problems that leave a file as it is (an unreadable profile, a damaged
  /// pack): the merge will report them.
  std::function<void(llvm::Error)> Warn;
  /// Key directories done and to do, now and then.
  std::function<void(uint64_t Done, uint64_t Total)> Progress;
  /// For the protocol's tests: kill this process (SIGKILL) right after the
  /// first time the named step is done: "layout" (a layout file written),
  /// "profiles" (a pack's profiles written), "pack" (a pack published),
  /// "unlink" (one absorbed record removed).
  std::string KillAfter;
  /// Learn from the kernel which key directories changed (inotify, where
  /// there is one) instead of looking at each one every round: for a
  /// compactor that runs round after round while the suite runs.
  bool Watch = false;
};

struct CompactStats {
  bool Busy = false;         ///< the compact lock was busy (Wait unset)
  uint64_t Keys = 0;         ///< key directories that got a new pack
  uint64_t Records = 0;      ///< flush records absorbed
  uint64_t Profiles = 0;     ///< raw profiles summed, then removed
  uint64_t Packs = 0;        ///< older packs absorbed
  uint64_t BytesRemoved = 0; ///< of the profiles removed (raw and packs')
  uint64_t BytesWritten = 0; ///< of the new packs' profiles
  uint64_t RecordBytes = 0;  ///< of the new packs themselves (JSON)
  uint64_t Remnants = 0;     ///< files of a killed compactor, removed
  uint64_t Left = 0;         ///< records left as they are (see Warn)
  uint64_t KeysFailed = 0;   ///< key directories not compacted (warned)
};

/// Compacts one coverage directory, round after round. Between rounds it
/// remembers which key directories have not changed (or, with
/// CompactOptions::Watch, the kernel says which have), so that a round
/// costs what changed (the run wrapper's compactor calls it every 10 ms
/// while the suite publishes).
class Compactor {
public:
  explicit Compactor(CompactOptions Opts);
  ~Compactor();

  /// One round over every key directory that changed since the last one
  /// (every one if \p Full). Fails if the directory cannot be read at all.
  /// Between rounds, a key directory's live packs are folded into its new
  /// pack only once there are several of them (rewriting a big pack for a
  /// few new records each round would cost the square of its records);
  /// a \p Full round folds them all.
  llvm::Expected<CompactStats> compact(bool Full = false);

  /// Whether rounds wait for the compact lock (CompactOptions::Wait).
  void setWait(bool Wait);

private:
  struct Impl;
  std::unique_ptr<Impl> P;
};

} // namespace covlock

#endif // COVLOCK_MERGE_COMPACT_H
