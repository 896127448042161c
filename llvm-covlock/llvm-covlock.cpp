//===- llvm-covlock.cpp - Coverage directory lock and run wrapper ---------===//
//
// llvm-covlock runs test suites with a locked coverage directory and reports
// on it. Like llvm-cov, it dispatches on its first argument; every subcommand
// has its own file and option table.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Option/Arg.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace covlock {
namespace tool {

void diagnose(Severity Kind, StringRef File, const Twine &Message) {
  // WithColor prints "llvm-covlock: error: " and colours only on a terminal.
  raw_ostream &OS = Kind == Severity::Error
                        ? WithColor::error(errs(), ToolName)
                        : WithColor::warning(errs(), ToolName);
  if (!File.empty())
    OS << File << ": ";
  OS << Message << '\n';
}

/// Report every error in \p E; returns whether one of them was "busy" (a
/// lock that someone else holds), which callers turn into ExitBusy.
static bool diagnoseAll(Severity Kind, Error E) {
  bool Busy = false;
  auto IsBusy = [](const ErrorInfoBase &EI) {
    return EI.convertToErrorCode() == std::errc::resource_unavailable_try_again;
  };
  handleAllErrors(
      std::move(E),
      [&](const FileError &FE) {
        Busy |= IsBusy(FE);
        diagnose(Kind, FE.getFileName(), FE.messageWithoutFileInfo());
      },
      [&](const ErrorInfoBase &EI) {
        Busy |= IsBusy(EI);
        diagnose(Kind, "", EI.message());
      });
  return Busy;
}

int reportError(Error E, int Status) {
  return diagnoseAll(Severity::Error, std::move(E)) ? ExitBusy : Status;
}

int reportError(const Twine &Message, int Status) {
  diagnose(Severity::Error, "", Message);
  return Status;
}

void reportWarning(Error E) { diagnoseAll(Severity::Warning, std::move(E)); }

std::string helpHint(StringRef Subcommand) {
  return ("see '" + ToolName + " " + Subcommand + " --help'").str();
}

std::optional<opt::InputArgList> parseArgs(const opt::OptTable &Table,
                                           ArrayRef<const char *> Args,
                                           StringRef Subcommand) {
  unsigned MissingIndex = 0, MissingCount = 0;
  opt::InputArgList Parsed = Table.ParseArgs(Args, MissingIndex, MissingCount);
  if (MissingCount) {
    reportError(Twine("option '") + Parsed.getArgString(MissingIndex) +
                "' needs a value; " + helpHint(Subcommand));
    return std::nullopt;
  }
  for (const opt::Arg *A : Parsed) {
    if (A->getOption().getKind() != opt::Option::UnknownClass)
      continue;
    std::string Arg = A->getAsString(Parsed);
    std::string Nearest;
    std::string Suggestion;
    if (Table.findNearest(Arg, Nearest) <= 2)
      Suggestion = " (did you mean '" + Nearest + "'?)";
    reportError("unknown option '" + Arg + "'" + Suggestion + "; " +
                helpHint(Subcommand));
    return std::nullopt;
  }
  return std::move(Parsed);
}

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
    return reportError("no subcommand given; see '" + ToolName + " --help'");
  }
  StringRef Name = Argv[1];
  if (Name == "--help" || Name == "-help" || Name == "-h" || Name == "help") {
    printUsage(outs());
    return 0;
  }
  if (Name == "--version" || Name == "-version") {
    outs() << ToolName << " (covlock) protocol v1, LLVM " << LLVM_VERSION_STRING
           << '\n';
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
      Name + "'" + Suggestion + "; see '" + ToolName + " --help'");
}
