//===- RunCommand.cpp - llvm-covlock run ----------------------------------===//
//
// Runs a command (a test suite) with the run lock of a coverage directory:
// fails at once if another run holds it, joins it if this is a nested run of
// the same run, clears the directory, exports COVLOCK_* and reports one
// summary line. The exit status is the command's.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "covlock/Locking/RunLock.h"
#include "covlock/Merge/Compact.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "RunOpts.inc"
#define COVLOCK_OPT_TABLE RunOptTable
#include "covlock/Tool/OptTable.inc"

/// Where our options end and the command begins in the arguments.
struct CommandSplit {
  size_t OptionsEnd;
  size_t CommandBegin;
};
} // namespace

/// The command starts after "--" or at the first argument that is not an
/// option or an option's value, so `run make -j4` works like `run -- make
/// -j4`. The table itself says which options take values.
static CommandSplit splitCommand(const RunOptTable &Table,
                                 ArrayRef<const char *> Args) {
  opt::InputArgList List(Args.begin(), Args.end());
  unsigned Index = 0;
  while (Index < Args.size()) {
    if (StringRef(Args[Index]) == "--")
      return {Index, Index + 1};
    unsigned Start = Index;
    std::unique_ptr<opt::Arg> A = Table.ParseOneArg(List, Index);
    // A missing value: the full parse of the options reports it.
    if (!A)
      break;
    if (A->getOption().getKind() == opt::Option::InputClass)
      return {Start, Start};
  }
  return {Args.size(), Args.size()};
}

static std::vector<const char *> makeArgv(ArrayRef<std::string> Command) {
  std::vector<const char *> Argv;
  for (const std::string &Word : Command)
    Argv.push_back(Word.c_str());
  Argv.push_back(nullptr);
  return Argv;
}

/// A nested `llvm-covlock run` of the run that holds the lock: the command
/// runs as part of that run. Returns only if it cannot be started.
static int joinRun(ArrayRef<std::string> Command) {
  std::vector<const char *> Argv = makeArgv(Command);
  execvp(Argv[0], const_cast<char *const *>(Argv.data()));
  int Err = errno;
  diagnose(Severity::Error, Command.front(), strerror(Err));
  return ExitCannotRun;
}

/// Whether this process runs inside the run \p Holder, on directory \p Dir.
static bool isNestedIn(const LockHolder &Holder, StringRef Dir) {
  const char *Run = getenv(EnvRun.data());
  const char *EnvDirValue = getenv(EnvDir.data());
  if (!Holder.Record || !Run || !EnvDirValue || Holder.Record->Run != Run)
    return false;
  bool Same = false;
  return !sys::fs::equivalent(EnvDirValue, Dir, Same) && Same;
}

// The child, for the handler that forwards SIGTERM and SIGHUP to it.
static volatile sig_atomic_t ChildPid = 0;

static void forwardSignal(int Sig) {
  pid_t Pid = ChildPid;
  if (Pid > 0)
    kill(Pid, Sig);
}

namespace {
/// Signal dispositions while the command runs: SIGINT and SIGQUIT come from
/// the terminal to the whole process group, so the command already gets
/// them and we ignore them; SIGTERM and SIGHUP are sent to us alone, so we
/// pass them on. Signals the caller ignores stay ignored, in us and in the
/// command.
class CommandSignals {
public:
  static constexpr int Ignored[] = {SIGINT, SIGQUIT};
  static constexpr int Forwarded[] = {SIGTERM, SIGHUP};

  CommandSignals() {
    sigset_t All;
    sigemptyset(&All);
    for (int Sig : Ignored)
      sigaddset(&All, Sig);
    for (int Sig : Forwarded)
      sigaddset(&All, Sig);
    // Blocked until the child's pid is known, so none is missed.
    sigprocmask(SIG_BLOCK, &All, &OldMask);
    sigemptyset(&ChildDefaults);
    for (int Sig : Ignored)
      install(Sig, SIG_IGN);
    for (int Sig : Forwarded)
      install(Sig, forwardSignal);
  }

  /// Signals the child starts with default handling (not those the caller
  /// made us ignore).
  const sigset_t &childDefaults() const { return ChildDefaults; }
  const sigset_t &oldMask() const { return OldMask; }

  void unblock() { sigprocmask(SIG_SETMASK, &OldMask, nullptr); }

