//===- ImpactReport.cpp - Tests and lines a change touches, per label -----===//
//
// For each changed file, two indexed reads restricted to the changed lines:
// the file's executable lines per label, and its coverage rows (one per
// context that covers something in it), each bitmap walked once against
// the changed ranges. Nothing is read per changed line, and no test's
// other files are read.
//
//===----------------------------------------------------------------------===//

#include "Impact.h"
#include "covlock/Tool/Tool.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <iterator>
#include <map>
#include <set>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
/// Lines of one file.
struct FileRanges {
  std::string Path;
  std::vector<uint32_t> Lines;
};

/// What a change means for one label.
struct LabelImpact {
  std::string Name;
  /// Contexts that cover changed lines, by id, with how many they cover.
  std::map<int64_t, std::pair<CovDB::ContextInfo, uint64_t>> Contexts;
  uint64_t Executable = 0, Covered = 0;
  std::vector<FileRanges> Uncovered, NotCompiled;
};
} // namespace

/// \p Sorted as runs of consecutive lines.
static std::vector<covdb::LineRange> toRanges(ArrayRef<uint32_t> Sorted) {
  std::vector<covdb::LineRange> V;
  for (uint32_t L : Sorted)
    if (!V.empty() && V.back().Last + 1 == L)
      V.back().Last = L;
    else
      V.push_back({L, L});
  return V;
}

static std::vector<uint32_t> difference(ArrayRef<uint32_t> A,
                                        ArrayRef<uint32_t> B) {
  std::vector<uint32_t> V;
  std::set_difference(A.begin(), A.end(), B.begin(), B.end(),
                      std::back_inserter(V));
  return V;
}

static void sortUnique(std::vector<uint32_t> &V) {
  llvm::sort(V);
  V.erase(std::unique(V.begin(), V.end()), V.end());
}

/// Adds what \p File's changed lines are in each label of \p Labels.
static Error addFile(const CovDB &DB, const ChangedSource &File,
                     std::map<int64_t, LabelImpact> &Labels) {
  std::vector<covdb::LineRange> Ranges = toRanges(File.Lines);
  auto Exec = DB.executableByLabel(File.FileId, Ranges);
  if (!Exec)
    return Exec.takeError();
  auto Hits = DB.whoCoversAny(File.FileId, Ranges);
  if (!Hits)
    return Hits.takeError();
  std::vector<uint32_t> AnyLabel;
  DenseMap<int64_t, ArrayRef<uint32_t>> ExecIn;
  for (const CovDB::LabelLines &L : *Exec) {
    llvm::append_range(AnyLabel, L.Lines);
    ExecIn[L.LabelId] = L.Lines;
  }
  sortUnique(AnyLabel);
  DenseMap<int64_t, std::vector<uint32_t>> CoveredIn;
  for (CovDB::ContextHits &H : *Hits) {
    auto It = Labels.find(H.Context.LabelId);
    if (It == Labels.end())
      continue;
    auto &Entry = It->second.Contexts[H.Context.Id];
    Entry.first = std::move(H.Context);
    Entry.second += H.Lines.size();
    llvm::append_range(CoveredIn[It->first], H.Lines);
  }
  for (auto &[Id, L] : Labels) {
    ArrayRef<uint32_t> Executable = ExecIn.lookup(Id);
    std::vector<uint32_t> &Covered = CoveredIn[Id];
    sortUnique(Covered);
    // Covered among the executable lines (a covered line is executable,
    // but a database is not trusted to say so).
    std::vector<uint32_t> U = difference(Executable, Covered);
    L.Executable += Executable.size();
    L.Covered += Executable.size() - U.size();
    if (!U.empty())
      L.Uncovered.push_back({File.Path, std::move(U)});
    if (auto N = difference(AnyLabel, Executable); !N.empty())
      L.NotCompiled.push_back({File.Path, std::move(N)});
  }
  return Error::success();
}

/// "  PATH:A" or "  PATH:A-B" per run of \p Files' lines; "  (none)".
static void printLines(raw_ostream &OS, ArrayRef<FileRanges> Files) {
  if (Files.empty())
    OS << "  (none)\n";
  for (const FileRanges &F : Files)
    for (covdb::LineRange R : toRanges(F.Lines)) {
      OS << "  " << printable(F.Path) << ':' << R.First;
      if (R.Last != R.First)
        OS << '-' << R.Last;
      OS << '\n';
    }
}

static void printLabel(raw_ostream &OS, const LabelImpact &L) {
  std::string Name = printable(L.Name);
  OS << Name << ": " << L.Covered << " of " << L.Executable
     << " changed executable lines covered\n";
  OS << Name
     << ": tests that cover changed lines (changed lines each covers):\n";
  std::vector<CovDB::ContextInfo> Rows;
  for (auto &Entry : L.Contexts)
    Rows.push_back(Entry.second.first);
  sortContexts(Rows);
  size_t Width = 0;
  for (const CovDB::ContextInfo &C : Rows)
    Width = std::max(Width, C.Test ? printable(*C.Test).size() : 15);
  for (const CovDB::ContextInfo &C : Rows)
    OS << "  "
       << left_justify(C.Test ? printable(*C.Test) : "(outside tests)", Width)
       << "  " << L.Contexts.at(C.Id).second << '\n';
  if (Rows.empty())
    OS << "  (none)\n";
  OS << Name << ": changed lines no test covers:\n";
  printLines(OS, L.Uncovered);
  OS << Name << ": changed lines not compiled in " << Name
     << " (executable in another label):\n";
  printLines(OS, L.NotCompiled);
}

Error printImpact(const CovDB &DB, ArrayRef<ChangedSource> Files,
                  std::optional<int64_t> Label, bool TestsOnly,
                  raw_ostream &OS) {
  auto All = DB.labels();
  if (!All)
    return All.takeError();
  std::map<int64_t, LabelImpact> Labels;
  for (CovDB::Label &L : *All)
    if (!Label || L.Id == *Label)
      Labels[L.Id].Name = std::move(L.Name);
  for (const ChangedSource &F : Files)
    if (Error E = addFile(DB, F, Labels))
      return E;
  if (TestsOnly) {
    std::set<std::string> Tests;
    for (auto &[Id, L] : Labels)
      for (auto &Entry : L.Contexts)
        if (Entry.second.first.Test)
          Tests.insert(*Entry.second.first.Test);
    for (const std::string &T : Tests)
      OS << printable(T) << '\n';
    return Error::success();
  }
  std::vector<const LabelImpact *> ByName;
  for (auto &Entry : Labels)
    ByName.push_back(&Entry.second);
  llvm::sort(ByName, [](auto *A, auto *B) { return A->Name < B->Name; });
  for (const LabelImpact *L : ByName)
    printLabel(OS, *L);
  return Error::success();
}
