/*===- CovlockDir.c - directories by descriptor, never via a symlink ------===*\
|*
|* Everything the runtime writes is created relative to a descriptor of DIR
|* or of DIR/KEY, opened afresh for each operation: a descriptor kept for the
|* life of the process could be closed (close_range) and its number reused
|* by the program. DIR is opened by the canonical path found at start-up,
|* without following a symlink, and must still be the directory (device and
|* inode) found then; a symlink inside DIR is never followed. All of this is
|* async-signal-safe: open/openat/mkdirat/fstat/fstatat/close only.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat2 */
#include <sys/stat.h>
#include <unistd.h>

#define COVLOCK_DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Why Name under DirFd is not a directory we may use: a symlink is ELOOP. */
static int notADirectory(int DirFd, const char *Name) {
  struct stat St;
  if (fstatat(DirFd, Name, &St, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(St.st_mode))
    return ELOOP;
  return ENOTDIR;
}

int covlockOpenDir(void) {
  CovlockState *S = &covlockState;
  int Fd = open(S->Dir, COVLOCK_DIR_FLAGS);
  if (Fd < 0) {
    int Err = errno == ENOTDIR ? notADirectory(AT_FDCWD, S->Dir) : errno;
    errno = Err;
    return -1;
  }
  struct stat St;
  if (fstat(Fd, &St) != 0 || !S_ISDIR(St.st_mode) || St.st_dev != S->DirDev ||
      St.st_ino != S->DirIno) {
    close(Fd);
    errno = ESTALE; /* removed and made again, or replaced */
    return -1;
  }
  return Fd;
}

/* The runtime's files and directories must stay usable by their owner
 * whatever umask the program set (umask(0777) makes them mode 000). */
void covlockEnsureOwnerAccess(int Fd) {
  struct stat St;
  if (fstat(Fd, &St) == 0 && (St.st_mode & 0600) != 0600)
    fchmod(Fd, (St.st_mode & 07777) | 0600);
}

int covlockOpenSubdir(int DirFd, const char *Name, int Create) {
  if (Create) {
    if (mkdirat(DirFd, Name, 0777) == 0) {
      struct stat St;
      if (fstatat(DirFd, Name, &St, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISDIR(St.st_mode) && (St.st_mode & 0700) != 0700)
        fchmodat(DirFd, Name, (St.st_mode & 07777) | 0700, 0);
    } else if (errno != EEXIST) {
      return -1;
    }
  }
  int Fd = openat(DirFd, Name, COVLOCK_DIR_FLAGS);
  if (Fd < 0) {
    int Err = errno == ENOTDIR ? notADirectory(DirFd, Name) : errno;
    errno = Err;
    return -1;
  }
  return Fd;
}

int covlockOpenKeyDir(const char *Key, int *KeyFd) {
  *KeyFd = -1;
  int DirFd = covlockOpenDir();
  if (DirFd < 0) {
    /* DIR itself is gone, replaced, or out of descriptors: say so. */
    int Err = errno;
    covlockReport(COVLOCK_REPORT_MARKER, "cannot open coverage directory",
                  covlockState.Dir, Err);
    errno = Err;
    return -1;
  }
  *KeyFd = covlockOpenSubdir(DirFd, Key, 1);
  int Err = errno;
  close(DirFd);
  if (*KeyFd >= 0)
    return 0;
  char Path[PATH_MAX];
  CovlockBuf B;
  covlockBufInit(&B, Path, sizeof(Path));
  covlockPutStr(&B, covlockState.Dir);
  covlockPutStr(&B, "/");
  covlockPutStr(&B, Key);
  covlockBufFinish(&B);
  covlockReport(COVLOCK_REPORT_MARKER, "cannot create test directory", Path,
                Err);
  errno = Err;
  return -1;
}

int covlockIsFileAt(int DirFd, const char *Name, uint64_t Dev, uint64_t Ino) {
  struct stat St;
  return fstatat(DirFd, Name, &St, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(St.st_mode) && (uint64_t)St.st_dev == Dev &&
         (uint64_t)St.st_ino == Ino;
}

int covlockExistsAt(int DirFd, const char *Name) {
  struct stat St;
  return fstatat(DirFd, Name, &St, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

int covlockRenameNoReplace(int DirFd, const char *From, const char *To) {
  if (renameat2(DirFd, From, DirFd, To, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return errno;
  /* Filesystems without RENAME_NOREPLACE: link never replaces either. */
  if (linkat(DirFd, From, DirFd, To, 0) != 0)
    return errno;
  unlinkat(DirFd, From, 0);
  return 0;
}
