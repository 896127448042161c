//===- StagedDirectory.cpp - Directory outputs published whole ------------===//
//
// `llvm-covmerge html -o DIR` writes DIR.staged-<pid> and swaps it in for
// DIR once every page is written: a reader sees the old site or the new
// one (for the instant between two renames, none). Only a directory that
// llvm-covmerge wrote (it holds the marker file) or an empty one is
// replaced; anything else at DIR is an error, never deleted.
//
//===----------------------------------------------------------------------===//

#include "StagedOutput.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include <cerrno>
#include <csignal>

using namespace llvm;

static Error targetError(StringRef Final, const Twine &Why) {
  return createFileError(
      Final, createStringError(inconvertibleErrorCode(),
                               Why + "; choose another output directory"));
}

static bool holdsMarker(const Twine &Dir, StringRef Marker) {
  sys::fs::file_status S;
  return !sys::fs::status(Dir + "/" + Marker, S, /*Follow=*/false) &&
         sys::fs::is_regular_file(S);
}

static bool isEmptyDirectory(StringRef Dir) {
  std::error_code EC;
  sys::fs::directory_iterator I(Dir, EC);
  return !EC && I == sys::fs::directory_iterator();
}

Error checkDirectoryTarget(StringRef Final, StringRef Marker) {
  sys::fs::file_status S;
  if (std::error_code EC = sys::fs::status(Final, S, /*Follow=*/false))
    return EC == std::errc::no_such_file_or_directory
               ? Error::success()
               : createFileError(Final, EC);
  if (sys::fs::is_symlink_file(S))
    return targetError(Final, "is a symbolic link, which is never replaced");
  if (!sys::fs::is_directory(S))
    return targetError(Final, "exists and is not a directory");
  if (holdsMarker(Final, Marker) || isEmptyDirectory(Final))
    return Error::success();
  return targetError(Final, "is a directory that llvm-covmerge html did not "
                            "write (it has no " +
                                Marker + "), which is never replaced");
}

/// Whether \p Name is Final's staged or replaced directory left by a
/// process that is gone.
static bool isStale(StringRef Name, StringRef Final) {
  StringRef Rest = Name;
  if (!Rest.consume_front(Final) ||
      !(Rest.consume_front(".staged-") || Rest.consume_front(".old-")))
    return false;
  int64_t Pid;
  if (Rest.getAsInteger(10, Pid) || Pid <= 0)
    return false;
  return ::kill(pid_t(Pid), 0) != 0 && errno == ESRCH;
}

Expected<StagedOutput> stageDirectory(StringRef Final, StringRef Marker) {
  SmallString<256> Parent(sys::path::parent_path(Final));
  if (Parent.empty())
    Parent = ".";
  std::string Base = sys::path::filename(Final).str();
  std::error_code EC;
  for (sys::fs::directory_iterator I(Parent, EC), E; I != E && !EC;
       I.increment(EC))
    if (isStale(sys::path::filename(I->path()), Base) &&
        holdsMarker(I->path(), Marker))
      sys::fs::remove_directories(I->path());
  StagedOutput O{
      Final.str(),
      (Final + ".staged-" + Twine(sys::Process::getProcessId())).str()};
  if (std::error_code EC = sys::fs::create_directory(O.Staged, false))
    return createFileError(O.Final, EC);
  std::error_code MarkEC;
  {
    raw_fd_ostream OS(O.Staged + "/" + Marker.str(), MarkEC);
    if (!MarkEC)
      OS << "A site written by llvm-covmerge html, which replaces this "
            "directory when it writes it again.\n";
  }
  if (MarkEC) {
    discardDirectory(O);
    return createFileError(O.Final, MarkEC);
  }
  return O;
}

Error publishDirectory(const StagedOutput &O, StringRef Marker) {
  if (Error E = checkDirectoryTarget(O.Final, Marker))
    return E;
  std::string Old =
      (O.Final + ".old-" + Twine(sys::Process::getProcessId())).str();
  bool Replacing = sys::fs::exists(O.Final);
  if (Replacing)
    if (std::error_code EC = sys::fs::rename(O.Final, Old))
      return createFileError(O.Final, EC);
  if (std::error_code EC = sys::fs::rename(O.Staged, O.Final)) {
    if (Replacing)
      sys::fs::rename(Old, O.Final);
    return createFileError(O.Final, EC);
  }
  if (Replacing)
    if (std::error_code EC = sys::fs::remove_directories(Old))
      return createFileError(Old, EC);
  return Error::success();
}

void discardDirectory(const StagedOutput &O) {
  sys::fs::remove_directories(O.Staged);
}
