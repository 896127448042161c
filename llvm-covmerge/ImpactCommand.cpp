//===- ImpactCommand.cpp - llvm-covmerge impact ---------------------------===//
//
// `git diff -U0 BASE | llvm-covmerge impact DB`: the tests that cover the
// lines a diff changes, per label, and the changed lines no test covers or
// a label does not compile (ImpactReport.cpp). The diff's files are found
// in the database as `who` finds a file (CovDB::resolveFiles); a file the
// database does not have is a warning.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "Impact.h"
#include "covlock/Diff/UnifiedDiff.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <map>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
#define COVLOCK_OPTS_INC "ImpactOpts.inc"
#define COVLOCK_OPT_TABLE ImpactOptTable
#include "covlock/Tool/OptTable.inc"
} // namespace

/// The most standard input impact reads: a pipe has no size to check first,
/// and a diff this big is not a change anyone selects tests for.
constexpr size_t MaxStdinDiffBytes = size_t(256) << 20;

/// Standard input, read in pieces up to MaxStdinDiffBytes.
static Expected<std::unique_ptr<MemoryBuffer>> readStandardInput() {
  constexpr size_t Piece = 1 << 20;
  SmallVector<char, 0> Bytes;
  sys::fs::file_t In = sys::fs::getStdinHandle();
  while (true) {
    size_t Old = Bytes.size();
    if (Old > MaxStdinDiffBytes)
      return createStringError(inconvertibleErrorCode(),
                               "more than %zu bytes of diff; pass a smaller "
                               "one",
                               MaxStdinDiffBytes);
    Bytes.resize_for_overwrite(Old + Piece);
    Expected<size_t> N =
        sys::fs::readNativeFile(In, MutableArrayRef(Bytes).drop_front(Old));
    if (!N)
      return N.takeError();
    Bytes.truncate(Old + *N);
    if (*N == 0)
      return MemoryBuffer::getMemBufferCopy(StringRef(Bytes.data(), Old), "-");
  }
}

/// The diff's changed files, parsed from \p Name ("-": standard input); a
/// file name with too few directories to strip is a warning, and its
/// lines are left out.
static Expected<std::vector<diff::ChangedFile>>
readDiff(StringRef Name, diff::ParseOptions Options) {
  Options.Warning = [&](Error E) {
    diagnose(Severity::Warning, Name,
             toString(std::move(E)) + "; its changed lines are not counted");
  };
  // readRegularFile's errors name the file already.
  Expected<std::unique_ptr<MemoryBuffer>> Buf =
      Name == "-" ? readStandardInput() : readRegularFile(Name);
  if (!Buf)
    return Name == "-" ? createFileError(Name, Buf.takeError())
                       : Buf.takeError();
  auto Files = diff::parseUnifiedDiff((*Buf)->getBuffer(), Options);
  if (!Files)
    return createFileError(Name, Files.takeError());
  return Files;
}

/// The database's files among \p Changed (sorted by stored path, several
/// names of one file joined); a name that matches none is a warning
/// naming \p DiffName, one that matches several an error.
static Expected<std::vector<ChangedSource>>
matchFiles(const CovDB &DB, StringRef DiffName,
           std::vector<diff::ChangedFile> &Changed) {
  std::vector<std::string> Names;
  for (const diff::ChangedFile &F : Changed)
    Names.push_back(F.Path);
  auto Matches = DB.resolveFiles(Names);
  if (!Matches)
    return Matches.takeError();
  std::map<std::string, ChangedSource> ByPath;
  for (size_t I = 0; I != Changed.size(); ++I) {
    const CovDB::FileMatch &M = (*Matches)[I];
    if (M.Candidates.size() > 1)
      return DB.unresolved(Names[I], M);
    if (M.Candidates.empty()) {
      size_t N = Changed[I].Lines.size();
      diagnose(Severity::Warning, DiffName,
               "'" + Names[I] + "' matches no source file in " + DB.path() +
                   " (" + Twine(N) +
                   (N == 1 ? " changed line" : " changed lines") +
                   " not counted)");
      continue;
    }
    ChangedSource &S = ByPath[M.file()->second];
    S.FileId = M.file()->first;
    S.Path = M.file()->second;
    llvm::append_range(S.Lines, Changed[I].Lines);
  }
  std::vector<ChangedSource> V;
  for (auto &[Path, S] : ByPath) {
    llvm::sort(S.Lines);
    S.Lines.erase(std::unique(S.Lines.begin(), S.Lines.end()), S.Lines.end());
    V.push_back(std::move(S));
  }
  return V;
}

int impactMain(int Argc, const char **Argv) {
  ImpactOptTable Table;
  int Exit;
  std::optional<opt::InputArgList> Parsed =
      parseArgs(Table, ArrayRef(Argv + 1, Argv + Argc), "impact",
                {"llvm-covmerge impact [options] <file.covdb> [<diff>|-]",
                 "The tests that cover the lines a unified diff changes "
                 "(standard input without <diff>), per label"},
                Exit);
  if (!Parsed)
    return Exit;
  std::vector<std::string> Inputs = Parsed->getAllArgValues(OPT_INPUT);
  if (Inputs.empty() || Inputs.size() > 2)
    return reportError("expected a coverage database and at most one diff; " +
                       helpHint("impact"));
  std::string DiffName = Inputs.size() == 2 ? Inputs[1] : "-";
  diff::ParseOptions Options;
  Options.OldSide = Parsed->hasArg(OPT_old);
  if (const opt::Arg *A = Parsed->getLastArg(OPT_strip))
    if (StringRef(A->getValue()).getAsInteger(10, Options.StripComponents) ||
        Options.StripComponents > 4096)
      return reportError(Twine("--strip needs a number of directories, not '") +
                         A->getValue() + "'; " + helpHint("impact"));

  // The database first: with the arguments swapped, the error names the
  // file that is not a database.
  auto Opened = openDatabase(Inputs[0], nullptr,
                             Parsed->getAllArgValues(OPT_path_equivalence));
  if (!Opened)
    return reportError(Opened.takeError());
  auto Labels = findLabels(*Opened->DB, Parsed->getAllArgValues(OPT_label));
  if (!Labels)
    return reportError(Labels.takeError());
  auto Changed = readDiff(DiffName, Options);
  if (!Changed)
    return reportError(Changed.takeError());
  auto Files = matchFiles(*Opened->DB, DiffName, *Changed);
  if (!Files)
    return reportError(Files.takeError());
  std::vector<int64_t> LabelIds;
  for (const CovDB::Label &L : *Labels)
    LabelIds.push_back(L.Id);
  if (Error E = printImpact(*Opened->DB, *Files, LabelIds,
                            Parsed->hasArg(OPT_tests_only), outs()))
    return reportError(std::move(E));
  return 0;
}
