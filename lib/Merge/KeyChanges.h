//===- KeyChanges.h - Which key directories changed ------------*- C++ -*-===//
//
// A compactor that runs while the suite runs must find, every few
// milliseconds, the key directories that got a new flush record. Looking
// at every key directory each round costs rounds x keys: at 5,000 tests a
// round would do nothing but stat. The kernel knows what changed (inotify
// on Linux): a round then costs what changed.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_MERGE_KEYCHANGES_H
#define COVLOCK_LIB_MERGE_KEYCHANGES_H

#include "llvm/ADT/StringRef.h"
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace covlock {
namespace merge {

/// The key directories of one coverage directory in which a flush record
/// (`*.json`) was published (renamed or linked in) since the last call to
/// changed(), and the new key directories. Profiles, markers, temporaries
/// (`.*`) and the compactor's own packs (`_c<N>.pack`) are not news.
class KeyChangeFeed {
public:
  /// A feed for coverage directory \p Dir, or null where the kernel has
  /// none to give.
  static std::unique_ptr<KeyChangeFeed> open(llvm::StringRef Dir);
  ~KeyChangeFeed();

  /// The keys changed since the last call, or none when the feed cannot
  /// tell: on its first call, after the kernel dropped events, once a
  /// key directory could not be watched (out of watches), or when the
  /// coverage directory was replaced. The caller then
  /// looks at every key directory, calling watch() for each before it
  /// reads it.
  std::optional<std::set<std::string>> changed();

  /// Reports, from now on, files published in key directory \p Key.
  void watch(llvm::StringRef Key);

private:
  KeyChangeFeed(std::string Dir, int FD, int DirWatch);
  /// Watches the directory now at Dir; false if there is none.
  bool watchDir();
  std::string Dir;
  int FD;
  int DirWatch;
  /// The directory DirWatch watches: a watch follows its directory, so Dir
  /// moved away and made anew would tell nothing more.
  uint64_t DirDev = 0, DirIno = 0;
  std::map<int, std::string> Keys; ///< watch descriptor -> key directory
  bool Known = false; ///< every key directory is watched, no event lost
  bool Lost = false;  ///< a key directory could not be watched
};

} // namespace merge
} // namespace covlock

#endif // COVLOCK_LIB_MERGE_KEYCHANGES_H