  ~CommandSignals() {
    for (auto &[Sig, Action] : Saved)
      sigaction(Sig, &Action, nullptr);
    unblock();
  }

private:
  void install(int Sig, void (*Handler)(int)) {
    struct sigaction Old;
    sigaction(Sig, nullptr, &Old);
    Saved.push_back({Sig, Old});
    if (Old.sa_handler == SIG_IGN)
      return;
    sigaddset(&ChildDefaults, Sig);
    struct sigaction New = {};
    New.sa_handler = Handler;
    sigemptyset(&New.sa_mask);
    New.sa_flags = SA_RESTART;
    sigaction(Sig, &New, nullptr);
  }

  sigset_t OldMask;
  sigset_t ChildDefaults;
  std::vector<std::pair<int, struct sigaction>> Saved;
};
} // namespace

namespace {
/// Compacts the directory while the command runs, on a thread of its own,
/// so that disk use stays bounded: a round every 10 ms while there is work,
/// backing off to a quarter second when idle. The thread keeps the normal
/// priority: at nice 10, on a machine busy with other work, it got a tenth
/// of a test process's share of the CPU and fell behind for good (32 GB of
/// raw profiles waiting in bench/scale.sh), while when the machine has a
/// core to spare its priority does not matter.
class BackgroundCompactor {
public:
  explicit BackgroundCompactor(StringRef Dir) : C(options(Dir)) {
    Thread = std::thread([this] { loop(); });
  }

  /// Stops the thread, then compacts what the command left.
  Expected<CompactStats> finish() {
    {
      std::lock_guard<std::mutex> G(Lock);
      Stop = true;
    }
    Wake.notify_all();
    Thread.join();
    // The last round waits for whoever holds the lock, and folds every
    // test's packs into one.
    C.setWait(true);
    return C.compact(/*Full=*/true);
  }

private:
  static CompactOptions options(StringRef Dir) {
    CompactOptions O;
    O.Dir = Dir.str();
    O.Wait = false; // a merge that is reading: try again next round
    O.Watch = true;
    O.Warn = [](Error E) { reportWarning(std::move(E)); };
    return O;
  }

  void loop() {
    std::unique_lock<std::mutex> G(Lock);
    // From the start, and while there is work, a round every 10 ms; idle
    // rounds back off to a quarter second.
    std::chrono::milliseconds Pause(10);
    while (!Wake.wait_for(G, Pause, [this] { return Stop; })) {
      G.unlock();
      Expected<CompactStats> S = C.compact();
      bool Worked = S && S->Keys;
      if (!S)
        reportWarning(S.takeError());
      G.lock();
      // While the suite publishes, keep up with it: the raw profiles
      // waiting for a round are what the directory's peak size is made of.
      Pause = Worked ? std::chrono::milliseconds(10)
                     : std::min(Pause * 2, std::chrono::milliseconds(250));
    }
  }

  Compactor C;
  std::thread Thread;
  std::mutex Lock;
  std::condition_variable Wake;
  bool Stop = false;
};
} // namespace

