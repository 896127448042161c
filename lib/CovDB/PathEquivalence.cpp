//===- PathEquivalence.cpp - Joining checkout roots -----------------------===//

#include "covlock/CovDB/PathEquivalence.h"
#include "llvm/ADT/STLExtras.h"

using namespace llvm;

namespace covlock {

Error PathEquivalences::add(StringRef Spec) {
  auto [From, To] = Spec.split(',');
  From = From.rtrim('/');
  To = To.rtrim('/');
  if (From.empty() || To.empty() || !Spec.contains(','))
    return createStringError(inconvertibleErrorCode(),
                             "--path-equivalence '" + Spec +
                                 "': want FROM,TO (two non-root paths)");
  Pairs.push_back({From.str(), To.str()});
  llvm::stable_sort(Pairs, [](const auto &A, const auto &B) {
    return A.first.size() > B.first.size();
  });
  return Error::success();
}

std::string PathEquivalences::map(StringRef Path) const {
  for (const auto &[From, To] : Pairs)
    if (Path.starts_with(From) &&
        (Path.size() == From.size() || Path[From.size()] == '/'))
      return To + Path.drop_front(From.size()).str();
  return Path.str();
}

} // namespace covlock
