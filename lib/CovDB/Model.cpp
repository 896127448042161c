//===- Model.cpp - The covdb in memory: binaries, equal contexts ----------===//

#include "Model.h"
#include "ProfileBytes.h"
#include "covlock/CovDB/Encoding.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"
#include <numeric>
#include <set>

using namespace llvm;

namespace covlock {
namespace covdb {

static Error modelError(const Twine &Message) {
  return createStringError(inconvertibleErrorCode(), Message);
}

unsigned Model::addBinary(BinaryModel B) {
  for (unsigned I = 0; I != Binaries.size(); ++I)
    if (Binaries[I].key() == B.key())
      return I;
  Binaries.push_back(std::move(B));
  return Binaries.size() - 1;
}

Expected<const BinaryLayout *> LayoutCache::get(unsigned Binary) {
  auto [It, New] = Decoded.try_emplace(Binary);
  if (New)
    if (Error E = decodeFunctions(M.Binaries[Binary].Functions, It->second)) {
      Decoded.erase(It);
      return std::move(E);
    }
  It->second.Path = M.Binaries[Binary].Path;
  It->second.BinaryId = M.Binaries[Binary].BuildId;
  return &It->second;
}

/// The sum of two sparse counter blobs of one binary.
static Expected<std::string> sumSparse(const BinaryLayout &Layout, StringRef A,
                                       StringRef B) {
  CounterSum Sum;
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;
  for (StringRef Blob : {A, B}) {
    if (Error E = decodeSparse(Blob, Layout, Counters, Bitmap))
      return std::move(E);
    Sum.add(Layout, Counters, Bitmap);
  }
  return encodeSparse(Sum.Counters, Sum.Bitmap);
}

/// Sums a context's profiles of one binary (sorted by binary): two layouts
/// of a merge are one binary of the database when they share its path,
/// build id and function table (a damaged profile whose padding hides a
/// changed section size).
static Error foldProfiles(LayoutCache &Layouts, ContextModel &C) {
  std::vector<std::pair<unsigned, std::string>> Folded;
  for (auto &P : C.Profiles) {
    if (Folded.empty() || Folded.back().first != P.first) {
      Folded.push_back(std::move(P));
      continue;
    }
    auto Layout = Layouts.get(P.first);
    if (!Layout)
      return Layout.takeError();
    auto Sum = sumSparse(**Layout, Folded.back().second, P.second);
    if (!Sum)
      return Sum.takeError();
    Folded.back().second = std::move(*Sum);
  }
  C.Profiles = std::move(Folded);
  return Error::success();
}

Error combineContexts(LayoutCache &Layouts, ContextModel &Into,
                      ContextModel &&From) {
  Into.Conf = std::max(Into.Conf, From.Conf); // Exact < Normal < Dubious
  // Saturating, as the counters are: a forged count cannot wrap around.
  Into.Processes = SaturatingAdd(Into.Processes, From.Processes);
  Into.Lost = SaturatingAdd(Into.Lost, From.Lost);
  Into.Failed = SaturatingAdd(Into.Failed, From.Failed);
  Into.Unreadable = SaturatingAdd(Into.Unreadable, From.Unreadable);
  Into.Outcomes.add(From.Outcomes); // a test's ends in every shard
  llvm::append_range(Into.Problems, From.Problems);
  llvm::sort(Into.Problems);

  for (auto &[Path, File] : From.Files) {
    ContextFile &CF = Into.Files[Path];
    // Rows are encoded early only when no database is merged in.
    if (CF.Encoded || File.Encoded)
      return modelError("cannot combine contexts encoded early");
    unionInto<uint32_t>(CF.Covered, File.Covered);
    unionInto<RegionSpan>(CF.CoveredRegions, File.CoveredRegions);
  }

  Into.Profiles.insert(Into.Profiles.end(),
                       std::make_move_iterator(From.Profiles.begin()),
                       std::make_move_iterator(From.Profiles.end()));
  llvm::stable_sort(Into.Profiles, [](const auto &A, const auto &B) {
    return A.first < B.first;
  });
  return foldProfiles(Layouts, Into);
}

/// Binaries sorted by key, and the contexts' profiles renumbered.
static void sortBinaries(Model &M) {
  std::vector<unsigned> Order(M.Binaries.size());
  std::iota(Order.begin(), Order.end(), 0);
  llvm::sort(Order, [&](unsigned A, unsigned B) {
    return M.Binaries[A].key() < M.Binaries[B].key();
  });
  std::vector<unsigned> NewIndex(Order.size());
  std::vector<BinaryModel> Sorted;
  for (unsigned I = 0; I != Order.size(); ++I) {
    NewIndex[Order[I]] = I;
    Sorted.push_back(std::move(M.Binaries[Order[I]]));
  }
  M.Binaries = std::move(Sorted);
  for (ContextModel &C : M.Contexts) {
    for (auto &P : C.Profiles)
      P.first = NewIndex[P.first];
    llvm::sort(C.Profiles);
  }
}

static std::string describe(const ContextModel &C) {
  return "context (label '" + C.Label + "', " +
         (C.Test ? "test '" + *C.Test + "'" : std::string("outside tests")) +
         ")";
}

Error Model::canonicalize() {
  sortBinaries(*this);
  llvm::stable_sort(Contexts);
  LayoutCache Layouts(*this);
  for (ContextModel &C : Contexts)
    if (Error E = foldProfiles(Layouts, C))
      return E;
  std::vector<ContextModel> Combined;
  // (input, label there) of the contexts combined into the last one.
  std::set<std::pair<unsigned, int64_t>> Sources;
  for (ContextModel &C : Contexts) {
    bool Equal = !Combined.empty() && Combined.back().Label == C.Label &&
                 Combined.back().Test == C.Test;
    if (!Equal) {
      Sources = {{C.SourceIndex, C.SourceLabelId}};
      Combined.push_back(std::move(C));
      continue;
    }
    // One database never holds a context twice: a damaged (or forged) one.
    if (!Sources.insert({C.SourceIndex, C.SourceLabelId}).second)
      return modelError(describe(C) + " appears twice in " + C.Source +
                        ", which a coverage database never holds (damaged?)");
    std::string Source = C.Source;
    if (Error E = combineContexts(Layouts, Combined.back(), std::move(C)))
      return createFileError(Source, std::move(E));
  }
  Contexts = std::move(Combined);
  return Error::success();
}

} // namespace covdb
} // namespace covlock
