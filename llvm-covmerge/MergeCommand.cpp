//===- MergeCommand.cpp - llvm-covmerge INPUTS... -------------------------===//
//
// The merge: coverage directories, .profraw, .profdata and .covdb files in;
// an aggregate .profdata (--profdata) and/or a coverage database (-o) out.
// The work is lib/Merge (reading and summing) and lib/CovDB (attribution
// and the database); this file is options, messages and progress.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "StagedOutput.h"
#include "covlock/Attribution/Attribution.h"
#include "covlock/CovDB/CovDB.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/Merge/Merge.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Option/Option.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include <csignal>
#include <mutex>
#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "MergeOpts.inc"
#define COVLOCK_OPT_TABLE MergeOptTable
#include "covlock/Tool/OptTable.inc"

/// One line on a terminal, rewritten in place; nothing otherwise.
class ProgressLine {
public:
  explicit ProgressLine(bool Enabled) : Enabled(Enabled) {}
  ~ProgressLine() { clear(); }

  void update(StringRef Step, uint64_t Done, uint64_t Total) {
    if (!Enabled)
      return;
    std::lock_guard<std::mutex> G(Lock);
    std::string Line;
    raw_string_ostream(Line)
        << ToolName << ": " << Step << " " << Done << "/" << Total;
    errs() << '\r' << Line;
    if (Line.size() < Width)
      errs().indent(Width - Line.size());
    Width = Line.size();
    errs().flush();
  }

  void clear() {
    if (!Enabled || !Width)
      return;
    std::lock_guard<std::mutex> G(Lock);
    errs() << '\r';
    errs().indent(Width) << '\r';
    errs().flush();
    Width = 0;
  }

private:
  bool Enabled;
  size_t Width = 0;
  std::mutex Lock;
};
/// --dump-contexts: what the merge hands to the covdb writer, one line per
/// binary and context, problems indented below their context.
static void dumpContexts(const MergeResult &R, raw_ostream &OS) {
  for (size_t I = 0; I < R.Binaries.size(); ++I) {
    const BinaryLayout &B = R.Binaries[I];
    OS << "binary " << I << " " << B.Path
       << " id=" << (B.BinaryId.empty() ? "none" : B.BinaryId)
       << " functions=" << B.Functions.size() << " counters=" << B.NumCounters
       << " bitmap=" << B.NumBitmapBytes << "\n";
  }
  for (const Context &C : R.Contexts) {
    uint64_t Sum = 0;
    std::string Binaries;
    for (const ContextProfile &P : C.Profiles) {
      for (uint64_t V : P.Sparse ? P.NonZeroCounts : P.Counters)
        Sum += V;
      Binaries += (Binaries.empty() ? "" : ",") + std::to_string(P.Binary);
    }
    OS << "context label=" << C.Label << " test=" << (C.Test ? *C.Test : "-")
       << " " << confidenceName(C.Conf) << " processes=" << C.Processes
       << " lost=" << C.Lost << " failed=" << C.Failed
       << " unreadable=" << C.Unreadable << " binaries=[" << Binaries
       << "] sum=" << Sum << "\n";
    for (const MergeProblem &P : C.Problems)
      OS << "  problem " << P.Kind << " " << P.Path << ": " << P.Message
         << "\n";
  }
}
} // namespace

