//===- HtmlCommand.cpp - llvm-covmerge html -------------------------------===//
//
// A static site from a .covdb, opened straight from disk: an index (per
// label, per file), a table of tests, a page per source file (each line's
// state in every label, and on demand the tests that cover it) and a page
// per test (the files and lines it covers). HtmlSite.h describes the
// layout; the site is written under a staged name and swapped in whole,
// under a lock beside it (one writer of a DIR at a time).
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "HtmlSite.h"
#include "StagedOutput.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include <chrono>
#include <thread>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "HtmlOpts.inc"
#define COVLOCK_OPT_TABLE HtmlOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

/// Every page of the site into \p Dir; a source that cannot be read gets
/// a page of line numbers, and one warning says how many did.
static Error writeSite(const CovDB &DB, StringRef Dir) {
  auto S = html::loadSite(DB);
  if (!S)
    return S.takeError();
  for (const char *Sub : {"/f", "/t"})
    if (std::error_code EC =
            sys::fs::create_directory(Dir + Sub, true, sys::fs::all_all))
      return createFileError(Dir + Sub, EC);
  size_t Unreadable = 0;
  std::string First;
  auto Note = [&](StringRef Path, StringRef Why) {
    if (!Unreadable++)
      First = (printable(Path) + " (" + Why + ")").str();
  };
  if (Error E = html::writeAssets(Dir))
    return E;
  if (Error E = html::writeIndex(*S, Dir))
    return E;
  if (Error E = html::writeFileScript(*S, Dir))
    return E;
  if (Error E = html::writeTestTable(*S, Dir))
    return E;
  if (Error E = html::writeContextScript(*S, Dir))
    return E;
  if (Error E = html::writeSourcePages(DB, *S, Dir, Note))
    return E;
  if (Error E = html::writeTestPages(DB, *S, Dir))
    return E;
  if (Unreadable)
    diagnose(Severity::Warning, "",
             Twine(Unreadable) + " of " + Twine(S->Files.size()) +
                 " sources cannot be read; their pages show line numbers "
                 "only: " +
                 First + (Unreadable > 1 ? ", ..." : ""));
  return Error::success();
}

/// --test-pause=FILE: FILE (written whole, under a temporary name) holds
/// our pid, and we wait until it is removed.
static Error pauseForTest(StringRef File) {
  std::string Temporary = (File + ".tmp").str();
  {
    std::error_code EC;
    raw_fd_ostream OS(Temporary, EC);
    if (EC)
      return createFileError(Temporary, EC);
    OS << sys::Process::getProcessId() << '\n';
  }
  if (std::error_code EC = sys::fs::rename(Temporary, File))
    return createFileError(File, EC);
  auto Deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sys::fs::exists(File) && std::chrono::steady_clock::now() < Deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return Error::success();
}

int htmlMain(int Argc, const char **Argv) {
  HtmlOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "html",
                {"llvm-covmerge html [options] <file.covdb> -o <dir>",
                 "A static HTML site (opened from disk) of a coverage "
                 "database: files, tests, and the tests that cover each "
                 "line"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError("expected one coverage database; " + helpHint("html"));
  // "site/", "site/." and "./site" all name site.
  SmallString<256> OutPath(Parsed->getLastArgValue(OPT_o));
  bool Given = !OutPath.empty();
  sys::path::remove_dots(OutPath);
  StringRef Out = OutPath;
  while (Out.size() > 1 && Out.ends_with("/"))
    Out = Out.drop_back();
  if (Out.empty() && !Given)
    return reportError("expected an output directory (-o <dir>); " +
                       helpHint("html"));
  if (Out.empty() || sys::path::filename(Out) == "..")
    return reportError(createFileError(
        Parsed->getLastArgValue(OPT_o),
        createStringError(inconvertibleErrorCode(),
                          "names no directory of its own (a site replaces "
                          "the directory it is written to); name the "
                          "site's directory")));
  if (Error E = checkDirectoryTarget(Out, html::SiteMarker))
    return reportError(std::move(E));
  // Held until the site is published (or discarded), released however
  // this process ends.
  auto Lock = DirectoryLock::acquire(Out, html::SiteMarker);
  if (!Lock)
    return reportError(Lock.takeError());

  auto Opened = openDatabase(Inputs[0], nullptr,
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  auto Staged = stageDirectory(Out, html::SiteMarker);
  if (!Staged)
    return reportError(Staged.takeError());
  if (Error E = writeSite(*Opened->DB, Staged->Staged)) {
    discardDirectory(*Staged);
    return reportError(asErrorOf(*Staged, std::move(E)));
  }
  if (const opt::Arg *A = Parsed->getLastArg(OPT_test_pause_EQ))
    if (Error E = pauseForTest(A->getValue())) {
      discardDirectory(*Staged);
      return reportError(std::move(E));
    }
  if (Error E = publishDirectory(*Staged, html::SiteMarker)) {
    discardDirectory(*Staged);
    return reportError(std::move(E));
  }
  return 0;
}
