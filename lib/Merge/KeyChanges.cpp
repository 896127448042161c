//===- KeyChanges.cpp - Which key directories changed ---------------------===//

#include "KeyChanges.h"
#include "llvm/ADT/Twine.h"
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

using namespace llvm;

namespace covlock {
namespace merge {

KeyChangeFeed::KeyChangeFeed(std::string Dir, int FD, int DirWatch)
    : Dir(std::move(Dir)), FD(FD), DirWatch(DirWatch) {}

KeyChangeFeed::~KeyChangeFeed() {
  if (FD >= 0)
    ::close(FD);
}

#ifdef __linux__
// Publishing is a rename or a link (docs/protocol.md); a removed or
// replaced key directory drops its watch (IN_IGNORED).
static constexpr uint32_t KeyEvents =
    IN_MOVED_TO | IN_CREATE | IN_DONT_FOLLOW | IN_ONLYDIR;

std::unique_ptr<KeyChangeFeed> KeyChangeFeed::open(StringRef Dir) {
  int FD = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (FD < 0)
    return nullptr;
  std::unique_ptr<KeyChangeFeed> Feed(
      new KeyChangeFeed(Dir.str(), FD, /*DirWatch=*/-1));
  if (!Feed->watchDir())
    return nullptr;
  return Feed;
}

bool KeyChangeFeed::watchDir() {
  // The old directory's keys are not this one's.
  for (const auto &[W, Key] : Keys)
    ::inotify_rm_watch(FD, W);
  Keys.clear();
  if (DirWatch >= 0)
    ::inotify_rm_watch(FD, DirWatch);
  DirWatch = ::inotify_add_watch(FD, Dir.c_str(), KeyEvents);
  struct stat St;
  if (DirWatch < 0 || ::lstat(Dir.c_str(), &St) != 0)
    return false;
  DirDev = St.st_dev;
  DirIno = St.st_ino;
  return true;
}

void KeyChangeFeed::watch(StringRef Key) {
  if (Lost)
    return;
  int W = ::inotify_add_watch(FD, (Twine(Dir) + "/" + Key).str().c_str(),
                              KeyEvents);
  if (W >= 0)
    Keys[W] = Key.str();
  else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
    Lost = true; // out of watches: every round looks at every key
}

std::optional<std::set<std::string>> KeyChangeFeed::changed() {
  // One stat a round: the coverage directory moved away (or removed) and
  // made anew gets the processes started since, and a watch of the old one
  // would never tell of them.
  struct stat St;
  if (DirWatch < 0 || ::lstat(Dir.c_str(), &St) != 0 ||
      uint64_t(St.st_dev) != DirDev || uint64_t(St.st_ino) != DirIno) {
    Known = false;
    if (!watchDir())
      return std::nullopt; // no directory there: the round says so
  }
  std::set<std::string> Changed;
  alignas(struct inotify_event) char Buf[64 * 1024];
  for (;;) {
    ssize_t N = ::read(FD, Buf, sizeof(Buf));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      break; // EAGAIN: drained
    for (char *P = Buf; P < Buf + N;) {
      const auto *E = reinterpret_cast<const struct inotify_event *>(P);
      P += sizeof(struct inotify_event) + E->len;
      StringRef Name = E->len ? StringRef(E->name) : StringRef();
      if (E->mask & IN_Q_OVERFLOW) {
        Known = false;
      } else if (E->mask & IN_IGNORED) {
        Keys.erase(E->wd);
      } else if (E->wd == DirWatch) {
        if ((E->mask & IN_ISDIR) && !Name.starts_with(".")) {
          watch(Name); // before the round reads it
          Changed.insert(Name.str());
        }
      } else if (Name.ends_with(".json") && !Name.starts_with(".")) {
        // A flush record: the compactor has nothing to do until one is
        // published (profiles come first, boot markers before either).
        auto K = Keys.find(E->wd);
        if (K != Keys.end())
          Changed.insert(K->second);
      }
    }
  }
  if (!Known || Lost) {
    // The caller looks at every key, watching each: from the next round
    // on, the events say it all (unless a watch fails).
    Known = !Lost;
    return std::nullopt;
  }
  return Changed;
}
#else
std::unique_ptr<KeyChangeFeed> KeyChangeFeed::open(StringRef) {
  return nullptr;
}
void KeyChangeFeed::watch(StringRef) {}
std::optional<std::set<std::string>> KeyChangeFeed::changed() {
  return std::nullopt;
}
#endif

} // namespace merge
} // namespace covlock
