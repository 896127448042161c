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
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Option/Option.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include <csignal>
#include <mutex>
#include <set>
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
       << "] sum=" << Sum << " ends=" << C.Outcomes.Passed << "/"
       << C.Outcomes.Failed << "/" << C.Outcomes.Skipped << "\n";
    for (const MergeProblem &P : C.Problems)
      OS << "  problem " << P.Kind << " " << P.Path << ": " << P.Message
         << "\n";
  }
}
} // namespace

namespace {
/// What the merge's options ask for, besides lib/Merge's own options.
struct MergeRequest {
  MergeOptions Opts;
  std::string Out;      ///< -o: the database
  std::string Profdata; ///< --profdata: a path, with %l for the label
  bool Dump = false;
  bool Quiet = false;
  CoverageOptions Coverage;
  PathEquivalences Paths;
};
} // namespace

/// \p Pattern with each %l replaced by \p Label and each %% by %, in one
/// pass; \p HasLabel says whether there was a %l.
static std::string expandLabel(StringRef Pattern, StringRef Label,
                               bool *HasLabel = nullptr) {
  std::string Out;
  bool Found = false;
  for (size_t I = 0; I < Pattern.size(); ++I) {
    if (Pattern[I] == '%' && I + 1 < Pattern.size() &&
        (Pattern[I + 1] == 'l' || Pattern[I + 1] == '%')) {
      Found |= Pattern[I + 1] == 'l';
      Out += Pattern[I + 1] == 'l' ? Label : StringRef("%");
      ++I;
      continue;
    }
    Out += Pattern[I];
  }
  if (HasLabel)
    *HasLabel = Found;
  return Out;
}

static bool hasLabel(StringRef Pattern) {
  bool Found;
  expandLabel(Pattern, "", &Found);
  return Found;
}

/// An error if output \p Path is -o's or one of the inputs: the merge
/// would replace what it reads, or one output another.
static Error checkOutputIsNew(const MergeRequest &R, StringRef Path,
                              bool IsProfdata) {
  auto Same = [](StringRef A, StringRef B) {
    SmallString<256> RA, RB;
    if (sys::fs::real_path(A, RA) || sys::fs::real_path(B, RB))
      return A == B;
    return RA == RB;
  };
  if (IsProfdata && !R.Out.empty() && Same(Path, R.Out))
    return createFileError(Path,
                           createStringError(inconvertibleErrorCode(),
                                             "--profdata names -o's file"));
  for (const std::string &In : R.Opts.Inputs)
    if (Same(Path, In))
      return createFileError(
          Path, createStringError(inconvertibleErrorCode(),
                                  "an output names an input of the merge"));
  return Error::success();
}

