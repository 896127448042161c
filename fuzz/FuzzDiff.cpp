//===- FuzzDiff.cpp - Fuzz the unified diff reader ------------------------===//
//
// A diff given to `llvm-covmerge impact` is untrusted: parsing never
// crashes, and what parses names files with something left after the
// stripped prefix, each with ascending line numbers, each once, no larger
// than a hunk header may reach.
//
//===----------------------------------------------------------------------===//

#include "covlock/Diff/UnifiedDiff.h"
#include <cstdlib>

using namespace llvm;
using namespace covlock;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  StringRef Text(reinterpret_cast<const char *>(Data), Size);
  for (unsigned Strip : {0u, 1u}) {
    diff::ParseOptions Options;
    Options.StripComponents = Strip;
    auto Files = diff::parseUnifiedDiff(Text, Options);
    if (!Files) {
      if (!StringRef(toString(Files.takeError())).starts_with("line "))
        abort();
      continue;
    }
    for (size_t I = 0; I != Files->size(); ++I) {
      const diff::ChangedFile &F = (*Files)[I];
      if (F.Path.empty() || (I && (*Files)[I - 1].Path >= F.Path))
        abort();
      for (size_t K = 0; K != F.Lines.size(); ++K)
        if (F.Lines[K] == 0 || F.Lines[K] > diff::MaxHunkNumber + 1 ||
            (K && F.Lines[K - 1] >= F.Lines[K]))
          abort();
    }
  }
  return 0;
}
