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
  /// Executable changed lines that no context covers, that only the
  /// outside context covers (counted in Covered), and that the label
  /// does not compile while another does.
  std::vector<FileRanges> Uncovered, OutsideOnly, NotCompiled;
  /// Executable changed lines that a test covers.
  std::vector<FileRanges> ByTests;
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
  // Per label, the lines any context covers and those a test covers.
  DenseMap<int64_t, std::vector<uint32_t>> CoveredIn, TestCoveredIn;
  for (CovDB::ContextHits &H : *Hits) {
    auto It = Labels.find(H.Context.LabelId);
    if (It == Labels.end())
      continue;
    if (H.Context.Test)
      llvm::append_range(TestCoveredIn[It->first], H.Lines);
    auto &Entry = It->second.Contexts[H.Context.Id];
    Entry.first = std::move(H.Context);
    Entry.second += H.Lines.size();
    llvm::append_range(CoveredIn[It->first], H.Lines);
  }
  for (auto &[Id, L] : Labels) {
    ArrayRef<uint32_t> Executable = ExecIn.lookup(Id);
    std::vector<uint32_t> &Covered = CoveredIn[Id];
    std::vector<uint32_t> &ByTests = TestCoveredIn[Id];
    sortUnique(Covered);
    sortUnique(ByTests);
    // Covered among the executable lines (a covered line is executable,
    // but a database is not trusted to say so).
    std::vector<uint32_t> U = difference(Executable, Covered);
    std::vector<uint32_t> T = difference(Executable, U);
    std::vector<uint32_t> O = difference(T, ByTests);
    if (auto B = difference(T, O); !B.empty())
      L.ByTests.push_back({File.Path, std::move(B)});
    L.Executable += Executable.size();
    L.Covered += Executable.size() - U.size();
    if (!U.empty())
      L.Uncovered.push_back({File.Path, std::move(U)});
    if (!O.empty())
      L.OutsideOnly.push_back({File.Path, std::move(O)});
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
    Width = std::max(Width, columnWidth(testColumn(C.Test)));
  for (const CovDB::ContextInfo &C : Rows)
    OS << "  " << padToWidth(testColumn(C.Test), Width) << "  "
       << L.Contexts.at(C.Id).second << '\n';
  if (Rows.empty())
    OS << "  (none)\n";
  OS << Name << ": changed lines nothing covers:\n";
  printLines(OS, L.Uncovered);
  OS << Name << ": changed lines covered only outside tests:\n";
  printLines(OS, L.OutsideOnly);
  OS << Name << ": changed lines not compiled in " << Name
     << " (executable in another label):\n";
  printLines(OS, L.NotCompiled);
}

/// Whether \p Id holds a byte that would break the one-id-a-line format
/// (or a terminal): a newline or another control byte.
static bool hasControlByte(StringRef Id) {
  return llvm::any_of(Id, [](char C) {
    return static_cast<unsigned char>(C) < 0x20 || C == 0x7f;
  });
}

/// --tests-only: the ids, raw (a test runner's input), each once, sorted;
/// an id with a control byte is escaped, with a warning. A warning says
/// when some changed executable lines have no test: the list cannot
/// select tests for them (and an empty list selects every test); a note,
/// when no changed line is executable at all.
static void printTestIds(const std::map<int64_t, LabelImpact> &Labels,
                         raw_ostream &OS) {
  std::set<std::string> Tests;
  // Lines no test of any label asked about covers: covered only outside
  // tests in some label, else by nothing.
  std::set<std::pair<StringRef, uint32_t>> Nothing, Outside, Tested;
  auto Add = [](auto &Set, ArrayRef<FileRanges> Files) {
    for (const FileRanges &F : Files)
      for (uint32_t Line : F.Lines)
        Set.insert({F.Path, Line});
  };
  for (auto &[Id, L] : Labels) {
    for (auto &Entry : L.Contexts)
      if (Entry.second.first.Test)
        Tests.insert(*Entry.second.first.Test);
    Add(Nothing, L.Uncovered);
    Add(Outside, L.OutsideOnly);
    Add(Tested, L.ByTests);
  }
  for (const std::string &T : Tests) {
    if (!hasControlByte(T)) {
      OS << T << '\n';
      continue;
    }
    diagnose(Severity::Warning, "",
             "test id '" + T + "' holds a control byte: printed escaped");
    OS << printable(T) << '\n';
  }
  if (Tested.empty() && Outside.empty() && Nothing.empty()) {
    diagnose(Severity::Note, "",
             "no changed line is an executable line of the database: no test "
             "id is printed, and an empty filter selects every test");
    return;
  }
  for (const auto &Line : Tested)
    Nothing.erase(Line), Outside.erase(Line);
  for (const auto &Line : Outside)
    Nothing.erase(Line);
  if (size_t N = Nothing.size() + Outside.size())
    diagnose(Severity::Warning, "",
             "no test covers " + Twine(N) + " changed executable " +
                 (N == 1 ? "line" : "lines") + " (" + Twine(Outside.size()) +
                 " covered only outside tests, " + Twine(Nothing.size()) +
                 " by nothing): the ids printed do not test " +
                 (N == 1 ? "it" : "them") +
                 (Tests.empty() ? "; none is printed, and an empty filter "
                                  "selects every test"
                                : ""));
}

Error printImpact(const CovDB &DB, ArrayRef<ChangedSource> Files,
                  ArrayRef<int64_t> Chosen, bool TestsOnly, raw_ostream &OS) {
  auto All = DB.labels();
  if (!All)
    return All.takeError();
  std::map<int64_t, LabelImpact> Labels;
  for (CovDB::Label &L : *All)
    if (Chosen.empty() || llvm::is_contained(Chosen, L.Id))
      Labels[L.Id].Name = std::move(L.Name);
  for (const ChangedSource &F : Files)
    if (Error E = addFile(DB, F, Labels))
      return E;
  if (TestsOnly) {
    printTestIds(Labels, OS);
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