/// The request of the parsed options; an error message for bad ones.
static Expected<MergeRequest> readRequest(const opt::InputArgList &Args,
                                          const char *Argv0) {
  MergeRequest R;
  MergeOptions &Opts = R.Opts;
  static int Anchor;
  Opts.IsolatedReader = sys::fs::getMainExecutable(Argv0, &Anchor);
  Opts.Inputs = Args.getAllArgValues(OPT_INPUT);
  Opts.Objects = Args.getAllArgValues(OPT_object);
  if (const opt::Arg *A = Args.getLastArg(OPT_label))
    Opts.Label = A->getValue();
  auto Bad = [](const Twine &Message) {
    return createStringError(inconvertibleErrorCode(), Message);
  };
  if (const opt::Arg *A = Args.getLastArg(OPT_j))
    if (StringRef(A->getValue()).getAsInteger(10, Opts.Threads) ||
        Opts.Threads == 0)
      return Bad(Twine("invalid thread count '") + A->getValue() + "'; " +
                 helpHint(""));
  if (const opt::Arg *A = Args.getLastArg(OPT_line_rules)) {
    StringRef Rules = A->getValue();
    if (Rules != "covlock" && Rules != "llvm")
      return Bad("invalid --line-rules '" + Rules + "': want covlock or llvm");
    R.Coverage.Rules = Rules == "llvm" ? LineRules::LLVM : LineRules::Covlock;
  }
  R.Coverage.ReplayThroughLLVM = Args.hasArg(OPT_replay_through_llvm);
  if (const opt::Arg *A = Args.getLastArg(OPT_failure_mode)) {
    StringRef M = A->getValue();
    if (M == "warn")
      Opts.Failure = FailureMode::Warn;
    else if (M == "any")
      Opts.Failure = FailureMode::Any;
    else if (M == "all")
      Opts.Failure = FailureMode::All;
    else
      return Bad("invalid failure mode '" + M + "' (warn, any or all); " +
                 helpHint(""));
  }
  Opts.WaitForRun = Args.hasArg(OPT_wait);
  for (StringRef Spec : Args.getAllArgValues(OPT_path_equivalence))
    if (Error E = R.Paths.add(Spec))
      return std::move(E);
  R.Out = Args.getLastArgValue(OPT_o).str();
  R.Profdata = Args.getLastArgValue(OPT_profdata).str();
  R.Dump = Args.hasArg(OPT_dump_contexts);
  R.Quiet = Args.hasArg(OPT_quiet);
  // Per-test counts stay sparse: dense ones for 500 tests of a big binary
  // would cost more memory than llvm-profdata's whole merge.
  Opts.SparseContexts = true;
  Opts.WantContexts = !R.Out.empty() || R.Dump;
  Opts.WantProfile = !R.Profdata.empty();
  if (Opts.Inputs.empty())
    return Bad("no inputs given; " + helpHint(""));
  if (R.Out.empty() && R.Profdata.empty() && !R.Dump)
    return Bad("no output given: -o <file.covdb> and/or --profdata "
               "<file.profdata>; " +
               helpHint(""));
  if (!R.Out.empty() && R.Out == R.Profdata)
    return Bad("-o and --profdata name the same file '" + R.Out + "'");
  // Said before the merge, not after it.
  if (!R.Out.empty()) {
    if (Error E = checkOutputTarget(R.Out))
      return std::move(E);
    if (Error E = checkOutputIsNew(R, R.Out, /*IsProfdata=*/false))
      return std::move(E);
  }
  if (!R.Profdata.empty() && !hasLabel(R.Profdata))
    if (Error E = checkOutputTarget(expandLabel(R.Profdata, "")))
      return std::move(E);
  return std::move(R);
}

/// --profdata's file for each label: the path itself for a single label;
/// with %l, the path with %l replaced by the label (as a file name, the way
/// test ids become key directories). Several labels without %l are an
/// error: one profile would sum functions of different builds by name and
/// hash (llvm-project #148279).
static Expected<std::vector<std::pair<std::string, std::string>>>
profdataFiles(StringRef Pattern, const std::vector<std::string> &Labels) {
  std::vector<std::pair<std::string, std::string>> Files;
  if (!hasLabel(Pattern)) {
    if (Labels.size() <= 1) {
      Files.push_back(
          {Labels.empty() ? "" : Labels[0], expandLabel(Pattern, "")});
      return Files;
    }
    std::string Names;
    for (const std::string &L : Labels)
      Names += (Names.empty() ? "'" : ", '") + L + "'";
    return createStringError(
        inconvertibleErrorCode(),
        "--profdata '" + Pattern + "': the inputs hold " +
            Twine(Labels.size()) + " labels (" + Names +
            "), builds whose profiles must not be summed into one; put %l in "
            "the path for one profile per label (--profdata 'cov-%l.profdata'"
            "), or give every input one label with --label");
  }
  for (const std::string &L : Labels)
    Files.push_back({L, expandLabel(Pattern, encodeTestKey(L))});
  return Files;
}

