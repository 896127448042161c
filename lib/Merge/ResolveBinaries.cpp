//===- ResolveBinaries.cpp - Which binary each layout's profiles came from ===//
//
// Each raw profile layout is matched to an instrumented binary: one given
// with --object, else one that the flush records name, verified by build id
// (or, without build ids, by the names section). With --object, profiles of
// none of the binaries given or named are bad input; without, a layout with
// no known binary is an error that asks for --object (a module linked
// without covlock has no record to name it).
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "covlock/Merge/Binaries.h"
#include <set>

using namespace llvm;

namespace covlock {
namespace merge {

Error Merger::resolveBinaries() {
  std::vector<Layout *> Layouts;
  for (auto &L : Registry.layouts())
    Layouts.push_back(L.get());
  if (Opts.Objects.empty() && !Opts.WantContexts)
    return Error::success();

  std::vector<BinaryInfo> Objects;
  for (const std::string &O : Opts.Objects) {
    Expected<BinaryInfo> Info = readBinaryInfo(O);
    if (!Info)
      return Info.takeError();
    Objects.push_back(std::move(*Info));
  }
  auto Matches = [](const BinaryInfo &B, const Layout &L) {
    std::string Id = L.View.firstBinaryId();
    if (!Id.empty() || !B.BuildId.empty())
      return Id == B.BuildId;
    return !B.Names.empty() && B.Names == L.View.Names;
  };
  // A profile of the right binary whose function table is not the binary's
  // (a damaged file: a flipped hash) cannot be placed in its mapping.
  auto SameFunctions = [](const BinaryInfo &B, const Layout &L) {
    if (B.Functions.empty()) // no data section to compare with
      return true;
    if (B.Functions.size() != L.View.NumData)
      return false;
    for (uint64_t I = 0; I < L.View.NumData; ++I) {
      std::optional<RawDataRecord> R = decodeDataRecord(L.View, I);
      if (!R || R->NameRef != B.Functions[I].first ||
          R->FuncHash != B.Functions[I].second)
        return false;
    }
    return true;
  };
  auto RejectDamaged = [&](Layout &L, std::vector<Unit *> &Us,
                           const std::string &Path) {
    L.Rejected = true;
    for (Unit *U : Us)
      markBad(*U, "unreadable",
              "its function table is not that of " + Path +
                  " (same build id): the profile is damaged");
  };

  // Units per layout, for the executables their records name.
  std::map<Layout *, std::vector<Unit *>> Members;
  for (auto &U : Units)
    if (U->State == Unit::Bulk)
      Members[U->L].push_back(U.get());

  Error Errors = Error::success();
  for (Layout *L : Layouts) {
    std::string Id = L->View.firstBinaryId();
    std::vector<Unit *> &Us = Members[L];
    if (Us.empty()) {
      // Every profile of it was bad (a pack's layout file that is not its
      // profiles' binary): nothing to show, no binary needed.
      L->Rejected = true;
      continue;
    }
    const BinaryInfo *Given = nullptr;
    for (const BinaryInfo &B : Objects)
      if (Matches(B, *L)) {
        Given = &B;
        break;
      }
    if (Given && !SameFunctions(*Given, *L)) {
      RejectDamaged(*L, Us, Given->Path);
      continue;
    }
    if (Given) {
      L->BinaryPath = Given->Path;
      continue;
    }
    // Else the binaries the flush records name, verified.
    std::set<std::string> Tried;
    std::string Why, DamagedAgainst;
    for (Unit *U : Us) {
      if (U->Exe.empty() || !Tried.insert(U->Exe).second)
        continue;
      Expected<BinaryInfo> Info = readBinaryInfo(U->Exe);
      if (!Info) {
        Why = U->Exe + ": " + messageOf(Info.takeError());
        continue;
      }
      if (Matches(*Info, *L)) {
        (SameFunctions(*Info, *L) ? L->BinaryPath : DamagedAgainst) = U->Exe;
        break;
      }
      Why = U->Exe + ": build id " +
            (Info->BuildId.empty() ? std::string("none") : Info->BuildId) +
            ", but its profiles were written by build id " +
            (Id.empty() ? std::string("none") : Id) +
            " (rebuilt since the run?)";
    }
    if (!L->BinaryPath.empty())
      continue;
    if (!DamagedAgainst.empty()) {
      RejectDamaged(*L, Us, DamagedAgainst);
      continue;
    }
    if (!Objects.empty()) {
      // Profiles of none of the binaries given or named: bad input.
      L->Rejected = true;
      std::string Ids;
      for (const BinaryInfo &B : Objects)
        Ids += (Ids.empty() ? "" : ", ") +
               (B.BuildId.empty() ? "none" : B.BuildId);
      for (Unit *U : Us)
        markBad(*U, "mismatch",
                "profile of another binary (build id " +
                    (Id.empty() ? std::string("none") : Id) +
                    ") than --object (build id " + Ids + ")");
      continue;
    }
    std::string Example = Us.empty() ? std::string() : Us.front()->Path;
    if (Why.empty())
      Why = Example + ": no binary is known for this profile (build id " +
            (Id.empty() ? std::string("none") : Id) + ")";
    Errors =
        joinErrors(std::move(Errors),
                   createStringError(
                       inconvertibleErrorCode(),
                       Why + "; pass the instrumented binary with --object"));
  }
  return Errors;
}

} // namespace merge
} // namespace covlock
