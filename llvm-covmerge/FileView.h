//===- FileView.h - One source file's lines across labels --------*- C++
//-*-===//
//
// What `show` prints and `html` draws for one source file: per label (a
// column) and line, whether the label compiles the line and how many of
// its contexts cover it. Built from one query per table (CovDB's
// executableByLabel and forEachContextLines).
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_FILEVIEW_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_FILEVIEW_H

#include "covlock/CovDB/CovDBReader.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <optional>
#include <string>
#include <vector>

/// One label's column, by line number.
struct LabelColumn {
  int64_t LabelId = 0;
  std::string Name;            ///< printable
  llvm::BitVector Executable;  ///< in this label
  std::vector<uint32_t> Count; ///< contexts that cover the line
  size_t Width = 1;            ///< of the name and the largest count
};

/// What a line is in one label, as `show` prints it.
enum class LineState {
  Blank,       ///< code in no label (comments, blank lines): ""
  NotCompiled, ///< code in another label only: "-"
  Uncovered,   ///< code in this label that none of its contexts ran: "0"
  Covered,     ///< covered by Count[Line] >= 1 contexts
};

/// One file's columns, by line number (1 to LastLine).
struct FileView {
  std::vector<LabelColumn> Columns;
  /// Executable in some label of the database, shown or not.
  llvm::BitVector AnyLabel;
  uint32_t LastLine = 0;

  /// Makes room for \p Line in every array.
  void reach(uint32_t Line);
  LineState state(size_t Column, uint32_t Line) const;
};

/// The columns of \p Labels (in that order) for file \p FileId, counting
/// the contexts of \p Test only if given. \p PerContext, if given, is
/// called with each context that covers lines of the file (in context id
/// order), its label and those lines (ascending). A covered line that its
/// label does not call executable (only a damaged database has one)
/// counts as executable, as in lcov exports.
llvm::Expected<FileView>
buildFileView(const covlock::CovDB &DB, int64_t FileId,
              llvm::ArrayRef<covlock::CovDB::Label> Labels,
              std::optional<llvm::StringRef> Test,
              llvm::function_ref<void(int64_t ContextId, int64_t LabelId,
                                      llvm::ArrayRef<uint32_t> Lines)>
                  PerContext = nullptr);

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_FILEVIEW_H
