//===- DirFD.h - Files made and removed relative to a directory -*- C++ -*-===//
//
// The compactor never follows a symlink inside a coverage directory: it
// works through descriptors of directories opened with O_NOFOLLOW, and
// publishes files with a rename that never replaces (docs/protocol.md).
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_MERGE_DIRFD_H
#define COVLOCK_LIB_MERGE_DIRFD_H

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <stdio.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace covlock {
namespace merge {

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

inline Error errnoError(const Twine &Path) {
  return llvm::createFileError(Path, llvm::errorCodeToError(std::error_code(
                                         errno, std::generic_category())));
}

/// A directory opened without following a symlink; files are made and
/// removed relative to it.
class DirFD {
public:
  static Expected<DirFD> open(const Twine &Path) {
    std::string P = Path.str();
    int FD = ::open(P.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (FD < 0)
      return errnoError(P);
    return DirFD(P, FD);
  }
  DirFD(DirFD &&O) : Path(std::move(O.Path)), FD(O.FD) { O.FD = -1; }
  ~DirFD() {
    if (FD >= 0)
      ::close(FD);
  }

  /// Writes \p Bytes to \p Name: under a hidden temporary name, published
  /// with a rename that fails if \p Name exists.
  Error publish(StringRef Name, StringRef Bytes) {
    std::string Tmp = ("." + Name + ".tmp").str(), Final = Name.str();
    ::unlinkat(FD, Tmp.c_str(), 0);
    int F =
        ::openat(FD, Tmp.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (F < 0)
      return errnoError(Path + "/" + Tmp);
    auto Close = llvm::make_scope_exit([&] {
      if (F >= 0)
        ::close(F);
    });
    for (size_t Done = 0; Done < Bytes.size();) {
      ssize_t N = ::write(F, Bytes.data() + Done, Bytes.size() - Done);
      if (N < 0 && errno == EINTR)
        continue;
      if (N <= 0) {
        Error E = errnoError(Path + "/" + Tmp);
        ::unlinkat(FD, Tmp.c_str(), 0);
        return E;
      }
      Done += N;
    }
    ::close(F);
    F = -1;
    if (::renameat2(FD, Tmp.c_str(), FD, Final.c_str(), RENAME_NOREPLACE) !=
        0) {
      // A filesystem without RENAME_NOREPLACE: link never replaces either.
      if ((errno != EINVAL && errno != ENOSYS) ||
          ::linkat(FD, Tmp.c_str(), FD, Final.c_str(), 0) != 0) {
        Error E = errnoError(Path + "/" + Final);
        ::unlinkat(FD, Tmp.c_str(), 0);
        return E;
      }
      ::unlinkat(FD, Tmp.c_str(), 0);
    }
    return Error::success();
  }

  /// Removes \p Name (a file); one that is already gone is fine.
  Error remove(StringRef Name) {
    if (::unlinkat(FD, Name.str().c_str(), 0) != 0 && errno != ENOENT)
      return errnoError(Path + "/" + Name);
    return Error::success();
  }

  /// The size of regular file \p Name, or none (absent, or not a regular
  /// file: never read).
  std::optional<uint64_t> regularSize(StringRef Name) const {
    struct stat St;
    if (::fstatat(FD, Name.str().c_str(), &St, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(St.st_mode))
      return std::nullopt;
    return uint64_t(St.st_size);
  }

  /// Whether anything (a file of any type, a link) is named \p Name.
  bool exists(StringRef Name) const {
    struct stat St;
    return ::fstatat(FD, Name.str().c_str(), &St, AT_SYMLINK_NOFOLLOW) == 0;
  }

  std::string path(StringRef Name) const { return (Path + "/" + Name).str(); }
  int fd() const { return FD; }

private:
  DirFD(std::string Path, int FD) : Path(std::move(Path)), FD(FD) {}
  std::string Path;
  int FD;
};

/// The names in \p Path (none if it cannot be listed).
inline std::vector<std::string> namesIn(StringRef Path) {
  std::vector<std::string> Names;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator I(Path, EC, /*follow_symlinks=*/false),
       E;
       I != E && !EC; I.increment(EC))
    Names.push_back(llvm::sys::path::filename(I->path()).str());
  return Names;
}

} // namespace merge
} // namespace covlock

#endif // COVLOCK_LIB_MERGE_DIRFD_H
