//===- StagedDirectory.cpp - Directory outputs published whole ------------===//
//
// `llvm-covmerge html -o DIR` writes DIR.staged-<pid> and swaps it in for
// DIR once every page is written: a reader sees the old site or the new
// one (for the instant between two renames, none). Only a directory that
// llvm-covmerge wrote (it holds the marker file) or an empty one is
// replaced; anything else at DIR is an error, never deleted. Two writers
// of one DIR would rename each other's sites away: the second fails at
// once on DIR's lock, before it stages anything.
//
//===----------------------------------------------------------------------===//

#include "StagedOutput.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include <cerrno>
#include <csignal>
#include <thread>
#include <unistd.h>

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

/// What the marker of a directory staged by process \p Pid says: a copy of
/// a site under a name like DIR.staged-<pid> (a user's backup) does not
/// say its own name's pid, and is never taken for a leftover.
/// A published site's marker says no pid: the same database gives the same
/// bytes.
static std::string markerText(std::optional<int64_t> Pid) {
  std::string Text = "A site written by llvm-covmerge html, which replaces "
                     "this directory when it writes it again.\n";
  if (Pid)
    Text += "staged by process " + std::to_string(*Pid) + "\n";
  return Text;
}

static std::error_code writeMarker(StringRef Dir, StringRef Marker,
                                   std::optional<int64_t> Pid) {
  std::error_code EC;
  raw_fd_ostream OS(Dir.str() + "/" + Marker.str(), EC);
  if (!EC)
    OS << markerText(Pid);
  return EC;
}

/// Whether \p Path (named \p Name) is Final's staged directory left by a
/// process that is gone: a real directory (a symbolic link is never
/// followed, nor removed through) whose marker names that process.
static bool isStale(StringRef Path, StringRef Name, StringRef Final,
                    StringRef Marker) {
  StringRef Rest = Name;
  if (!Rest.consume_front(Final) || !Rest.consume_front(".staged-"))
    return false;
  int64_t Pid;
  if (Rest.getAsInteger(10, Pid) || Pid <= 0)
    return false;
  sys::fs::file_status S;
  if (sys::fs::status(Path, S, /*Follow=*/false) || !sys::fs::is_directory(S))
    return false;
  // The marker itself: a regular file, never through a link.
  Expected<std::unique_ptr<MemoryBuffer>> Text =
      covlock::readRegularFile((Path + "/" + Marker).str(), /*NoFollow=*/true);
  if (!Text) {
    consumeError(Text.takeError());
    return false;
  }
  if ((*Text)->getBuffer() != markerText(Pid))
    return false;
  return ::kill(pid_t(Pid), 0) != 0 && errno == ESRCH;
}

/// Whether \p File is still the file at its path: a holder removes the
/// lock file before it lets go, so a waiter may lock a file that is gone.
static bool isAtItsPath(const covlock::LockFile &File) {
  sys::fs::file_status Open, AtPath;
  return !sys::fs::status(File.fd(), Open) &&
         !sys::fs::status(File.path(), AtPath, /*Follow=*/false) &&
         sys::fs::equivalent(Open, AtPath);
}

static Error busyError(StringRef Final, std::optional<int64_t> Pid) {
  std::string Who = "another llvm-covmerge html";
  if (Pid)
    Who += " (pid " + std::to_string(*Pid) + ")";
  return createFileError(
      Final,
      createStringError(
          std::make_error_code(std::errc::resource_unavailable_try_again),
          Who + " is writing this site; try again when it is done"));
}

/// The pid that the holder of \p File wrote into it; std::nullopt when
/// the lock went meanwhile (\p Released) or no live pid appears in time.
/// A holder writes its pid just after locking, over the pid of a holder
/// that was killed: a pid that is gone is waited past.
static Expected<std::optional<int64_t>>
readHolder(const covlock::LockFile &File, bool &Released) {
  Released = false;
  for (int Try = 0; Try < 50; ++Try) {
    Expected<std::string> Text = File.readContents();
    if (!Text)
      return Text.takeError();
    int64_t Pid;
    if (!StringRef(*Text).trim().getAsInteger(10, Pid) && Pid > 0 &&
        (::kill(pid_t(Pid), 0) == 0 || errno != ESRCH))
      return Pid;
    Expected<bool> Locked = File.isLockedByOther(covlock::LockKind::Exclusive);
    if (!Locked)
      return Locked.takeError();
    if (!*Locked) {
      Released = true;
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

Expected<DirectoryLock> DirectoryLock::acquire(StringRef Final,
                                               StringRef Marker) {
  std::string Path = (Final + Marker + ".lock").str();
  // Retried only when the lock changed hands while we looked at it.
  for (int Try = 0; Try < 20; ++Try) {
    Expected<covlock::LockFile> File =
        covlock::LockFile::open(Path, covlock::LockFile::ReadWriteCreate);
    if (!File)
      return File.takeError();
    Expected<bool> Got = File->tryLock(covlock::LockKind::Exclusive);
    if (!Got)
      return Got.takeError();
    if (*Got) {
      if (!isAtItsPath(*File))
        continue;
      if (Error E = File->replaceContents(
              std::to_string(sys::Process::getProcessId()) + "\n"))
        return std::move(E);
      return DirectoryLock(std::move(*File));
    }
    bool Released;
    Expected<std::optional<int64_t>> Pid = readHolder(*File, Released);
    if (!Pid)
      return Pid.takeError();
    if (!Released)
      return busyError(Final, *Pid);
  }
  return busyError(Final, std::nullopt);
}

DirectoryLock::~DirectoryLock() {
  // Removed while still held, so that no one locks it after us and
  // believes they own it (acquire() checks the file is still there).
  if (File && isAtItsPath(*File))
    sys::fs::remove(File->path());
}

Expected<StagedOutput> stageDirectory(StringRef Final, StringRef Marker) {
  SmallString<256> Parent(sys::path::parent_path(Final));
  if (Parent.empty())
    Parent = ".";
  std::string Base = sys::path::filename(Final).str();
  std::error_code EC;
  for (sys::fs::directory_iterator I(Parent, EC), E; I != E && !EC;
       I.increment(EC))
    if (isStale(I->path(), sys::path::filename(I->path()), Base, Marker))
      sys::fs::remove_directories(I->path());
  StagedOutput O{
      Final.str(),
      (Final + ".staged-" + Twine(sys::Process::getProcessId())).str()};
  if (std::error_code EC =
          sys::fs::create_directory(O.Staged, false, sys::fs::all_all))
    return createFileError(O.Final, EC);
  if (std::error_code MarkEC =
          writeMarker(O.Staged, Marker, sys::Process::getProcessId())) {
    discardDirectory(O);
    return createFileError(O.Final, MarkEC);
  }
  return O;
}

Error publishDirectory(const StagedOutput &O, StringRef Marker) {
  if (Error E = checkDirectoryTarget(O.Final, Marker))
    return E;
  if (std::error_code EC = writeMarker(O.Staged, Marker, std::nullopt))
    return createFileError(O.Staged, EC);
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
  if (!Replacing)
    return Error::success();
  // What was renamed is what the check saw, unless DIR was swapped for a
  // symbolic link meanwhile: that is removed, never walked.
  sys::fs::file_status S;
  if (!sys::fs::status(Old, S, /*Follow=*/false) && !sys::fs::is_directory(S))
    return errorCodeToError(sys::fs::remove(Old));
  if (std::error_code EC = sys::fs::remove_directories(Old))
    return createFileError(Old, EC);
  return Error::success();
}

void discardDirectory(const StagedOutput &O) {
  sys::fs::remove_directories(O.Staged);
}
