//===- HtmlCommand.cpp - llvm-covmerge html -------------------------------===//
//
// A static site from a .covdb, opened straight from disk: an index (per
// label, per file), a table of tests, a page per source file (each line's
// state in every label, and on demand the tests that cover it) and a page
// per test (the files and lines it covers). HtmlSite.h describes the
// layout; the site is written under a staged name and swapped in whole.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "HtmlSite.h"
#include "StagedOutput.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

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

int htmlMain(int Argc, const char **Argv) {
  HtmlOptTable Table;
  auto Parsed = parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "html");
  if (!Parsed)
    return ExitFailure;
  if (Parsed->hasArg(OPT_help)) {
    Table.printHelp(outs(),
                    "llvm-covmerge html [options] <file.covdb> -o <dir>",
                    "A static HTML site (opened from disk) of a coverage "
                    "database: files, tests, and the tests that cover each "
                    "line");
    return 0;
  }
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.size() != 1)
    return reportError("expected one coverage database; " + helpHint("html"));
  StringRef Out = Parsed->getLastArgValue(OPT_o);
  while (Out.size() > 1 && Out.ends_with("/"))
    Out = Out.drop_back();
  if (Out.empty())
    return reportError("expected an output directory (-o <dir>); " +
                       helpHint("html"));
  if (Error E = checkDirectoryTarget(Out, html::SiteMarker))
    return reportError(std::move(E));

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
  if (Error E = publishDirectory(*Staged, html::SiteMarker)) {
    discardDirectory(*Staged);
    return reportError(std::move(E));
  }
  return 0;
}
