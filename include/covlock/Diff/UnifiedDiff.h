//===- covlock/Diff/UnifiedDiff.h - The lines a unified diff changes -*- C++
//-*-===//
//
// Reads a unified diff (`git diff`, `git diff -U0`, `git show`, `diff -u`)
// into the files it changes and, per file, the line numbers of its new side
// that the change touches. Only what a diff's structure says is used: the
// `---`/`+++` file names and the hunks, whose bodies are read by the counts
// their headers give. Everything else (git's extended headers, binary
// patches, commit messages) is skipped. docs/llvm-covmerge.md ("impact")
// says which lines a hunk marks.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_DIFF_UNIFIEDDIFF_H
#define COVLOCK_DIFF_UNIFIEDDIFF_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace covlock {
namespace diff {

/// A file the diff changes, named as its `+++` line names it (`---` for
/// the old side; unquoted, with StripComponents leading directories
/// removed).
struct ChangedFile {
  std::string Path;
  /// Line numbers of the side (ascending, each once): on the new side the
  /// added lines, and for a change that only removes lines, the lines on
  /// both sides of the gap it leaves; on the old side the removed lines,
  /// and for a change that only adds lines, the lines around the place
  /// (only the line before, when the hunk's context shows that the change
  /// is at the end of the file).
  std::vector<uint32_t> Lines;
};

struct ParseOptions {
  /// Leading path components to remove from file names, as `patch -p`
  /// and `git apply -p` do: 1 removes git's `b/` (or `a/`).
  unsigned StripComponents = 1;
  /// The old side (`---` names, removed lines): for a database built
  /// before the change. Default: the new side.
  bool OldSide = false;
  /// Called with "line N: <problem>" for a file name that cannot be
  /// stripped (too few directories), whose lines are then left out. Unset,
  /// such a name is an error.
  std::function<void(llvm::Error)> Warning;
};

/// The largest line number or count a hunk header may give (git's limit).
constexpr uint64_t MaxHunkNumber = (uint64_t(1) << 31) - 1;

/// The files \p Text changes, sorted by path; a file named several times
/// has the union of its lines. Files not on the side (`/dev/null` there:
/// on the new side deleted files, on the old side new ones) are left out.
/// Malformed input is an error "line N: <problem>" (N counted from 1).
llvm::Expected<std::vector<ChangedFile>>
parseUnifiedDiff(llvm::StringRef Text, const ParseOptions &Options = {});

} // namespace diff
} // namespace covlock

#endif // COVLOCK_DIFF_UNIFIEDDIFF_H
