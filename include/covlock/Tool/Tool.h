//===- Tool.h - What llvm-covlock and llvm-covmerge share -------*- C++ -*-===//
//
// Diagnostics, exit statuses, option parsing and the version line of the
// covlock tools. Both dispatch on argv[1] to subcommands that each have
// their own file and option table (see OptTable.inc); this is the part that
// only differs by the tool's name.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOL_TOOL_H
#define COVLOCK_TOOL_TOOL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Option/ArgList.h"
#include "llvm/Option/OptTable.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace covlock {
namespace tool {

/// The running tool's name ("llvm-covlock"), which starts every diagnostic.
/// Each tool defines it once, next to its main().
extern const llvm::StringLiteral ToolName;

/// Exit statuses of the tools' own failures.
enum ExitStatus : int {
  ExitFailure = 1,
  /// EX_TEMPFAIL: a live run holds the lock of a coverage directory;
  /// retrying later may work.
  ExitBusy = 75,
};

enum class Severity { Error, Warning, Note };

/// The one function through which a tool reports problems:
/// "<ToolName>: error: <file>: <message>" (no "<file>: " when empty).
void diagnose(Severity Kind, llvm::StringRef File, const llvm::Twine &Message);

/// Report every error in \p E (a FileError as "<file>: <message>") and
/// return the status to exit with: ExitBusy if a lock was busy, else
/// \p Status.
int reportError(llvm::Error E, int Status = ExitFailure);
int reportError(const llvm::Twine &Message, int Status = ExitFailure);
void reportWarning(llvm::Error E);

/// Parse \p Args with \p Table. Unknown options, stray values and missing
/// values are reported (with helpHint(Subcommand)); std::nullopt then.
std::optional<llvm::opt::InputArgList>
parseArgs(const llvm::opt::OptTable &Table, llvm::ArrayRef<const char *> Args,
          llvm::StringRef Subcommand);

/// What --help prints for a (sub)command: LLVM's "USAGE:" line and
/// "OVERVIEW:".
struct CommandHelp {
  const char *Usage;
  const char *Overview;
};

/// parseArgs(), and --help (the table's "help" option) printed from
/// \p Help. Arguments to run with, or std::nullopt and \p Exit set to the
/// status to exit with: 0 after the help, ExitFailure after a usage error.
std::optional<llvm::opt::InputArgList>
parseArgs(const llvm::opt::OptTable &Table, llvm::ArrayRef<const char *> Args,
          llvm::StringRef Subcommand, const CommandHelp &Help, int &Exit);

/// The hint that ends usage errors of \p Subcommand:
/// "see '<ToolName> <Subcommand> --help'", or "see '<ToolName> --help'"
/// when \p Subcommand is empty (the tool itself, or llvm-covmerge's merge).
std::string helpHint(llvm::StringRef Subcommand);

/// \p Text made safe for a terminal and a table: control bytes and bytes
/// that are not valid UTF-8 become \xNN (and a backslash \\), invisible
/// and bidirectional format characters \u{NNNN}, so a test id or path
/// cannot break a row, send escape sequences or pass for another. JSON
/// output keeps the exact text instead.
std::string printable(llvm::StringRef Text);

/// The columns \p Text takes on a terminal: a wide character (CJK) counts
/// two, a combining mark none. For printable() text; bytes otherwise.
size_t columnWidth(llvm::StringRef Text);

/// \p Text padded with spaces to \p Width columns (columnWidth()), on the
/// left when \p RightAligned.
std::string padToWidth(llvm::StringRef Text, size_t Width,
                       bool RightAligned = false);

/// A context's test as text tables show it: printable() of the id, or
/// "(outside tests)" for none. An id that reads like the tables' own
/// words in parentheses ("(outside tests)", "(total)"), or that starts
/// with a double quote, is shown in double quotes.
std::string testColumn(const std::optional<std::string> &Test);

/// "1 test", "2 tests": \p N and \p Noun, plural unless \p N is 1
/// (\p Plural, else \p Noun with an "s").
std::string countOf(uint64_t N, llvm::StringRef Noun,
                    llvm::StringRef Plural = "");

/// Whether \p Arg (argv[1]) asks for the version.
bool isVersionOption(llvm::StringRef Arg);
/// "<ToolName> (covlock) protocol v<ProtocolVersion>, LLVM <version>\n".
void printVersion(llvm::raw_ostream &OS);

/// One line on a terminal, rewritten in place ("<ToolName>: <step>
/// <done>/<total>"); nothing when not \p Enabled (stderr is not a
/// terminal, or --quiet). Safe to update from several threads.
class ProgressLine {
public:
  explicit ProgressLine(bool Enabled) : Enabled(Enabled) {}
  ~ProgressLine() { clear(); }
  void update(llvm::StringRef Step, uint64_t Done, uint64_t Total);
  void clear();

private:
  bool Enabled;
  size_t Width = 0;
  std::mutex Lock;
};

} // namespace tool
} // namespace covlock

#endif // COVLOCK_TOOL_TOOL_H