/// Stages --profdata: each label's aggregate, the .covdb inputs' labels
/// included.
static Error writeProfiles(const MergeRequest &R, MergeOutput &Merged,
                           std::vector<StagedOutput> &Staged) {
  for (const std::string &DB : Merged.Databases)
    if (Error E = addDatabaseAggregates(DB, Merged.Profiles, R.Opts.Label))
      return E;
  std::vector<std::string> Labels;
  for (auto &KV : Merged.Profiles)
    Labels.push_back(KV.first);
  auto Files = profdataFiles(R.Profdata, Labels);
  if (!Files)
    return Files.takeError();
  InstrProfWriter Empty; // no profile was read (only bad inputs)
  std::set<std::string> Written;
  for (auto &[Label, Path] : *Files) {
    if (Error E = checkOutputTarget(Path))
      return E;
    if (Error E = checkOutputIsNew(R, Path, /*IsProfdata=*/true))
      return E;
    if (!Written.insert(Path).second)
      return createFileError(
          Path, createStringError(inconvertibleErrorCode(),
                                  "two labels' profiles would share it"));
    Staged.push_back(stageOutput(Path));
    auto It = Merged.Profiles.find(Label);
    InstrProfWriter &W = It == Merged.Profiles.end() ? Empty : *It->second;
    if (Error E = writeIndexedProfile(W, Staged.back().Staged))
      return asErrorOf(Staged.back(), std::move(E));
  }
  return Error::success();
}

int mergeMain(int Argc, const char **Argv) {
#ifdef __GLIBC__
  // One malloc arena: the mapping decoded on one thread is used and freed
  // on others, and per-thread arenas made -o 15% slower and bigger.
  mallopt(M_ARENA_MAX, 1);
  // Buffers of megabytes (decoded mappings, line programs, table rows) are
  // made and freed again and again: handed back to the kernel each time by
  // default (munmap, heap trims), then faulted in again, zeroed. Keeping
  // them cut -o's CPU by 16% and the aggregate's by 10% at LLVM scale
  // (bench/scale.sh), for the same peak memory.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  MergeOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed = parseArgs(
      Table, ArrayRef(Argv + 1, Argv + Argc), "",
      {"llvm-covmerge [options] <input>...\n"
       "       llvm-covmerge report|who|show|export|impact <file.covdb> "
       "[options]\n"
       "       llvm-covmerge html <file.covdb> -o <dir>",
       "llvm-covmerge: merge coverage directories, .profraw, .profdata and "
       ".covdb files\ninto an aggregate profile and a per-test coverage "
       "database"},
      Exit);
  if (!Parsed)
    return Exit;
  Expected<MergeRequest> Request = readRequest(*Parsed, Argv[0]);
  if (!Request)
    return reportError(Request.takeError());
  MergeRequest &R = *Request;
  MergeOptions &Opts = R.Opts;

  ProgressLine Progress(!R.Quiet && sys::Process::StandardErrIsDisplayed());
  Opts.Warn = [&](Error E) {
    if (R.Quiet) {
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
    if (R.Quiet)
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
  if (!R.Out.empty()) {
    Opts.ExecutableFound = [&](StringRef Path) { Preloader.read(Path); };
    Opts.LayoutFound = [&](const BinaryLayout &L) {
      Preloader.start(L, R.Coverage);
    };
  }
  Expected<MergeOutput> Merged = mergeInputs(Opts);
  Progress.clear();
  if (!Merged)
    return reportError(Merged.takeError());

  if (R.Dump)
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
  if (!R.Profdata.empty())
    if (Error E = writeProfiles(R, *Merged, Staged))
      return reportError(std::move(E));

  if (!R.Out.empty()) {
    Staged.push_back(stageOutput(R.Out));
    CovDBWriteOptions W;
    W.Threads = Opts.Threads;
    W.Coverage = R.Coverage;
    if (!R.Quiet)
      W.Note = [&](StringRef File, const Twine &Message) {
        Progress.clear();
        diagnose(Severity::Note, File, Message);
      };
    W.Preloaded = &Preloader;
    W.Paths = R.Paths;
    W.Label = Opts.Label;
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
