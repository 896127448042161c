//===- covlock/Merge/Merge.h - Merging profiles and directories -*- C++ -*-===//
//
// What `llvm-covmerge INPUTS...` does before it writes anything: read
// coverage directories (under their flush lock), .profraw and .profdata
// files, sum the counters of profiles that share a layout in bulk, and hand
// back the aggregate (an InstrProfWriter holding what `llvm-profdata merge`
// of the same profiles would hold) and the per-context sums (Contexts.h).
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_MERGE_MERGE_H
#define COVLOCK_MERGE_MERGE_H

#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class InstrProfWriter;
} // namespace llvm

namespace covlock {

/// What a bad input (unreadable, truncated, foreign profile...) does, as
/// llvm-profdata's --failure-mode.
enum class FailureMode {
  Warn, ///< warn, skip, record; fail only if nothing usable was read
  Any,  ///< fail on any bad input
  All,  ///< fail only if every input is bad
};

struct MergeOptions {
  /// Coverage directories, .profraw, .profdata and .covdb files.
  std::vector<std::string> Inputs;
  /// Instrumented binaries (--object).
  std::vector<std::string> Objects;
  /// Overrides the label of every context (--label).
  std::optional<std::string> Label;
  unsigned Threads = 0; ///< 0: the machine's
  FailureMode Failure = FailureMode::Warn;
  bool WantProfile = false;  ///< build each label's aggregate profile
  bool WantContexts = false; ///< build the per-context sums (needs binaries)
  /// Keep each context's counters sparse (ContextProfile::Sparse): memory
  /// in proportion to what the tests ran, not to tests x binary size.
  bool SparseContexts = false;
  /// Wait for a live run of a directory to end instead of refusing it.
  bool WaitForRun = false;
  /// Problems that do not stop the merge (lost processes, failed flushes),
  /// each a FileError naming its file.
  std::function<void(llvm::Error)> Warn;
  /// Bad inputs (unreadable, corrupt, foreign profiles), each a FileError
  /// naming its file; Warn if empty. With FailureMode::Any the merge fails
  /// after all of them were reported.
  std::function<void(llvm::Error)> BadInput;
  /// (profiles done, profiles in all); called from worker threads, at most
  /// a few times a second and once at the end.
  std::function<void(uint64_t, uint64_t)> Progress;
  /// A new binary layout, with the executable its first profile's flush
  /// record names as Path (not yet verified): a hint to start reading the
  /// binary's coverage mapping while the merge goes on. Called from worker
  /// threads; only for profiles with a record.
  std::function<void(const BinaryLayout &)> LayoutFound;
  /// An executable a flush record names, once each, as soon as the inputs
  /// are listed (before any profile is read).
  std::function<void(llvm::StringRef)> ExecutableFound;
  /// A program that reads one profile with LLVM's reader and exits 0 if it
  /// could, IsolatedReaderRejected with LLVM's message on stderr if the
  /// reader refused it (`PROGRAM __read-profile FILE OFFSET SIZE OUT`; any
  /// other status is a crash): every profile the
  /// bulk path does not take (.profdata files, other raw variants) is first
  /// read there, so that a damaged file LLVM's reader crashes on (or
  /// allocates without bound for) is reported instead of taking the merge
  /// down. Empty: read in-process.
  std::string IsolatedReader;
};

/// Exit status of MergeOptions::IsolatedReader when LLVM's reader reported
/// an error: distinct from 1, which sanitizers and runtimes also use.
constexpr int IsolatedReaderRejected = 3;

struct MergeStats {
  uint64_t Profiles = 0; ///< profile files found
  uint64_t Read = 0;     ///< ... and read
  uint64_t Bad = 0;      ///< ... and skipped as bad
  uint64_t Bulk = 0;     ///< read by summing their counter sections
  uint64_t Layouts = 0;  ///< distinct raw layouts (binaries)
  uint64_t Databases = 0;
};

struct MergeOutput {
  /// The aggregate of each label, ready for write(); empty unless
  /// WantProfile. A label's profiles never mix with another's: different
  /// builds may hold functions of one name and hash whose counters mean
  /// different things (llvm-project #148279).
  std::map<std::string, std::unique_ptr<llvm::InstrProfWriter>> Profiles;
  /// Contexts and binaries; empty unless WantContexts.
  MergeResult Result;
  /// The .covdb inputs, for writeCovDB().
  std::vector<std::string> Databases;
  MergeStats Stats;
};

/// A live run holds a directory's run lock (and --wait was not given);
/// returned inside a FileError naming the directory.
/// Its error code is resource_unavailable_try_again, which the tool turns
/// into exit status 75 as llvm-covlock does.
class DirectoryBusyError : public llvm::ErrorInfo<DirectoryBusyError> {
public:
  static char ID;
  DirectoryBusyError(std::string Dir, std::string Holder)
      : Dir(std::move(Dir)), Holder(std::move(Holder)) {}
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override;
  const std::string &dir() const { return Dir; }

private:
  std::string Dir, Holder;
};

/// Read and sum everything. Fails on unusable options, on a busy
/// directory, on missing binaries (when contexts are wanted), and on bad
/// inputs as the failure mode says; otherwise bad inputs go to Warn and are
/// recorded against their contexts.
llvm::Expected<MergeOutput> mergeInputs(const MergeOptions &Options);

/// Write \p Writer as an indexed profile to \p Path, atomically (a
/// temporary file beside it, then rename).
llvm::Error writeIndexedProfile(llvm::InstrProfWriter &Writer,
                                llvm::StringRef Path);

} // namespace covlock

#endif // COVLOCK_MERGE_MERGE_H
