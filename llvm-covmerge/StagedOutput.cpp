//===- StagedOutput.cpp - Outputs published together ----------------------===//
//
// A merge writes up to two outputs (--profdata, -o). Each is written under a
// staged name and all are renamed into place only once every one of them
// was written, keeping the permissions of the files they replace; staged
// and temporary files that a killed merge left behind are removed the next
// time that output is written.
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

/// Whether \p Name is one of Final's staging or temporary files left by a
/// process that is gone (a merge killed while writing).
static bool isStaleStaging(StringRef Name, StringRef Final) {
  StringRef Rest = Name;
  if (!Rest.consume_front(Final) ||
      !(Rest.consume_front(".staged-") || Rest.consume_front(".tmp-") ||
        Rest.consume_front(".tmp.")))
    return false;
  int64_t Pid;
  if (Rest.take_while(isDigit).getAsInteger(10, Pid) || Pid <= 0)
    return false;
  return ::kill(pid_t(Pid), 0) != 0 && errno == ESRCH;
}

/// A staged name for \p Final, after removing what earlier, killed merges
/// left for it.
StagedOutput stageOutput(StringRef Final) {
  SmallString<256> Dir(sys::path::parent_path(Final));
  if (Dir.empty())
    Dir = ".";
  std::string Base = sys::path::filename(Final).str();
  std::error_code EC;
  for (sys::fs::directory_iterator I(Dir, EC), E; I != E && !EC;
       I.increment(EC))
    if (isStaleStaging(sys::path::filename(I->path()), Base))
      sys::fs::remove(I->path());
  return {Final.str(),
          (Final + ".staged-" + Twine(sys::Process::getProcessId())).str()};
}

Error checkOutputTarget(StringRef Final) {
  sys::fs::file_status S;
  if (sys::fs::status(Final, S, /*Follow=*/false) ||
      sys::fs::is_regular_file(S))
    return Error::success();
  const char *Kind = sys::fs::is_symlink_file(S) ? "a symbolic link"
                     : sys::fs::is_directory(S)  ? "a directory"
                                                 : "a device, FIFO or socket";
  return createFileError(
      Final,
      createStringError(inconvertibleErrorCode(),
                        Twine("exists and is not a regular file (") + Kind +
                            "); outputs replace files, never "
                            "anything else: choose another path"));
}

/// Renames every staged output over its target, keeping the permissions
/// of a file it replaces.
Error publishOutputs(ArrayRef<StagedOutput> Outputs) {
  for (const StagedOutput &O : Outputs) {
    sys::fs::file_status Old;
    if (!sys::fs::status(O.Final, Old) && sys::fs::is_regular_file(Old))
      sys::fs::setPermissions(O.Staged, Old.permissions());
    if (std::error_code EC = sys::fs::rename(O.Staged, O.Final))
      return createFileError(O.Final, EC);
  }
  return Error::success();
}

Error asErrorOf(const StagedOutput &O, Error E) {
  // "<staged>[.tmp-N]: message" becomes "<final>: message"; errors about
  // other files stay as they are.
  return handleErrors(std::move(E), [&](std::unique_ptr<FileError> FE) {
    if (!FE->getFileName().starts_with(O.Staged))
      return Error(std::move(FE));
    return createFileError(O.Final,
                           createStringError(inconvertibleErrorCode(),
                                             FE->messageWithoutFileInfo()));
  });
}
