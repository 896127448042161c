//===- CovlockTool.h - Shared parts of llvm-covlock -------------*- C++ -*-===//
//
// What the subcommands of llvm-covlock share: diagnostics, exit statuses and
// option parsing. Each subcommand lives in its own file with its own option
// table, and llvm-covlock.cpp dispatches on argv[1].
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVLOCK_COVLOCKTOOL_H
#define COVLOCK_TOOLS_LLVM_COVLOCK_COVLOCKTOOL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Option/ArgList.h"
#include "llvm/Option/OptTable.h"
#include "llvm/Support/Error.h"
#include <optional>

namespace covlock {
namespace tool {

constexpr llvm::StringLiteral ToolName = "llvm-covlock";

/// Exit statuses of the tool's own failures; `run` otherwise exits with its
/// command's status.
enum ExitStatus : int {
  ExitFailure = 1,
  /// EX_TEMPFAIL: a live run holds the lock; retrying later may work.
  ExitBusy = 75,
  /// The command could not be started (as a shell reports it).
  ExitCannotRun = 127,
};

enum class Severity { Error, Warning };

/// The one function through which the tool reports problems:
/// "llvm-covlock: error: <file>: <message>" (no "<file>: " when empty).
void diagnose(Severity Kind, llvm::StringRef File, const llvm::Twine &Message);

/// Report every error in \p E (a FileError as "<file>: <message>") and
/// return the status to exit with: ExitBusy if a lock was busy, else
/// \p Status.
int reportError(llvm::Error E, int Status = ExitFailure);
int reportError(const llvm::Twine &Message, int Status = ExitFailure);
void reportWarning(llvm::Error E);

/// Parse \p Args with \p Table. Unknown options, stray values and missing
/// values are reported (with a hint to `llvm-covlock <Subcommand> --help`);
/// std::nullopt then.
std::optional<llvm::opt::InputArgList>
parseArgs(const llvm::opt::OptTable &Table, llvm::ArrayRef<const char *> Args,
          llvm::StringRef Subcommand);

/// The hint that ends usage errors of \p Subcommand.
std::string helpHint(llvm::StringRef Subcommand);

/// Subcommands. \p Argv0 is the tool's argv[0]; \p Args follow the
/// subcommand's name. Each returns the status to exit with.
int runMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int statusMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int cleanMain(const char *Argv0, llvm::ArrayRef<const char *> Args);
int linkFlagsMain(const char *Argv0, llvm::ArrayRef<const char *> Args);

} // namespace tool
} // namespace covlock

#endif // COVLOCK_TOOLS_LLVM_COVLOCK_COVLOCKTOOL_H
