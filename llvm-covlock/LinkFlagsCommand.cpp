//===- LinkFlagsCommand.cpp - llvm-covlock link-flags ---------------------===//
//
// Prints what to add to a clang link line to link the covlock runtime, like
// llvm-config does for LLVM. The runtime is found next to the tool: in the
// build tree and in an install, the tool is in <prefix>/bin and the archive
// in <prefix>/lib.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "LinkFlagsOpts.inc"
#define COVLOCK_OPT_TABLE LinkFlagsOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

// The wrapped functions end a process image without exit(): the runtime
// flushes in its wrappers. The list comes from runtime/CMakeLists.txt.
static constexpr StringLiteral WrapFlags = COVLOCK_WRAP_FLAGS;

/// <bindir>/.. of the running executable.
static std::string getPrefix(const char *Argv0) {
  static int Anchor;
  std::string Exe = sys::fs::getMainExecutable(Argv0, &Anchor);
  SmallString<256> Prefix(sys::path::parent_path(sys::path::parent_path(Exe)));
  sys::path::remove_dots(Prefix, /*remove_dot_dot=*/true);
  return std::string(Prefix);
}

int covlock::tool::linkFlagsMain(const char *Argv0,
                                 ArrayRef<const char *> Args) {
  LinkFlagsOptTable Table;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, Args, "link-flags");
  if (!Parsed)
    return ExitFailure;
  if (Parsed->hasArg(OPT_help)) {
    Table.printHelp(outs(), "llvm-covlock link-flags [options]",
                    "llvm-covlock link-flags: print the flags that link the "
                    "covlock runtime into a program");
    return 0;
  }
  if (const opt::Arg *A = Parsed->getLastArg(OPT_INPUT))
    return reportError(Twine("unexpected argument '") + A->getValue() + "'; " +
                       helpHint("link-flags"));

  std::string Prefix = getPrefix(Argv0);
  if (Parsed->hasArg(OPT_cflags)) {
    SmallString<256> Include(Prefix), Header;
    sys::path::append(Include, "include");
    Header = Include;
    sys::path::append(Header, "covlock", "covlock.h");
    if (!sys::fs::exists(Header))
      return reportError(createFileError(
          Header, createStringError(inconvertibleErrorCode(),
                                    "covlock runtime header not found")));
    outs() << "-I" << Include << '\n';
    return 0;
  }

  SmallString<256> Archive(Prefix);
  sys::path::append(Archive, "lib", "libcovlock_rt.a");
  if (!sys::fs::exists(Archive))
    return reportError(createFileError(
        Archive,
        createStringError(inconvertibleErrorCode(),
                          "covlock runtime not found (is it built?)")));
  // --whole-archive: the runtime's definitions must win over compiler-rt's
  // whatever the order of objects and libraries on the link line.
  outs() << "-Wl,--whole-archive " << Archive << " -Wl,--no-whole-archive "
         << WrapFlags << '\n';
  return 0;
}
