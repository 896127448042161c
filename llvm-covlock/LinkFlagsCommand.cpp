//===- LinkFlagsCommand.cpp - llvm-covlock link-flags ---------------------===//
//
// Prints what to add to a clang link line to link the covlock runtime, like
// llvm-config does for LLVM: the same flags for executables and shared
// objects. The runtime is found next to the tool: in the build tree and in
// an install, the tool is in <prefix>/bin and the libraries in <prefix>/lib.
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

static int printCFlags(StringRef Prefix) {
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

/// The module part goes whole into every module (its definitions must win
/// over compiler-rt's wherever it stands on the line); the runtime is a
/// shared library found through the rpath, one per process. With \p GTest,
/// the GoogleTest listener goes whole too: nothing references it, its static
/// initializer registers it.
static int printLinkFlags(StringRef Prefix, bool GTest) {
  SmallString<256> LibDir(Prefix), Module, Runtime, Listener;
  sys::path::append(LibDir, "lib");
  Module = LibDir;
  sys::path::append(Module, "libcovlock_module.a");
  Runtime = LibDir;
  sys::path::append(Runtime, "libcovlock_rt.so");
  Listener = LibDir;
  sys::path::append(Listener, "libcovlock_gtest.a");
  for (StringRef Needed : {Module.str(), Runtime.str()})
    if (!sys::fs::exists(Needed))
      return reportError(createFileError(
          Needed,
          createStringError(inconvertibleErrorCode(),
                            "covlock runtime not found (is it built?)")));
  if (GTest && !sys::fs::exists(Listener))
    return reportError(createFileError(
        Listener, createStringError(inconvertibleErrorCode(),
                                    "covlock GoogleTest listener not found "
                                    "(was GoogleTest found when covlock was "
                                    "built?)")));
  outs() << "-Wl,--whole-archive ";
  if (GTest)
    outs() << Listener << ' ';
  outs() << Module << " -Wl,--no-whole-archive " << Runtime << " -Wl,-rpath,"
         << LibDir << ' ' << WrapFlags << '\n';
  return 0;
}

int covlock::tool::linkFlagsMain(const char *Argv0,
                                 ArrayRef<const char *> Args) {
  LinkFlagsOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, Args, "link-flags",
                {"llvm-covlock link-flags [options]",
                 "llvm-covlock link-flags: print the flags that link the "
                 "covlock runtime into a program"},
                Exit);
  if (!Parsed)
    return Exit;
  if (const opt::Arg *A = Parsed->getLastArg(OPT_INPUT))
    return reportError(Twine("unexpected argument '") + A->getValue() + "'; " +
                       helpHint("link-flags"));

  std::string Prefix = getPrefix(Argv0);
  if (Parsed->hasArg(OPT_cflags))
    return printCFlags(Prefix);
  return printLinkFlags(Prefix, Parsed->hasArg(OPT_gtest));
}
