//===- CovmergeTool.h - Shared parts of llvm-covmerge -----------*- C++ -*-===//
//
// What the subcommands of llvm-covmerge share: diagnostics, exit statuses
// and option parsing. `merge` is the default (llvm-covmerge INPUTS...);
// `report`, `who` and `export` read a .covdb. Each lives in its own file
// with its own option table; llvm-covmerge.cpp dispatches on argv[1].
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_COVMERGETOOL_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_COVMERGETOOL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Option/ArgList.h"
#include "llvm/Option/OptTable.h"
#include "llvm/Support/Error.h"
#include <optional>
#include <string>

namespace covlock {
namespace covmerge {

constexpr llvm::StringLiteral ToolName = "llvm-covmerge";

enum ExitStatus : int {
  ExitFailure = 1,
  /// EX_TEMPFAIL: a live run holds a coverage directory (as llvm-covlock).
  ExitBusy = 75,
};

enum class Severity { Error, Warning };

/// The one function through which the tool reports problems:
/// "llvm-covmerge: error: <file>: <message>" (no "<file>: " when empty).
void diagnose(Severity Kind, llvm::StringRef File, const llvm::Twine &Message);

/// Report every error in \p E (a FileError as "<file>: <message>") and
/// return the status to exit with: ExitBusy if a directory was busy, else
/// \p Status.
int reportError(llvm::Error E, int Status = ExitFailure);
int reportError(const llvm::Twine &Message, int Status = ExitFailure);
void reportWarning(llvm::Error E);

/// Parse \p Args with \p Table. Unknown options and missing values are
/// reported (with a hint to `llvm-covmerge [<Subcommand>] --help`);
/// std::nullopt then. \p Subcommand is "" for merge.
std::optional<llvm::opt::InputArgList>
parseArgs(const llvm::opt::OptTable &Table, llvm::ArrayRef<const char *> Args,
          llvm::StringRef Subcommand);

/// The hint that ends usage errors of \p Subcommand ("" for merge).
std::string helpHint(llvm::StringRef Subcommand);

} // namespace covmerge
} // namespace covlock

/// Subcommands, called as llvm-cov calls its own: main() passes
/// (argc - 1, argv + 1), so Argv[0] is the subcommand's name ("report") and
/// Argv[1..Argc) are its arguments. mergeMain, the default, gets main's
/// own (argc, argv). Each returns the status to exit with.
int mergeMain(int Argc, const char **Argv);
int reportMain(int Argc, const char **Argv);
int whoMain(int Argc, const char **Argv);
int exportMain(int Argc, const char **Argv);

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_COVMERGETOOL_H