/// Run \p Command and wait for it. Returns its wait status, or the errno
/// of a failed start in \p SpawnErr.
static int runAndWait(ArrayRef<std::string> Command, int &SpawnErr) {
  std::vector<const char *> Argv = makeArgv(Command);
  CommandSignals Signals;

  posix_spawnattr_t Attr;
  posix_spawnattr_init(&Attr);
  posix_spawnattr_setsigdefault(&Attr, &Signals.childDefaults());
  posix_spawnattr_setsigmask(&Attr, &Signals.oldMask());
  posix_spawnattr_setflags(&Attr,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t Pid;
  SpawnErr = posix_spawnp(&Pid, Argv[0], nullptr, &Attr,
                          const_cast<char *const *>(Argv.data()), environ);
  posix_spawnattr_destroy(&Attr);
  if (SpawnErr)
    return 0;

  ChildPid = Pid;
  Signals.unblock();
  int Status = 0;
  while (waitpid(Pid, &Status, 0) < 0 && errno == EINTR)
    ;
  ChildPid = 0;
  return Status;
}

/// Die of signal \p Sig, so that our caller sees what the command did.
[[noreturn]] static void raiseSignal(int Sig) {
  outs().flush();
  signal(Sig, SIG_DFL);
  // The command has dumped core already if it was to; a second core of the
  // wrapper would only mislead.
  struct rlimit NoCore = {0, 0};
  setrlimit(RLIMIT_CORE, &NoCore);
  sigset_t Set;
  sigemptyset(&Set);
  sigaddset(&Set, Sig);
  sigprocmask(SIG_UNBLOCK, &Set, nullptr);
  raise(Sig);
  // Signals whose default is to be ignored (SIGCHLD, SIGWINCH...) end here.
  _exit(128 + Sig);
}

/// The summary of what the run left in \p Dir (\p Shown as the user named
/// it), after a command that ended with \p WaitStatus; with \p ListTests,
/// followed by `status`'s per-test table.
static void printSummary(StringRef Dir, StringRef ShownAsGiven, int WaitStatus,
                         bool ListTests) {
  std::string Shown = printable(ShownAsGiven);
  // Let processes that are publishing finish, but do not hang on one that
  // is stuck: the counts are then only a little early.
  Expected<LockFile> Flush =
      acquireFlushLock(Dir, LockKind::Exclusive, std::chrono::seconds(2));
  if (!Flush)
    consumeError(Flush.takeError());
  // Nor count while a compactor (`llvm-covlock compact`) moves records.
  Expected<std::optional<LockFile>> Compact =
      acquireCompactLock(Dir, LockKind::Shared, /*Wait=*/true);
  if (!Compact)
    consumeError(Compact.takeError());
  // Unreadable files are for `status` to explain; the summary stays one line.
  Expected<DirectoryContents> Contents =
      readCoverageDirectory(Dir, [](Error E) { consumeError(std::move(E)); });
  if (!Contents) {
    reportWarning(Contents.takeError());
    return;
  }
  DirectorySummary Sum = summarizeDirectory(*Contents);
  const ProcessCounts &C = Sum.Total;
  errs() << "covlock: " << C.Processes << " processes, " << C.Flushed
         << " flushed, " << C.Lost << " lost, " << C.Bytes << " bytes in "
         << Shown << '\n';
  if (ListTests && C.Processes)
    printTestTable(errs(), Sum);
  // 126 and 127: a shell could not run something; that is what to fix.
  bool CommandNotRun =
      WIFEXITED(WaitStatus) &&
      (WEXITSTATUS(WaitStatus) == 126 || WEXITSTATUS(WaitStatus) == 127);
  if (C.Stock)
    errs() << "covlock: note: " << countOf(C.Stock, "process", "processes")
           << " wrote a stock profile only: nothing on a crash, _exit or "
              "exec, and no test unless a covlock process started them; link "
              "programs with $(llvm-covlock link-flags) "
              "(merge: llvm-covmerge --object BINARY), and harnesses that "
              "filter the environment (lit) must pass COVLOCK_* on "
              "(docs/lit.md)\n";
  else if (C.Processes == 0 && !CommandNotRun)
    errs() << "covlock: note: no process reported to " << Shown
           << "; programs must be linked with $(llvm-covlock link-flags), "
              "and harnesses that filter the environment (lit) must pass "
              "COVLOCK_* on (docs/lit.md)\n";
  if (C.Failed)
    errs() << "covlock: warning: " << C.Failed
           << " processes could not write their profile; see 'llvm-covlock "
              "status "
           << Shown << "'\n";
}

/// Programs built with plain -fprofile-instr-generate, not linked with the
/// runtime, write their stock profile into DIR/_outside rather than a
/// default.profraw wherever they ran, unless the user chose a file (one
/// that covlock chose, for an outer run, is replaced). A process that has
/// the runtime moves it to its own test's directory. compiler-rt's writer
/// follows symbolic links: nothing is exported through one.
static void exportStockProfileFile(StringRef AbsDir) {
  const char *Current = getenv("LLVM_PROFILE_FILE");
  const char *Ours = getenv(EnvStockProfileFile.data());
  if ((Current && *Current && !(Ours && StringRef(Current) == Ours)) ||
      AbsDir.contains('%')) // no pattern can name a directory with a '%'
    return;
  unsetenv("LLVM_PROFILE_FILE");
  unsetenv(EnvStockProfileFile.data());
  SmallString<256> Outside(AbsDir);
  sys::path::append(Outside, OutsideKey);
  // compiler-rt creates it when it writes; one there already (--append)
  // must be a directory.
  sys::fs::file_status S;
  if (!sys::fs::status(Outside, S, /*Follow=*/false) &&
      !sys::fs::is_directory(S)) {
    diagnose(Severity::Warning, Outside,
             "not a directory (a symbolic link?); programs not linked with "
             "the runtime write their profile as without covlock");
    return;
  }
  SmallString<256> Pattern(Outside);
  sys::path::append(Pattern, "%h.%p.stock.profraw");
  setenv("LLVM_PROFILE_FILE", Pattern.c_str(), 1);
  setenv(EnvStockProfileFile.data(), Pattern.c_str(), 1);
}

int covlock::tool::runMain(const char *, ArrayRef<const char *> Args) {
  RunOptTable Table;
  CommandSplit Split = splitCommand(Table, Args);
  int Exit;
  std::optional<opt::InputArgList> Parsed = parseArgs(
      Table, Args.take_front(Split.OptionsEnd), "run",
      {"llvm-covlock run [options] [--] <command> [<args>...]",
       "llvm-covlock run: run a command holding the run lock of a coverage "
       "directory"},
      Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Command;
  for (const char *Word : Args.drop_front(Split.CommandBegin))
    Command.push_back(Word);
  if (Command.empty())
    return reportError("no command given; " + helpHint("run"));

  std::string Dir = "coverage";
  if (const opt::Arg *A = Parsed->getLastArg(OPT_dir_EQ))
    Dir = A->getValue();
  else if (const char *Env = getenv(EnvDir.data()); Env && *Env)
    Dir = Env;
  std::optional<std::string> Label;
  if (const opt::Arg *A = Parsed->getLastArg(OPT_label_EQ))
    Label = A->getValue();
  bool Append = Parsed->hasArg(OPT_append);

  if (Error E = createCoverageDirectory(Dir))
    return reportError(std::move(E));
  SmallString<256> AbsDir;
  if (std::error_code EC = sys::fs::real_path(Dir, AbsDir))
    return reportError(createFileError(Dir, EC));

  OwnerRecord Owner = OwnerRecord::forThisProcess(Command, AbsDir, Label);

  std::optional<RunLock> Lock;
  {
    Expected<RunLock> L = RunLock::acquire(AbsDir, Owner);
    if (!L) {
      int Status = ExitFailure;
      std::optional<int> Joined;
      Error Rest = handleErrors(L.takeError(), [&](const RunLockBusyError &B) {
        if (isNestedIn(B.holder(), AbsDir)) {
          Joined = joinRun(Command);
          return;
        }
        Status = ExitBusy;
        diagnose(Severity::Error, Dir,
                 "a run is in progress (" + B.holder().describe() +
                     "); use another --dir, or wait for it to finish");
      });
      if (Rest)
        return reportError(std::move(Rest));
      return Joined ? *Joined : Status;
    }
    Lock.emplace(std::move(*L));
  }

  if (!Append) {
    // A compactor that is running (`llvm-covlock compact`) finishes first.
    Expected<std::optional<LockFile>> Compact =
        acquireCompactLock(AbsDir, LockKind::Exclusive, /*Wait=*/true);
    if (!Compact)
      return reportError(Compact.takeError());
    Expected<LockFile> Flush = acquireFlushLock(AbsDir, LockKind::Exclusive);
    if (!Flush)
      return reportError(Flush.takeError());
    if (Error E = clearCoverageDirectory(AbsDir))
      return reportError(std::move(E));
  }

  setenv(EnvDir.data(), AbsDir.c_str(), 1);
  setenv(EnvRun.data(), Owner.Run.c_str(), 1);
  if (Label)
    setenv(EnvLabel.data(), Label->c_str(), 1);
  exportStockProfileFile(AbsDir);

  std::optional<BackgroundCompactor> Compaction;
  if (!Parsed->hasArg(OPT_no_compact))
    Compaction.emplace(AbsDir);
  int SpawnErr = 0;
  int WaitStatus = runAndWait(Command, SpawnErr);
  if (Compaction)
    if (Expected<CompactStats> S = Compaction->finish(); !S)
      reportWarning(S.takeError());
  if (SpawnErr) {
    diagnose(Severity::Error, Command.front(), strerror(SpawnErr));
    return ExitCannotRun;
  }

  printSummary(AbsDir, Dir, WaitStatus, Parsed->hasArg(OPT_tests));
  Lock.reset();
  if (WIFSIGNALED(WaitStatus))
    raiseSignal(WTERMSIG(WaitStatus));
  return WIFEXITED(WaitStatus) ? WEXITSTATUS(WaitStatus) : ExitFailure;
}
