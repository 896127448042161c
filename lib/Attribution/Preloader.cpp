//===- Preloader.cpp - Load coverage ahead of need ------------------------===//
//
// CoveragePreloader: each binary's mapping is read on a thread of its own
// as soon as its path is known, and joined once its layout is.
//
//===----------------------------------------------------------------------===//

#include "BinaryCoverageImpl.h"
#include <condition_variable>
#include <thread>
#include <tuple>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {
using namespace attribution;

struct CoveragePreloader::Load {
  std::string Path;
  std::thread Thread;
  bool Taken = false; ///< under the preloader's lock
  std::mutex Lock;    ///< the rest, shared with the thread
  std::condition_variable LayoutGiven;
  std::unique_ptr<BinaryLayout> Layout;
  CoverageOptions Options;
  bool Cancelled = false;
  std::unique_ptr<BinaryCoverage> Coverage;

  /// The thread: reads the mapping, waits for the layout, joins them.
  void run() {
    auto BC = BinaryCoverage::read(Path);
    std::unique_lock<std::mutex> G(Lock);
    LayoutGiven.wait(G, [&] { return Layout || Cancelled; });
    if (!BC) {
      consumeError(BC.takeError());
      return;
    }
    if (Cancelled)
      return;
    (*BC)->join(*Layout, Options);
    Coverage = std::move(*BC);
  }
};

CoveragePreloader::CoveragePreloader() = default;

CoveragePreloader::~CoveragePreloader() {
  for (std::unique_ptr<Load> &L : Loads) {
    {
      std::lock_guard<std::mutex> G(L->Lock);
      L->Cancelled = true;
    }
    L->LayoutGiven.notify_all();
    if (L->Thread.joinable())
      L->Thread.join();
  }
}

void CoveragePreloader::read(StringRef Path) {
  std::lock_guard<std::mutex> G(Lock);
  for (std::unique_ptr<Load> &L : Loads)
    if (L->Path == Path)
      return;
  Loads.push_back(std::make_unique<Load>());
  Load *Raw = Loads.back().get();
  Raw->Path = Path.str();
  Raw->Thread = std::thread([Raw] { Raw->run(); });
}

void CoveragePreloader::start(BinaryLayout Layout,
                              const CoverageOptions &Options) {
  std::lock_guard<std::mutex> G(Lock);
  Load *Into = nullptr;
  for (std::unique_ptr<Load> &L : Loads) {
    std::lock_guard<std::mutex> LG(L->Lock);
    if (L->Path == Layout.Path && !L->Layout) {
      Into = L.get();
      break;
    }
  }
  if (!Into) {
    Loads.push_back(std::make_unique<Load>());
    Into = Loads.back().get();
    Into->Path = Layout.Path;
    Into->Thread = std::thread([Into] { Into->run(); });
  }
  {
    std::lock_guard<std::mutex> LG(Into->Lock);
    Into->Layout = std::make_unique<BinaryLayout>(std::move(Layout));
    Into->Options = Options;
  }
  Into->LayoutGiven.notify_all();
}

static bool sameLayout(const BinaryLayout &A, const BinaryLayout &B) {
  auto Fields = [](const LayoutFunction &F) {
    return std::tie(F.Name, F.NameRef, F.Hash, F.FirstCounter, F.NumCounters,
                    F.FirstBitmapByte, F.NumBitmapBytes);
  };
  return A.Path == B.Path && A.BinaryId == B.BinaryId &&
         A.NumCounters == B.NumCounters &&
         A.NumBitmapBytes == B.NumBitmapBytes &&
         A.Functions.size() == B.Functions.size() &&
         std::equal(A.Functions.begin(), A.Functions.end(), B.Functions.begin(),
                    [&](const LayoutFunction &X, const LayoutFunction &Y) {
                      return Fields(X) == Fields(Y);
                    });
}

std::unique_ptr<BinaryCoverage>
CoveragePreloader::take(const BinaryLayout &Layout,
                        std::unique_ptr<BinaryLayout> &Copy) {
  std::lock_guard<std::mutex> G(Lock);
  for (std::unique_ptr<Load> &L : Loads) {
    {
      std::lock_guard<std::mutex> LG(L->Lock);
      if (L->Taken || !L->Layout || !sameLayout(*L->Layout, Layout))
        continue;
    }
    L->Thread.join();
    L->Taken = true;
    if (!L->Coverage)
      return nullptr;
    Copy = std::move(L->Layout);
    return std::move(L->Coverage);
  }
  return nullptr;
}

} // namespace covlock
