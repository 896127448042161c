//===- covlock/Protocol/Directory.h - Reading a coverage directory --------===//
//
// Reading the process files of a coverage directory and counting processes
// as docs/protocol.md ("Counting") defines. Reading is separate from
// counting so that tools which need the records themselves (llvm-covmerge)
// share the same reader.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_PROTOCOL_DIRECTORY_H
#define COVLOCK_PROTOCOL_DIRECTORY_H

#include "covlock/Protocol/Outcome.h"
#include "covlock/Protocol/Pack.h"
#include "covlock/Protocol/Records.h"
#include "covlock/Protocol/TestIdentity.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace covlock {

/// <host>.<pid>.stock.profraw: a profile from a program without the runtime.
/// A profile written by compiler-rt's own writer: <host>.<pid>.stock.profraw.
struct StockProfile {
  std::string Name;
  uint64_t Size = 0;
};

/// The readable files of one DIR/<test-key>/, each list sorted by name.
struct TestDirectory {
  std::string Key;
  /// Flush records, those that packs carry among them (NamedRecord::Pack),
  /// under their original names; never one that a pack absorbed.
  std::vector<NamedRecord<FlushRecord>> Records;
  /// Packs that no other pack absorbed: their profiles are to be read.
  std::vector<NamedRecord<Pack>> Packs;
  /// What a killed compactor left behind (docs/protocol.md, "Compaction"):
  /// files that packs absorbed, in the order they are to be removed (a
  /// record's profiles before the record, a pack's profiles before the
  /// pack). Readers ignore them.
  std::vector<std::string> Remnants;
  std::vector<NamedRecord<BootMarker>> Markers;
  std::vector<StockProfile> Stock;

  /// Whether \p P was written by a module linked without covlock inside a
  /// process that covlock's runtime accounts for here (same host and pid):
  /// then it is part of that process, not a process of its own.
  bool isModuleOfCovlockProcess(const StockProfile &P) const;
};

/// Everything a reader needs from a coverage directory.
struct DirectoryContents {
  std::string Dir;
  std::vector<TestDirectory> Tests; ///< Sorted by key.
  uint64_t Unreadable = 0;          ///< Records and markers that were skipped.
};

/// Whether DIR/.covlock is a directory (not following a symlink at
/// DIR/.covlock).
bool isCovlockDirectory(llvm::StringRef Dir);
/// Why \p Dir is not one, for messages: "not a covlock directory (no
/// .covlock/)", or what its .covlock is instead (a symbolic link, a file).
std::string whyNotCovlockDirectory(llvm::StringRef Dir);

/// Read the records, markers, packs and stock profiles of the key directory
/// \p Path (named \p Key), as readCoverageDirectory() does.
llvm::Expected<TestDirectory>
readKeyDirectory(llvm::StringRef Path, llvm::StringRef Key,
                 uint64_t &Unreadable,
                 llvm::function_ref<void(llvm::Error)> Warn);

/// Read all records, markers and stock profiles of \p Dir. A file that
/// cannot be parsed is passed to \p Warn (as a FileError naming it), counted
/// in Unreadable and skipped; files that vanish while reading are skipped
/// silently, since writers remove markers at any time; a key directory that
/// cannot be listed is passed to \p Warn and counted too. Fails only if
/// \p Dir itself cannot be listed.
llvm::Expected<DirectoryContents>
readCoverageDirectory(llvm::StringRef Dir,
                      llvm::function_ref<void(llvm::Error)> Warn);

/// Process counts of one test or of the whole directory.
struct ProcessCounts {
  uint64_t Processes = 0;
  uint64_t Flushed = 0;
  uint64_t Failed = 0;
  uint64_t Lost = 0;
  uint64_t Running = 0;
  uint64_t Stock = 0;
  uint64_t Bytes = 0;
};

enum class ProcessState { Flushed, Failed, Running, Lost };

struct TestSummary {
  std::string Key;
  TestIdentity Identity; ///< identifyTest() of the key directory.
  ProcessCounts Counts;
  /// Its records' outcomes (test ends), packs' records included.
  TestOutcomes Outcomes;
};

struct DirectorySummary {
  std::vector<TestSummary> Tests; ///< Sorted by key.
  ProcessCounts Total;
  TestOutcomes Outcomes; ///< every test end of the directory
  uint64_t Unreadable = 0;
};

/// Whether the process image \p Id is alive: it ran on this host, its pid
/// exists, and that pid's process did not start after the image did (which
/// would mean the pid was reused).
bool isProcessImageRunning(const ProcessId &Id);

/// Count processes. A process counts once in the total and once in every
/// test it has a record or marker in, with its overall state; bytes count
/// where the profiles are.
DirectorySummary summarizeDirectory(const DirectoryContents &Contents,
                                    llvm::function_ref<bool(const ProcessId &)>
                                        IsRunning = isProcessImageRunning);

/// Make \p Dir a covlock directory (creating it and DIR/.covlock as needed).
/// Refuses a \p Dir that exists, is not empty and has no .covlock/, so that a
/// mistyped --dir never turns the user's files into something we clear.
llvm::Error createCoverageDirectory(llvm::StringRef Dir);

/// Remove everything in \p Dir except .covlock/ (but its layouts/), never
/// following symlinks. The caller holds the run lock, the compact lock and
/// the flush lock exclusively.
llvm::Error clearCoverageDirectory(llvm::StringRef Dir);

} // namespace covlock

#endif // COVLOCK_PROTOCOL_DIRECTORY_H
