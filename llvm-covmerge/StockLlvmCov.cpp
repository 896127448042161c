//===- StockLlvmCov.cpp - The stock llvm-cov on a label of a covdb --------===//
//
// The label's aggregate profile and its binaries, checked against their
// build ids, handed to the stock llvm-cov: `report --style=llvm-cov-report`
// prints llvm-cov report's own table (with its per-instantiation counting,
// docs/llvm-covmerge.md "Two ways of counting lines") and `export
// --format=json` is llvm-cov export's JSON.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/Merge/Binaries.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include <mutex>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

/// Runs on several threads print one whole diagnostics block at a time.
static std::mutex DiagnosticsLock;

/// The llvm-cov of the LLVM covlock was built with, else one on PATH.
static Expected<std::string> findLlvmCov() {
  SmallString<256> Built(COVLOCK_LLVM_TOOLS_DIR);
  sys::path::append(Built, "llvm-cov");
  if (sys::fs::can_execute(Built))
    return std::string(Built);
  for (StringRef Name : {"llvm-cov-19", "llvm-cov"})
    if (ErrorOr<std::string> P = sys::findProgramByName(Name))
      return *P;
  return createStringError(inconvertibleErrorCode(),
                           "llvm-cov not found (looked in " +
                               Twine(COVLOCK_LLVM_TOOLS_DIR) + " and PATH)");
}

Expected<StockLlvmCov> StockLlvmCov::forLabel(const CovDB &DB,
                                              int64_t LabelId) {
  Expected<std::vector<CovDB::BinaryRef>> Binaries = DB.binaries(LabelId);
  if (!Binaries)
    return Binaries.takeError();
  if (Binaries->empty())
    return DB.error("the label has no binary for llvm-cov to read");
  StockLlvmCov Tool;
  // llvm-cov would read another build's mapping against these counts.
  for (const CovDB::BinaryRef &B : *Binaries) {
    Expected<BinaryInfo> Info = readBinaryInfo(B.Path);
    if (!Info) {
      consumeError(Info.takeError());
      return createFileError(
          B.Path, createStringError(inconvertibleErrorCode(),
                                    "binary of the label is gone or "
                                    "unreadable; llvm-cov needs it"));
    }
    if (Info->BuildId != B.BuildId)
      return createFileError(
          B.Path,
          createStringError(inconvertibleErrorCode(),
                            "build id " +
                                (Info->BuildId.empty() ? std::string("(none)")
                                                       : Info->BuildId) +
                                ", but the database's profiles "
                                "were written by build id " +
                                B.BuildId + " (rebuilt since?)"));
    // A relative path that starts with '-' would be read as an option.
    Tool.Binaries.push_back(StringRef(B.Path).starts_with("-") ? "./" + B.Path
                                                               : B.Path);
  }
  Expected<std::string> LlvmCov = findLlvmCov();
  if (!LlvmCov)
    return LlvmCov.takeError();
  Tool.LlvmCov = std::move(*LlvmCov);
  return std::move(Tool);
}

/// llvm-cov's "warning: 2 functions have mismatched data": the binaries
/// were checked against the profile's build ids, so such a function is
/// one whose name several binaries share (each test program's main), whose
/// counts the profile has for another binary: not damage, and not news.
static bool isSharedNameNotice(StringRef Line) {
  return Line.starts_with("warning: ") && Line.ends_with(" mismatched data");
}

Error StockLlvmCov::run(StringRef Profile, ArrayRef<StringRef> Subcommand,
                        std::optional<StringRef> Stdout) const {
  int FD;
  SmallString<128> Tmp;
  if (std::error_code EC =
          sys::fs::createTemporaryFile("covmerge-profile", "profdata", FD, Tmp))
    return createFileError("covmerge-profile.profdata", EC);
  auto Remove = make_scope_exit([&] { sys::fs::remove(Tmp); });
  {
    raw_fd_ostream OS(FD, /*shouldClose=*/true);
    OS << Profile;
    if (OS.has_error())
      return createFileError(Tmp, OS.error());
  }
  std::string InstrProfile = ("-instr-profile=" + Tmp).str();
  std::vector<StringRef> Args = {LlvmCov};
  llvm::append_range(Args, Subcommand);
  Args.push_back(Binaries.front());
  for (size_t I = 1; I < Binaries.size(); ++I) {
    Args.push_back("-object");
    Args.push_back(Binaries[I]);
  }
  Args.push_back(InstrProfile);
  // llvm-cov's diagnostics quote names from the database: they reach the
  // terminal escaped, as covlock's own do.
  SmallString<128> Err;
  if (std::error_code EC =
          sys::fs::createTemporaryFile("covmerge-llvm-cov", "err", Err))
    return createFileError("covmerge-llvm-cov.err", EC);
  auto RemoveErr = make_scope_exit([&] { sys::fs::remove(Err); });
  std::optional<StringRef> Redirects[] = {std::nullopt, Stdout, StringRef(Err)};
  std::string Message;
  int Status = sys::ExecuteAndWait(LlvmCov, Args, std::nullopt, Redirects, 0, 0,
                                   &Message);
  if (auto Text = MemoryBuffer::getFile(Err)) {
    SmallVector<StringRef, 8> Lines;
    (*Text)->getBuffer().split(Lines, '\n', -1, /*KeepEmpty=*/false);
    std::lock_guard<std::mutex> G(DiagnosticsLock);
    for (StringRef Line : Lines)
      if (!isSharedNameNotice(Line))
        errs() << printable(Line) << '\n';
  }
  if (Status < 0)
    return createFileError(
        LlvmCov, createStringError(inconvertibleErrorCode(), Message));
  if (Status != 0)
    return createFileError(
        LlvmCov, createStringError(inconvertibleErrorCode(),
                                   "exited with status " + Twine(Status)));
  return Error::success();
}

Error runLlvmCovOnLabel(const CovDB &DB, int64_t LabelId,
                        ArrayRef<StringRef> Subcommand,
                        std::optional<StringRef> Stdout) {
  Expected<StockLlvmCov> Tool = StockLlvmCov::forLabel(DB, LabelId);
  if (!Tool)
    return Tool.takeError();
  Expected<std::string> Profile = DB.labelProfile(LabelId);
  if (!Profile)
    return Profile.takeError();
  outs().flush();
  return Tool->run(*Profile, Subcommand, Stdout);
}
