//===- CovmergeTool.h - Subcommands of llvm-covmerge ------------*- C++ -*-===//
//
// The subcommands of llvm-covmerge. `merge` is the default
// (llvm-covmerge INPUTS...); `report`, `who`, `export` and `show` read a
// .covdb, and `html` writes a site from one. Each lives in its own file
// with its own option table; llvm-covmerge.cpp dispatches on argv[1].
// Diagnostics, exit statuses and option parsing are shared with llvm-covlock
// (covlock/Tool/Tool.h); a
// \p Subcommand of "" there means merge.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_COVMERGETOOL_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_COVMERGETOOL_H

#include "covlock/CovDB/CovDBReader.h"
#include "covlock/Tool/Tool.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class MemoryBuffer;
class raw_ostream;
namespace opt {
class Arg;
} // namespace opt
} // namespace llvm

/// Subcommands, called as llvm-cov calls its own: main() passes
/// (argc - 1, argv + 1), so Argv[0] is the subcommand's name ("report") and
/// Argv[1..Argc) are its arguments. mergeMain, the default, gets main's
/// own (argc, argv). Each returns the status to exit with.
int mergeMain(int Argc, const char **Argv);
int reportMain(int Argc, const char **Argv);
int whoMain(int Argc, const char **Argv);
int exportMain(int Argc, const char **Argv);
int showMain(int Argc, const char **Argv);
int impactMain(int Argc, const char **Argv);
int htmlMain(int Argc, const char **Argv);
/// Internal (see ReadProfileCommand.cpp): not listed in --help.
int readProfileMain(int Argc, const char **Argv);

/// report --style=llvm-cov-report: llvm-cov report's own table for one
/// label, from the label's aggregate profile and binaries.
/// The stock llvm-cov, ready to run on profiles of one label of a covdb.
class StockLlvmCov {
public:
  /// The label's binaries, checked to still have the build ids the
  /// profiles were written by, and the llvm-cov of covlock's LLVM.
  static llvm::Expected<StockLlvmCov> forLabel(const covlock::CovDB &DB,
                                               int64_t LabelId);
  /// Runs `llvm-cov SUBCOMMAND... BINARY -object... -instr-profile=P` with
  /// \p Profile (indexed profile bytes) as P, its standard output into
  /// \p Stdout if given. Thread-safe. An error if llvm-cov fails.
  llvm::Error run(llvm::StringRef Profile,
                  llvm::ArrayRef<llvm::StringRef> Subcommand,
                  std::optional<llvm::StringRef> Stdout) const;

private:
  std::string LlvmCov;
  std::vector<std::string> Binaries;
};

/// Runs the stock `llvm-cov SUBCOMMAND... BINARY -object... -instr-profile=P`
/// on label \p LabelId of \p DB (its aggregate profile P, its binaries,
/// which must still have the build ids the profiles were written by), its
/// standard output into \p Stdout if given. An error if llvm-cov fails.
llvm::Error runLlvmCovOnLabel(const covlock::CovDB &DB, int64_t LabelId,
                              llvm::ArrayRef<llvm::StringRef> Subcommand,
                              std::optional<llvm::StringRef> Stdout);
/// export --format=json: llvm-cov export's JSON of label \p LabelId with a
/// "covlock" object of its per-test and per-label line sets
/// (docs/llvm-covmerge.md).
llvm::Error exportJson(const covlock::CovDB &DB, int64_t LabelId,
                       llvm::raw_ostream &OS);
/// export --format=lcov: one TN: block per context of \p Contexts, its
/// lines from the database and, where the label's binaries are there, its
/// functions and branches from the stock llvm-cov (ExportLcov.cpp).
llvm::Error exportLcov(const covlock::CovDB &DB,
                       llvm::ArrayRef<covlock::CovDB::ContextInfo> Contexts,
                       llvm::raw_ostream &OS);

/// A .covdb opened for a query, and the id of its --label (if given).
struct OpenedDatabase {
  std::unique_ptr<covlock::CovDB> DB;
  std::optional<int64_t> Label;
};
/// Opens \p Path and finds the label that \p Label (the last --label, or
/// null) names; errors name the file.
llvm::Expected<OpenedDatabase>
openDatabase(llvm::StringRef Path, const llvm::opt::Arg *Label,
             llvm::ArrayRef<std::string> PathEquivalence = {});
/// The labels of \p DB that \p Names name (repeated --label options), in
/// the order given, each once; an unknown name is an error naming the file.
llvm::Expected<std::vector<covlock::CovDB::Label>>
findLabels(const covlock::CovDB &DB, llvm::ArrayRef<std::string> Names);

/// \p Paths relative to their longest common directory, as llvm-cov report
/// shows them (ReportCommand.cpp).
std::vector<std::string> shortPaths(llvm::ArrayRef<std::string> Paths);

/// Source text (SourceText.cpp).
/// The path to read the source file that a database stores as
/// \p StoredPath from. Whatever reads source text goes through it: path
/// remapping belongs there.
std::string sourcePathToRead(llvm::StringRef StoredPath);
/// The contents of the regular file \p Path, opened without blocking; an
/// error says why it cannot be read (without the path).
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readSourceFile(llvm::StringRef Path);
/// Whether \p Text is lines of printable ASCII, which writeSourceLine()
/// writes unchanged.
bool isPlainText(llvm::StringRef Text);
/// The number of lines of \p Text (a last line without '\n' counts).
uint32_t countSourceLines(llvm::StringRef Text);
/// One line of source text (without its '\n'), safe for a terminal: a
/// trailing '\r' dropped, tabs expanded to 8 columns, control bytes and
/// invalid UTF-8 escaped by printable(), backslashes as written.
void writeSourceLine(llvm::raw_ostream &OS, llvm::StringRef Line);

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_COVMERGETOOL_H
