//===- DiffPaths.h - File names on a diff's ---/+++ lines -------*- C++ -*-===//

#ifndef COVLOCK_LIB_DIFF_DIFFPATHS_H
#define COVLOCK_LIB_DIFF_DIFFPATHS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <optional>
#include <string>

namespace covlock {
namespace diff {

/// The file named by what follows "--- " or "+++ ": a C-quoted name as git
/// writes one ("b/t\303\251st.c", with \a \b \t \n \v \f \r \" \\ and
/// three-digit octal escapes), or else the text up to a tab (a timestamp
/// follows it in `diff -u`; git ends names that hold spaces with one).
/// std::nullopt for /dev/null. Errors say what is wrong with the name.
llvm::Expected<std::optional<std::string>> parseDiffPath(llvm::StringRef Field);

/// \p Path without its first \p N components (each ends at a run of '/'),
/// as `patch -pN`; an error if it has fewer, or if nothing is left.
llvm::Expected<std::string> stripComponents(llvm::StringRef Path, unsigned N);

} // namespace diff
} // namespace covlock

#endif // COVLOCK_LIB_DIFF_DIFFPATHS_H
