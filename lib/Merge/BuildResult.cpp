//===- BuildResult.cpp - The merge's per-context result -------------------===//
//
// The MergeResult that the coverage database is written from: the binaries
// (layouts not rejected, in the order of their first profile) and every
// context with its sums per binary, its problems and its confidence.
//
//===----------------------------------------------------------------------===//

#include "Merger.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <tuple>

using namespace llvm;

namespace covlock {
namespace merge {

MergeResult Merger::buildResult() {
  MergeResult R;
  std::vector<Layout *> Layouts;
  for (auto &L : Registry.layouts())
    if (!L->Rejected)
      Layouts.push_back(L.get());
  llvm::sort(Layouts, [](Layout *A, Layout *B) {
    return A->FirstUnit.load() < B->FirstUnit.load();
  });
  for (Layout *L : Layouts) {
    L->Index = R.Binaries.size();
    R.Binaries.push_back(L->describe(L->BinaryPath));
  }
  for (auto &[Key, Ctx] : Contexts) {
    Context C = std::move(Ctx.C);
    for (auto &[L, S] : Ctx.PerLayout) {
      if (L->Rejected)
        continue;
      ContextProfile P;
      P.Binary = L->Index;
      P.Counters = std::move(S.Counters);
      P.Bitmap = std::move(S.Bitmap);
      P.Sparse = S.Sparse;
      P.NonZero = std::move(S.NonZero);
      P.NonZeroCounts = std::move(S.NonZeroCounts);
      C.Profiles.push_back(std::move(P));
    }
    llvm::sort(C.Profiles,
               [](const ContextProfile &A, const ContextProfile &B) {
                 return A.Binary < B.Binary;
               });
    // Stored paths do not depend on how the inputs were spelled (a
    // shard's database equals the merge of its directory from anywhere).
    for (MergeProblem &P : C.Problems) {
      SmallString<256> Abs(P.Path);
      sys::fs::make_absolute(Abs);
      sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
      P.Path = std::string(Abs);
    }
    llvm::sort(C.Problems);
    if (!C.Test)
      C.Conf = Confidence::Outside;
    else if (C.Lost || C.Failed || C.Unreadable || !C.Problems.empty())
      C.Conf = Confidence::Dubious;
    else if (Ctx.Boundary)
      C.Conf = Confidence::Normal;
    else
      C.Conf = Confidence::Exact;
    R.Contexts.push_back(std::move(C));
  }
  return R;
}

} // namespace merge
} // namespace covlock
