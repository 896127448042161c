//===- CovDBTestUtil.cpp - Real programs for the attribution tests --------===//

#include "CovDBTestUtil.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/raw_ostream.h"

extern char **environ;

using namespace llvm;

namespace covlock {
namespace testutil {

TempDir::TempDir() {
  if (sys::fs::createUniqueDirectory("covdb-test", Path))
    report_fatal_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  if (!getenv("COVLOCK_KEEP_TEST_DIRS"))
    sys::fs::remove_directories(Path);
}

std::string TempDir::file(StringRef Name) const {
  SmallString<128> P(Path);
  sys::path::append(P, Name);
  return std::string(P);
}

int run(ArrayRef<std::string> Argv, ArrayRef<std::string> Env,
        std::string *Out) {
  std::vector<StringRef> Args(Argv.begin(), Argv.end());
  std::vector<std::string> EnvStrings;
  for (char **E = environ; *E; ++E)
    EnvStrings.push_back(*E);
  EnvStrings.insert(EnvStrings.end(), Env.begin(), Env.end());
  std::vector<StringRef> EnvRefs(EnvStrings.begin(), EnvStrings.end());
  SmallString<128> OutFile;
  sys::fs::createTemporaryFile("covdb-test-out", "txt", OutFile);
  std::optional<StringRef> Redirects[] = {std::nullopt, StringRef(OutFile),
                                          std::nullopt};
  std::string Err;
  int RC = sys::ExecuteAndWait(Argv[0], Args, ArrayRef<StringRef>(EnvRefs),
                               Redirects, 0, 0, &Err);
  if (Out) {
    auto Buf = MemoryBuffer::getFile(OutFile);
    *Out = Buf ? (*Buf)->getBuffer().str() : "";
  }
  sys::fs::remove(OutFile);
  if (RC != 0)
    errs() << "command failed (" << RC << "): " << join(Args, " ") << ' ' << Err
           << '\n';
  return RC;
}

std::string clang() { return COVLOCK_TEST_CLANG; }

std::string llvmTool(StringRef Name) {
  return (Twine(COVLOCK_TEST_LLVM_TOOLS) + "/" + Name).str();
}

std::string compile(const TempDir &Dir, StringRef Name, StringRef Ext,
                    StringRef Source, ArrayRef<std::string> Flags) {
  std::string Src = Dir.file((Name + "." + Ext).str());
  std::string Bin = Dir.file(Name);
  {
    std::error_code EC;
    raw_fd_ostream OS(Src, EC);
    OS << Source;
  }
  std::vector<std::string> Argv = {Ext == "c" ? clang() : clang() + "++",
                                   "-fprofile-instr-generate",
                                   "-fcoverage-mapping",
                                   "-O0",
                                   "-o",
                                   Bin,
                                   Src};
  Argv.insert(Argv.end(), Flags.begin(), Flags.end());
  if (run(Argv) != 0)
    return "";
  return Bin;
}

std::vector<std::string>
runTests(const TempDir &Dir, const std::string &Bin,
         const std::vector<std::vector<std::string>> &ArgLists) {
  std::vector<std::string> Profiles;
  for (size_t I = 0; I != ArgLists.size(); ++I) {
    std::string Prof = Dir.file(("t" + Twine(I) + ".profraw").str());
    std::vector<std::string> Argv = {Bin};
    Argv.insert(Argv.end(), ArgLists[I].begin(), ArgLists[I].end());
    run(Argv, {"LLVM_PROFILE_FILE=" + Prof});
    Profiles.push_back(Prof);
  }
  return Profiles;
}

Expected<MergeResult> mergeRaw(const std::string &Bin,
                               ArrayRef<std::string> Profiles,
                               StringRef Label) {
  MergeResult MR;
  MR.Binaries.emplace_back();
  BinaryLayout &B = MR.Binaries.back();
  B.Path = Bin;
  auto FS = vfs::getRealFileSystem();
  for (size_t I = 0; I != Profiles.size(); ++I) {
    auto ReaderOrErr = InstrProfReader::create(Profiles[I], *FS);
    if (!ReaderOrErr)
      return ReaderOrErr.takeError();
    Context C;
    C.Label = Label.str();
    C.Test = ("t" + Twine(I)).str();
    C.Processes = 1;
    ContextProfile P;
    size_t Func = 0;
    for (NamedInstrProfRecord &R : **ReaderOrErr) {
      if (I == 0) {
        LayoutFunction F;
        F.Name = R.Name.str();
        F.NameRef = IndexedInstrProf::ComputeHash(F.Name);
        F.Hash = R.Hash;
        F.FirstCounter = B.NumCounters;
        F.NumCounters = R.Counts.size();
        F.FirstBitmapByte = B.NumBitmapBytes;
        F.NumBitmapBytes = R.BitmapBytes.size();
        B.NumCounters += F.NumCounters;
        B.NumBitmapBytes += F.NumBitmapBytes;
        B.Functions.push_back(F);
      }
      if (Func >= B.Functions.size() ||
          B.Functions[Func].NumCounters != R.Counts.size())
        return createStringError(inconvertibleErrorCode(), "layout differs");
      P.Counters.insert(P.Counters.end(), R.Counts.begin(), R.Counts.end());
      P.Bitmap.insert(P.Bitmap.end(), R.BitmapBytes.begin(),
                      R.BitmapBytes.end());
      ++Func;
    }
    if (Error E = (*ReaderOrErr)->getError())
      return std::move(E);
    C.Profiles.push_back(std::move(P));
    MR.Contexts.push_back(std::move(C));
  }
  return MR;
}

LcovLines llvmCovLines(const TempDir &Dir, const std::string &Bin,
                       ArrayRef<std::string> Profiles) {
  std::string ProfData = Dir.file("oracle.profdata");
  std::vector<std::string> Merge = {llvmTool("llvm-profdata"), "merge", "-o",
                                    ProfData};
  Merge.insert(Merge.end(), Profiles.begin(), Profiles.end());
  LcovLines Result;
  if (run(Merge) != 0)
    return Result;
  std::string Out;
  if (run({llvmTool("llvm-cov"), "export", "-format=lcov", Bin,
           "-instr-profile=" + ProfData},
          {}, &Out) != 0)
    return Result;
  std::string File;
  SmallVector<StringRef, 0> Lines;
  SplitString(Out, Lines, "\n");
  for (StringRef L : Lines) {
    if (L.consume_front("SF:"))
      File = L.str();
    else if (L.consume_front("DA:")) {
      auto [LineStr, CountStr] = L.split(',');
      unsigned Line = 0;
      uint64_t Count = 0;
      LineStr.getAsInteger(10, Line);
      CountStr.getAsInteger(10, Count);
      Result[File][Line] = Count;
    }
  }
  return Result;
}

} // namespace testutil
} // namespace covlock