int mergeMain(int Argc, const char **Argv) {
#ifdef __GLIBC__
  // One malloc arena: the mapping decoded on one thread is used and freed
  // on others, and per-thread arenas made -o 15% slower and bigger.
  mallopt(M_ARENA_MAX, 1);
#endif
  MergeOptTable Table;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "");
  if (!Parsed)
    return ExitFailure;
  if (Parsed->hasArg(OPT_help)) {
    Table.printHelp(
        outs(),
        "llvm-covmerge [options] <input>...\n"
        "       llvm-covmerge report|who|export <file.covdb> [options]",
        "llvm-covmerge: merge coverage directories, .profraw, .profdata and "
        ".covdb files\ninto an aggregate profile and a per-test coverage "
        "database");
    return 0;
  }

  MergeOptions Opts;
  static int Anchor;
  Opts.IsolatedReader = sys::fs::getMainExecutable(Argv[0], &Anchor);
  Opts.Inputs = Parsed->getAllArgValues(OPT_INPUT);
  Opts.Objects = Parsed->getAllArgValues(OPT_object);
  if (const opt::Arg *A = Parsed->getLastArg(OPT_label))
    Opts.Label = A->getValue();
  if (const opt::Arg *A = Parsed->getLastArg(OPT_j)) {
    if (StringRef(A->getValue()).getAsInteger(10, Opts.Threads) ||
        Opts.Threads == 0)
      return reportError(Twine("invalid thread count '") + A->getValue() +
                         "'; " + helpHint(""));
  }
  bool ReplayThroughLLVM = false;
  if (const opt::Arg *A = Parsed->getLastArg(OPT_line_rules)) {
    StringRef R = A->getValue();
    if (R != "own" && R != "llvm")
      return reportError(Twine("invalid --line-rules '") + R +
                         "': want own or llvm");
    ReplayThroughLLVM = R == "llvm";
  }
  if (const opt::Arg *A = Parsed->getLastArg(OPT_failure_mode)) {
    StringRef M = A->getValue();
    if (M == "warn")
      Opts.Failure = FailureMode::Warn;
    else if (M == "any")
      Opts.Failure = FailureMode::Any;
    else if (M == "all")
      Opts.Failure = FailureMode::All;
    else
      return reportError("invalid failure mode '" + M +
                         "' (warn, any or all); " + helpHint(""));
  }
  Opts.WaitForRun = Parsed->hasArg(OPT_wait);
  std::string Out = Parsed->getLastArgValue(OPT_o).str();
  std::string Profdata = Parsed->getLastArgValue(OPT_profdata).str();
  bool Dump = Parsed->hasArg(OPT_dump_contexts);
  // Per-test counts stay sparse: dense ones for 500 tests of a big binary
  // would cost more memory than llvm-profdata's whole merge.
  Opts.SparseContexts = true;
  Opts.WantContexts = !Out.empty() || Dump;
  Opts.WantProfile = !Profdata.empty();
  if (Opts.Inputs.empty())
    return reportError("no inputs given; " + helpHint(""));
  if (Out.empty() && Profdata.empty() && !Dump)
    return reportError("no output given: -o <file.covdb> and/or --profdata "
                       "<file.profdata>; " +
                       helpHint(""));
  if (!Out.empty() && Out == Profdata)
    return reportError("-o and --profdata name the same file '" + Out + "'");

  bool Quiet = Parsed->hasArg(OPT_quiet);
  ProgressLine Progress(!Quiet && sys::Process::StandardErrIsDisplayed());
  Opts.Warn = [&](Error E) {
    if (Quiet) {
      consumeError(std::move(E));
      return;
    }
    Progress.clear();
    reportWarning(std::move(E));
  };
  // With --failure-mode=any a bad input is an error: the merge fails.
  Opts.BadInput = [&](Error E) {
    Progress.clear();
    if (Opts.Failure == FailureMode::Any) {
      reportError(std::move(E));
      return;
    }
    if (Quiet)
      consumeError(std::move(E));
    else
      reportWarning(std::move(E));
  };
  Opts.Progress = [&](uint64_t Done, uint64_t Total) {
    Progress.update("reading profiles", Done, Total);
  };

  // The binaries' coverage mappings are decoded while their profiles are
  // read.
  CoveragePreloader Preloader;
  if (!Out.empty()) {
    Opts.ExecutableFound = [&](StringRef Path) { Preloader.read(Path); };
    Opts.LayoutFound = [&](const BinaryLayout &L) {
      Preloader.start(L, ReplayThroughLLVM);
    };
  }
  Expected<MergeOutput> Merged = mergeInputs(Opts);
  Progress.clear();
  if (!Merged)
    return reportError(Merged.takeError());

  if (Dump)
    dumpContexts(Merged->Result, outs());

  // A file size limit must fail the write (and leave the old outputs), not
  // kill the merge half-way.
  ::signal(SIGXFSZ, SIG_IGN);
  // Every output is written under a staged name and published only when
  // all of them were written: a full disk during -o must not leave a new
  // --profdata beside the old database.
  std::vector<StagedOutput> Staged;
  auto Discard = make_scope_exit([&] {
    for (const StagedOutput &S : Staged)
      sys::fs::remove(S.Staged);
  });
  if (!Profdata.empty()) {
    Staged.push_back(stageOutput(Profdata));
    if (Error E = writeIndexedProfile(*Merged->Profile, Staged.back().Staged))
      return reportError(asErrorOf(Staged.back(), std::move(E)));
  }

  if (!Out.empty()) {
    Staged.push_back(stageOutput(Out));
    CovDBWriteOptions W;
    W.Threads = Opts.Threads;
    W.ReplayThroughLLVM = ReplayThroughLLVM;
    W.Preloaded = &Preloader;
    W.Progress = [&](size_t Done, size_t Total) {
      Progress.update("attributing contexts", Done, Total);
    };
    Error E = writeCovDB(std::move(Merged->Result), Merged->Databases,
                         Staged.back().Staged, W);
    Progress.clear();
    if (E)
      return reportError(asErrorOf(Staged.back(), std::move(E)));
  }
  if (Error E = publishOutputs(Staged))
    return reportError(std::move(E));
  Staged.clear();
  return 0;
}
