//===- CovlockTool.h - Subcommands of llvm-covlock --------------*- C++ -*-===//
//
// The subcommands of llvm-covlock, each in its own file with its own option
// table; llvm-covlock.cpp dispatches on argv[1]. Diagnostics, exit statuses
// and option parsing are shared with llvm-covmerge (covlock/Tool/Tool.h).
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVLOCK_COVLOCKTOOL_H
#define COVLOCK_TOOLS_LLVM_COVLOCK_COVLOCKTOOL_H

#include "covlock/Tool/Tool.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace llvm {
class raw_ostream;
}

namespace covlock {
struct CompactStats;
struct DirectorySummary;
struct TestIdentity;

namespace tool {

/// `run` exits with its command's status, or this when the command could
/// not be started (as a shell reports it).
constexpr int ExitCannotRun = 127;

/// Subcommands. \p Argv0 is the tool's argv[0]; \p Args follow the
/// subcommand's name. Each returns the status to exit with.
int runMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int statusMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int cleanMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int linkFlagsMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int compactMain(const char *Argv0, llvm::ArrayRef<const char *> Args);

/// One line on stderr: what a compaction did to \p Shown.
void printCompactStats(const CompactStats &S, llvm::StringRef Shown);

/// Whether the test of \p Id can be named: not outside, and not a cut key
/// that nothing in its directory names.
bool knowsTestId(const TestIdentity &Id);

/// The per-test process counts of \p Sum, one row per test key and the
/// total, as `status` prints them.
void printTestTable(llvm::raw_ostream &OS, const DirectorySummary &Sum);

} // namespace tool
} // namespace covlock

#endif // COVLOCK_TOOLS_LLVM_COVLOCK_COVLOCKTOOL_H
