//===- covlock/Protocol/Protocol.h - Coverage directory protocol v1 -------===//
//
// Names and encodings of the coverage directory protocol, version 1
// (docs/protocol.md). Shared by every reader of a covlock directory.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_PROTOCOL_PROTOCOL_H
#define COVLOCK_PROTOCOL_PROTOCOL_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include <cstdint>
#include <optional>
#include <string>

namespace covlock {

/// The protocol version this code writes, and the oldest it reads
/// (docs/protocol.md, "Versions").
constexpr int ProtocolVersion = 4;
constexpr int OldestProtocolVersion = 1;
/// The first version with packs (compacted profiles; docs/protocol.md,
/// "Compaction").
constexpr int PackProtocolVersion = 3;

/// Name of the control area inside a coverage directory.
constexpr llvm::StringLiteral ControlDirName = ".covlock";
constexpr llvm::StringLiteral RunLockName = "run.lock";
constexpr llvm::StringLiteral FlushLockName = "flush.lock";
constexpr llvm::StringLiteral CompactLockName = "compact.lock";
/// DIR/.covlock/layouts: one zero-count raw profile per binary that packs
/// name, so that a pack's sparse profiles can be read back into the whole
/// binary's counters.
constexpr llvm::StringLiteral LayoutsDirName = "layouts";
/// Files a compactor writes into a key directory start with this (keys and
/// host names never start with '_'): _c<N>.pack and _c<N>.<K>.profraw.gz
/// (.profraw in version 3).
constexpr llvm::StringLiteral PackPrefix = "_c";
/// Test key of processes that run outside any test.
constexpr llvm::StringLiteral OutsideKey = "_outside";

/// Environment variables of the protocol.
constexpr llvm::StringLiteral EnvDir = "COVLOCK_DIR";
constexpr llvm::StringLiteral EnvRun = "COVLOCK_RUN";
constexpr llvm::StringLiteral EnvLabel = "COVLOCK_LABEL";
constexpr llvm::StringLiteral EnvTest = "COVLOCK_TEST";
/// Set with LLVM_PROFILE_FILE to the same value when covlock (not the user)
/// chose it: the runtime of each process then points it at its own test.
constexpr llvm::StringLiteral EnvStockProfileFile =
    "COVLOCK_STOCK_PROFILE_FILE";

/// Longest key; longer encodings are cut and get a hash suffix.
constexpr size_t MaxKeyLength = 160;
/// Length an over-long encoding is cut to before "~<16 hex>" is appended.
constexpr size_t CutKeyLength = 143;
/// Longest host name (before encoding) that goes into a file name.
constexpr size_t MaxHostLength = 64;

/// 64-bit FNV-1a of \p Data.
uint64_t fnv1a64(llvm::StringRef Data);

/// The test key of test id \p Id; "_outside" for an empty id.
std::string encodeTestKey(llvm::StringRef Id);

/// Inverts encodeTestKey() for keys that were not cut. Returns std::nullopt
/// for "_outside", for cut keys and for strings that are not keys.
std::optional<std::string> decodeTestKey(llvm::StringRef Key);

/// gethostname(), or "localhost" if that fails.
std::string getHostName();

/// The host as it appears in file names and run ids: at most 64 bytes of the
/// host name, encoded like a test key.
std::string getHostKey(llvm::StringRef HostName);

/// A run id: "<host key>.<pid>.<start unix seconds>".
std::string makeRunId(llvm::StringRef HostName, int64_t Pid,
                      int64_t StartSeconds);

/// DIR/.covlock, DIR/.covlock/run.lock and DIR/.covlock/flush.lock.
std::string getControlDir(llvm::StringRef Dir);
std::string getRunLockPath(llvm::StringRef Dir);
std::string getFlushLockPath(llvm::StringRef Dir);
std::string getCompactLockPath(llvm::StringRef Dir);
std::string getLayoutsDir(llvm::StringRef Dir);

} // namespace covlock

#endif // COVLOCK_PROTOCOL_PROTOCOL_H
