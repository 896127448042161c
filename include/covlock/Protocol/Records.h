//===- covlock/Protocol/Records.h - Records of the protocol -----*- C++ -*-===//
//
// The JSON objects of the coverage directory protocol v1: the run owner
// record, the boot marker and the flush record. Parsing is strict about the
// types of the keys it reads and lenient about keys it does not know, so a
// newer writer that only adds keys stays readable.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_PROTOCOL_RECORDS_H
#define COVLOCK_PROTOCOL_RECORDS_H

#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace covlock {

/// What `llvm-covlock run` (or `clean`) writes into run.lock while it holds
/// the lock. Only used for messages: liveness is decided by the lock.
struct OwnerRecord {
  int Version = ProtocolVersion;
  std::string Run;
  int64_t Pid = 0;
  std::string Host;
  int64_t Start = 0; ///< Unix seconds.
  std::vector<std::string> Command;
  std::optional<std::string> Label;
  std::string Dir;

  /// The record of this process owning \p AbsDir to run \p Command: pid,
  /// host, the current time and a run id made of them.
  static OwnerRecord forThisProcess(std::vector<std::string> Command,
                                    llvm::StringRef AbsDir,
                                    std::optional<std::string> Label);
};

/// A process image: records and markers with equal host, pid and start.
struct ProcessId {
  std::string Host;
  int64_t Pid = 0;
  int64_t Start = 0; ///< Nanoseconds since the Unix epoch.

  friend bool operator<(const ProcessId &A, const ProcessId &B) {
    return std::tie(A.Host, A.Pid, A.Start) < std::tie(B.Host, B.Pid, B.Start);
  }
  friend bool operator==(const ProcessId &A, const ProcessId &B) {
    return std::tie(A.Host, A.Pid, A.Start) == std::tie(B.Host, B.Pid, B.Start);
  }
};

/// <host>.<pid>.boot: a process image that has started and not yet flushed
/// for the last time; <host>.<pid>.failed: one whose final flush could not
/// write its record.
struct BootMarker {
  int Version = ProtocolVersion;
  std::optional<std::string> Run, Label, Test, TestHex;
  std::string Host;
  int64_t Pid = 0;
  int64_t PPid = 0;
  std::string Exe;
  int64_t Start = 0;
  /// Read from a .failed file (the name, not the JSON, says so).
  bool FlushFailed = false;

  ProcessId id() const { return {Host, Pid, Start}; }
};

/// <host>.<pid>.<seq>.json: one flush of a process image.
/// The profile of one instrumented module, written by one flush.
struct ModuleProfile {
  std::string Path;                    ///< the module (executable or .so)
  std::optional<std::string> BinaryId; ///< its GNU build id, in hex
  std::string Profile;                 ///< the profile's file name
  uint64_t Size = 0;                   ///< in bytes
};

struct FlushRecord {
  int Version = ProtocolVersion;
  std::optional<std::string> Run, Label, Test, TestHex;
  std::string Host;
  int64_t Pid = 0;
  int64_t PPid = 0;
  std::string Exe;
  std::optional<std::string> BinaryId;
  int64_t Start = 0;
  int64_t End = 0;
  int64_t Seq = 0;
  std::string Reason;
  std::optional<int64_t> Signal, Status, Outcome;
  bool Final = false;
  std::optional<std::string> Profile;
  uint64_t Size = 0;
  std::optional<std::string> Error;
  /// v2: the module that wrote Profile, when it is not Exe (an instrumented
  /// library in an uninstrumented host).
  std::optional<std::string> Module;
  /// v2: the profiles of the process's other instrumented modules.
  std::vector<ModuleProfile> Modules;

  ProcessId id() const { return {Host, Pid, Start}; }
  /// Every profile this flush wrote, Profile first: the one list readers
  /// use. Empty when the flush failed or the process had no module left.
  std::vector<ModuleProfile> profiles() const;
};

/// A file of a test directory together with what it holds.
template <typename T> struct NamedRecord {
  std::string Name; ///< File name inside the test directory.
  T Record;
  /// A flush record carried by a pack (docs/protocol.md, "Compaction"): the
  /// pack's file name. Its profiles are gone; the pack's profiles sum them.
  std::string Pack = {};
};

llvm::json::Value toJSON(const OwnerRecord &R);
bool fromJSON(const llvm::json::Value &V, OwnerRecord &R, llvm::json::Path P);
llvm::json::Value toJSON(const BootMarker &M);
bool fromJSON(const llvm::json::Value &V, BootMarker &M, llvm::json::Path P);
llvm::json::Value toJSON(const ModuleProfile &M);
bool fromJSON(const llvm::json::Value &V, ModuleProfile &M, llvm::json::Path P);
llvm::json::Value toJSON(const FlushRecord &R);
bool fromJSON(const llvm::json::Value &V, FlushRecord &R, llvm::json::Path P);

/// Parse \p Text as a record of type T (JSON syntax, key types, version).
/// The error does not name a file; callers wrap it with createFileError.
template <typename T> llvm::Expected<T> parseRecord(llvm::StringRef Text);

extern template llvm::Expected<OwnerRecord> parseRecord(llvm::StringRef);
extern template llvm::Expected<BootMarker> parseRecord(llvm::StringRef);
extern template llvm::Expected<FlushRecord> parseRecord(llvm::StringRef);

/// Read and parse a record file; errors name \p Path.
/// The most a record file may hold: a boot line and a flush record, each
/// at most what the runtime's buffers allow (COVLOCK_RECORD_MAX, about
/// 1 MB for 32 modules with the longest paths and test id).
constexpr uint64_t MaxRecordFile = 4 << 20;

/// The bytes of a file of the protocol: only a regular file (never through a
/// symlink, never blocking on a FIFO) of at most \p Limit bytes.
llvm::Expected<std::string> readProtocolFile(llvm::StringRef Path,
                                             uint64_t Limit);

/// Reads a marker or record file (readProtocolFile, MaxRecordFile bytes).
template <typename T> llvm::Expected<T> readRecordFile(llvm::StringRef Path);

extern template llvm::Expected<OwnerRecord> readRecordFile(llvm::StringRef);
extern template llvm::Expected<BootMarker> readRecordFile(llvm::StringRef);
extern template llvm::Expected<FlushRecord> readRecordFile(llvm::StringRef);

/// A command line for messages: words joined by spaces, each quoted for a
/// POSIX shell when it needs to be.
std::string formatCommand(llvm::ArrayRef<std::string> Argv);

/// Local time "YYYY-MM-DD HH:MM:SS +ZZZZ" of \p UnixSeconds.
std::string formatTime(int64_t UnixSeconds);

} // namespace covlock

#endif // COVLOCK_PROTOCOL_RECORDS_H
