//===- llvm-covlock.cpp - Coverage directory lock and run wrapper ---------===//
//
// llvm-covlock runs test suites with a locked coverage directory and reports
// on it. Like llvm-cov, it dispatches on its first argument; every subcommand
// has its own file and option table.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace covlock {
namespace tool {

const StringLiteral ToolName = "llvm-covlock";

namespace {
struct Subcommand {
  StringLiteral Name;
  int (*Main)(const char *, ArrayRef<const char *>);
  StringLiteral Summary;
};
} // namespace

static constexpr Subcommand Subcommands[] = {
    {"run", runMain,
     "Run a command holding the run lock of a coverage directory"},
    {"status", statusMain,
     "Show the lock holder and the process counts of a coverage directory"},
    {"compact", compactMain,
     "Sum each test's profiles into one sparse profile per binary"},
    {"clean", cleanMain,
     "Remove the contents of a coverage directory that no run holds"},
    {"link-flags", linkFlagsMain,
     "Print the flags that link the covlock runtime into a program"},
};

static void printUsage(raw_ostream &OS) {
  OS << "OVERVIEW: coverage directory lock and test-run wrapper (covlock)\n\n"
     << "USAGE: " << ToolName << " <subcommand> [options]\n\n"
     << "SUBCOMMANDS:\n";
  for (const Subcommand &S : Subcommands)
    OS << "  " << left_justify(S.Name, 12) << S.Summary << '\n';
  OS << "\nRun '" << ToolName
     << " <subcommand> --help' for the options of a subcommand.\n";
}

} // namespace tool
} // namespace covlock

using namespace covlock::tool;

int main(int Argc, const char **Argv) {
  // No InitLLVM: its signal handlers would stand between `run` and the
  // dispositions it must inherit and pass on to the command.
  if (Argc < 2) {
    printUsage(errs());
    return reportError("no subcommand given; " + helpHint(""));
  }
  StringRef Name = Argv[1];
  if (Name == "--help" || Name == "-help" || Name == "-h" || Name == "help") {
    printUsage(outs());
    return 0;
  }
  if (isVersionOption(Name)) {
    printVersion(outs());
    return 0;
  }
  ArrayRef<const char *> Rest(Argv + 2, Argv + Argc);
  for (const Subcommand &S : Subcommands)
    if (Name == S.Name)
      return S.Main(Argv[0], Rest);

  std::string Suggestion;
  unsigned Best = 3;
  for (const Subcommand &S : Subcommands) {
    unsigned Distance = Name.edit_distance(S.Name);
    if (Distance < Best) {
      Best = Distance;
      Suggestion = (" (did you mean '" + S.Name + "'?)").str();
    }
  }
  return reportError(
      (Name.starts_with("-") ? "unknown option '" : "unknown subcommand '") +
      Name + "'" + Suggestion + "; " + helpHint(""));
}
