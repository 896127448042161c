//===- Merge.cpp - Merging profiles and directories -----------------------===//
//
// The merge runs in three steps, each in its own file; Merger.h holds the
// state they share.
//
// 1. Collect (CollectInputs.cpp). Inputs become profile files ("units"),
//    each belonging to one context (label x test); what a coverage
//    directory says is missing is recorded against its context.
//
// 2. Sum (SumProfiles.cpp; parallel, one task per context). Raw profiles
//    are matched to a layout (a binary, as seen through its profiles) and
//    their counters added to the context's sums as arrays. ResolveBinaries.cpp
//    then finds the instrumented binary of each layout.
//
// 3. Write (WriteProfile.cpp; sequential, in the sorted order of the files).
//    Records go into an InstrProfWriter in the order llvm-profdata would use,
//    so the written file is the same, byte for byte. BuildResult.cpp turns
//    the contexts into the MergeResult.
//
// Sums saturate as InstrProfRecord::merge's do, so they are independent of
// the order and of the number of threads; bitmap bytes are ORed.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace covlock {

char DirectoryBusyError::ID = 0;

void DirectoryBusyError::log(raw_ostream &OS) const {
  OS << "a run is in progress (" << Holder
     << "); wait for it to finish, or pass --wait";
}

std::error_code DirectoryBusyError::convertToErrorCode() const {
  return std::make_error_code(std::errc::resource_unavailable_try_again);
}

namespace merge {

Error fileError(StringRef Path, const Twine &Message) {
  return createFileError(Path,
                         createStringError(inconvertibleErrorCode(), Message));
}

/// The message of \p E without a file name: readers' errors name no file.
std::string messageOf(Error E) {
  std::string Msg;
  handleAllErrors(
      std::move(E),
      [&](const FileError &FE) {
        if (!Msg.empty())
          Msg += "; ";
        Msg += FE.messageWithoutFileInfo();
      },
      [&](const ErrorInfoBase &EI) {
        if (!Msg.empty())
          Msg += "; ";
        Msg += EI.message();
      });
  // Some of LLVM's messages run over several lines; ours are one line each.
  for (size_t I; (I = Msg.find('\n')) != std::string::npos;)
    Msg.replace(I, 1, " ");
  return Msg;
}

Expected<MergeOutput> Merger::run() {
  if (Error E = collect())
    return std::move(E);

  std::vector<LabelSums> Aggregates;
  sumAll(Aggregates);

  if (Error E = resolveBinaries())
    return std::move(E);

  // Write, in the files' order, as llvm-profdata would meet them.
  MergeOutput Out;
  writeInOrder(Out.Profiles, Aggregates);

  MergeStats &St = Out.Stats;
  St.Profiles = Units.size();
  for (auto &U : Units) {
    St.Read += U->State == Unit::Bulk || U->State == Unit::Other;
    St.Bad += U->State == Unit::Bad;
    St.Bulk += U->State == Unit::Bulk;
  }
  for (auto &L : Registry.layouts())
    St.Layouts += !L->Rejected;
  St.Databases = Databases.size();

  uint64_t Bad = St.Bad + BadInputs;
  uint64_t All = St.Profiles + BadInputs + Databases.size();
  if (Opts.Failure == FailureMode::Any && Bad)
    return createStringError(inconvertibleErrorCode(),
                             Twine(Bad) + " of " + Twine(All) +
                                 " inputs could not be merged "
                                 "(--failure-mode=any)");
  if (St.Read == 0 && Databases.empty())
    return createStringError(inconvertibleErrorCode(),
                             All ? "no profile could be merged"
                                 : "no profiles found in the inputs");

  if (Opts.WantContexts)
    Out.Result = buildResult();
  Out.Databases = std::move(Databases);
  return std::move(Out);
}

} // namespace merge

Expected<MergeOutput> mergeInputs(const MergeOptions &Options) {
  merge::Merger M(Options);
  return M.run();
}

} // namespace covlock
