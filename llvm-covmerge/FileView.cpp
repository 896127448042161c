//===- FileView.cpp - One source file's lines across labels ---------------===//
//
// Shared by `show` (a column of counts per label) and `html` (a page per
// source file): a file's executable lines per label, and per label and
// line the number of contexts that cover it.
//
//===----------------------------------------------------------------------===//

#include "FileView.h"
#include "covlock/Tool/Tool.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

void FileView::reach(uint32_t Line) {
  if (Line <= LastLine)
    return;
  LastLine = Line;
  AnyLabel.resize(Line + 1);
  for (LabelColumn &C : Columns) {
    C.Executable.resize(Line + 1);
    C.Count.resize(Line + 1);
  }
}

LineState FileView::state(size_t Column, uint32_t Line) const {
  if (Line > LastLine)
    return LineState::Blank;
  const LabelColumn &C = Columns[Column];
  if (C.Executable[Line])
    return C.Count[Line] ? LineState::Covered : LineState::Uncovered;
  return AnyLabel[Line] ? LineState::NotCompiled : LineState::Blank;
}

/// Marks each label's executable lines of \p FileId in \p V.
static Error addExecutable(const CovDB &DB, int64_t FileId, FileView &V,
                           const DenseMap<int64_t, size_t> &ColumnOf) {
  auto Exec = DB.executableByLabel(FileId);
  if (!Exec)
    return Exec.takeError();
  // Lines are below covdb::MaxBitmapMember: the view's length is bounded.
  for (const CovDB::LabelLines &E : *Exec)
    if (!E.Lines.empty())
      V.reach(E.Lines.back());
  for (const CovDB::LabelLines &E : *Exec) {
    auto It = ColumnOf.find(E.LabelId);
    LabelColumn *C = It == ColumnOf.end() ? nullptr : &V.Columns[It->second];
    for (uint32_t L : E.Lines) {
      V.AnyLabel.set(L);
      if (C)
        C->Executable.set(L);
    }
  }
  return Error::success();
}

/// Counts, per column and line, the contexts (of \p Test only, if given)
/// that cover it.
static Error addCovered(
    const CovDB &DB, int64_t FileId, std::optional<StringRef> Test, FileView &V,
    const DenseMap<int64_t, size_t> &ColumnOf,
    function_ref<void(int64_t, int64_t, ArrayRef<uint32_t>)> PerContext) {
  return DB.forEachContextLines(
      FileId, Test,
      [&](int64_t Context, int64_t Label, ArrayRef<uint32_t> Lines) {
        auto It = ColumnOf.find(Label);
        if (It == ColumnOf.end() || Lines.empty())
          return;
        if (PerContext)
          PerContext(Context, Label, Lines);
        V.reach(Lines.back());
        LabelColumn &C = V.Columns[It->second];
        for (uint32_t Line : Lines) {
          ++C.Count[Line];
          if (!C.Executable[Line]) {
            C.Executable.set(Line);
            V.AnyLabel.set(Line);
          }
        }
      });
}

Expected<FileView> buildFileView(
    const CovDB &DB, int64_t FileId, ArrayRef<CovDB::Label> Labels,
    std::optional<StringRef> Test,
    function_ref<void(int64_t, int64_t, ArrayRef<uint32_t>)> PerContext) {
  FileView V;
  DenseMap<int64_t, size_t> ColumnOf;
  for (const CovDB::Label &L : Labels) {
    ColumnOf[L.Id] = V.Columns.size();
    V.Columns.push_back({L.Id, printable(L.Name), BitVector(1), {0}, 1});
  }
  V.AnyLabel.resize(1);
  if (Error E = addExecutable(DB, FileId, V, ColumnOf))
    return std::move(E);
  if (Error E = addCovered(DB, FileId, Test, V, ColumnOf, PerContext))
    return std::move(E);
  for (LabelColumn &C : V.Columns) {
    uint32_t Most = *llvm::max_element(C.Count);
    C.Width = std::max(C.Name.size(), std::to_string(Most).size());
  }
  return V;
}
