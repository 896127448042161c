//===- ExportLcov.cpp - llvm-covmerge export --format=lcov ----------------===//
//
// An lcov tracefile with one TN: block per test, for genhtml --show-details:
//  - lines (DA, LF, LH) from the database, hit 1 or 0 (it keeps covered or
//    not, not counts), every executable line of each file the test covered;
//    files no exported test covers go, all zeros, into the first block of
//    their label, so that the totals are right;
//  - functions (FN, FNDA, FNF, FNH) and branches (BRDA, BRF, BRH) from the
//    stock `llvm-cov export -format=lcov` of the test's own profile, run
//    for every test on a thread pool, when the label's binaries are still
//    there with their build ids (else a warning, and lines only).
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include <map>
#include <mutex>
#include <optional>
#include <set>

using namespace llvm;
using namespace covlock;
using namespace covlock::tool;

namespace {
/// A file's function and branch records, as llvm-cov wrote them.
struct FileRecords {
  std::vector<std::string> Functions; ///< FN, FNDA, FNF, FNH lines
  std::vector<std::string> Branches;  ///< BRDA, BRF, BRH lines
};
using Records = std::map<std::string, FileRecords>; ///< by source path
} // namespace

/// lcov test names are letters, digits and '_' (geninfo's rule; genhtml
/// warns about others): everything else becomes '_'. The label goes first
/// when several are exported; a clash gets a numeric suffix.
static std::string lcovTestName(const CovDB::ContextInfo &C, bool WithLabel,
                                StringSet<> &Used) {
  std::string Raw = C.Test ? *C.Test : "outside_tests";
  if (WithLabel)
    Raw = C.Label + "__" + Raw;
  std::string Name;
  for (char Ch : Raw)
    Name += isAlnum(Ch) || Ch == '_' ? Ch : '_';
  std::string Unique = Name;
  for (unsigned N = 2; !Used.insert(Unique).second; ++N)
    Unique = Name + "_" + std::to_string(N);
  return Unique;
}

/// The function and branch records of llvm-cov's lcov output \p Text.
static Records parseRecords(StringRef Text) {
  Records R;
  FileRecords *File = nullptr;
  SmallVector<StringRef, 0> Lines;
  Text.split(Lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef Line : Lines) {
    if (Line.consume_front("SF:"))
      File = &R[Line.str()];
    else if (!File)
      continue;
    else if (Line.starts_with("FN"))
      File->Functions.push_back(Line.str());
    else if (Line.starts_with("BR"))
      File->Branches.push_back(Line.str());
  }
  return R;
}

/// Each context's records, from llvm-cov on its profile; labels whose
/// binaries llvm-cov cannot read get none (said once per label).
static Expected<std::vector<Records>>
functionsAndBranches(const CovDB &DB, ArrayRef<CovDB::ContextInfo> Contexts) {
  std::map<int64_t, std::optional<StockLlvmCov>> Tools; // per label
  for (const CovDB::ContextInfo &C : Contexts) {
    if (Tools.count(C.LabelId))
      continue;
    Expected<StockLlvmCov> Tool = StockLlvmCov::forLabel(DB, C.LabelId);
    if (Tool) {
      Tools[C.LabelId] = std::move(*Tool);
      continue;
    }
    reportWarning(createFileError(
        DB.path(), createStringError(inconvertibleErrorCode(),
                                     "label '" + C.Label +
                                         "': no functions or branches in the "
                                         "lcov export (" +
                                         toString(Tool.takeError()) + ")")));
    Tools[C.LabelId] = std::nullopt;
  }
  std::vector<Records> Result(Contexts.size());
  std::vector<Error> Errors;
  std::mutex Lock;
  DefaultThreadPool Pool(hardware_concurrency());
  for (size_t I = 0; I != Contexts.size(); ++I) {
    const std::optional<StockLlvmCov> &Tool = Tools[Contexts[I].LabelId];
    if (!Tool)
      continue;
    // Read here: one database connection, used by one thread.
    Expected<std::string> Profile = DB.contextProfile(Contexts[I].Id);
    if (!Profile)
      return Profile.takeError();
    Pool.async([&, I, Profile = std::move(*Profile)] {
      SmallString<128> Out;
      Error E = errorCodeToError(
          sys::fs::createTemporaryFile("covmerge-lcov", "info", Out));
      if (!E) {
        auto Remove = make_scope_exit([&] { sys::fs::remove(Out); });
        E = Tool->run(Profile, {"export", "-format=lcov"}, StringRef(Out));
        if (!E) {
          if (auto Text = MemoryBuffer::getFile(Out))
            Result[I] = parseRecords((*Text)->getBuffer());
          else
            E = createFileError(Out, errorCodeToError(Text.getError()));
        }
      }
      if (E) {
        std::lock_guard<std::mutex> G(Lock);
        Errors.push_back(std::move(E));
      }
    });
  }
  Pool.wait();
  Error All = Error::success();
  for (Error &E : Errors)
    All = joinErrors(std::move(All), std::move(E));
  if (All)
    return std::move(All);
  return std::move(Result);
}

/// \p R without the functions and branches on lines past \p LastLine, its
/// totals (FNF, FNH, BRF, BRH) counted again.
static FileRecords withinLines(const FileRecords &R, uint32_t LastLine) {
  auto Past = [&](StringRef Record) {
    uint32_t Line;
    return !Record.split(',').first.getAsInteger(10, Line) && Line > LastLine;
  };
  FileRecords Out;
  // A name's FNDA goes when each of its FN lines does.
  std::map<std::string, bool> AllPast;
  for (StringRef L : R.Functions)
    if (L.consume_front("FN:")) {
      auto [It, New] = AllPast.try_emplace(L.split(',').second.str(), true);
      It->second &= Past(L);
    }
  size_t Found = 0, Hit = 0;
  for (StringRef L : R.Functions) {
    StringRef Rest = L;
    if (Rest.consume_front("FN:")) {
      if (Past(Rest))
        continue;
      ++Found;
    } else if (Rest.consume_front("FNDA:")) {
      auto [Count, Name] = Rest.split(',');
      auto It = AllPast.find(Name.str());
      if (It != AllPast.end() && It->second)
        continue;
      Hit += Count != "0";
    } else if (L.starts_with("FNF:") || L.starts_with("FNH:")) {
      continue;
    }
    Out.Functions.push_back(L.str());
  }
  Out.Functions.push_back("FNF:" + std::to_string(Found));
  Out.Functions.push_back("FNH:" + std::to_string(Hit));
  Found = Hit = 0;
  for (StringRef L : R.Branches) {
    StringRef Rest = L;
    if (Rest.consume_front("BRDA:")) {
      if (Past(Rest))
        continue;
      ++Found;
      StringRef Taken = Rest.rsplit(',').second;
      Hit += Taken != "-" && Taken != "0";
    } else if (L.starts_with("BRF:") || L.starts_with("BRH:")) {
      continue;
    }
    Out.Branches.push_back(L.str());
  }
  Out.Branches.push_back("BRF:" + std::to_string(Found));
  Out.Branches.push_back("BRH:" + std::to_string(Hit));
  return Out;
}

/// One SF: record: \p Exec and \p Covered lines, \p Extra's functions and
/// branches. With \p PastEnd (covlock's line rules: the database has no
/// line past a source file's end), functions and branches past the last
/// executable line are left out: there are none in a source as it is.
static void writeFile(raw_ostream &OS, StringRef Path, ArrayRef<uint32_t> Exec,
                      ArrayRef<uint32_t> Covered, const FileRecords *Extra,
                      bool DropPastEnd) {
  std::optional<FileRecords> Within;
  if (Extra && DropPastEnd) {
    Within = withinLines(
        *Extra, Exec.empty() ? 0 : *std::max_element(Exec.begin(), Exec.end()));
    Extra = &*Within;
  }
  // lcov has no escapes: a control byte in a path would end the record.
  OS << "SF:" << printable(Path) << '\n';
  if (Extra)
    for (const std::string &L : Extra->Functions)
      OS << L << '\n';
  // Every executable line, hit 1 or 0; a covered line is always executable.
  std::set<uint32_t> All(Exec.begin(), Exec.end());
  All.insert(Covered.begin(), Covered.end());
  std::set<uint32_t> Hit(Covered.begin(), Covered.end());
  for (uint32_t L : All)
    OS << "DA:" << L << ',' << (Hit.count(L) ? 1 : 0) << '\n';
  OS << "LF:" << All.size() << '\n' << "LH:" << Hit.size() << '\n';
  if (Extra)
    for (const std::string &L : Extra->Branches)
      OS << L << '\n';
  OS << "end_of_record\n";
}

Error exportLcov(const CovDB &DB, ArrayRef<CovDB::ContextInfo> Contexts,
                 raw_ostream &OS) {
  bool WithLabel = false;
  for (const CovDB::ContextInfo &C : Contexts)
    WithLabel |= C.LabelId != Contexts.front().LabelId;
  // Executable lines per label and file, read once.
  std::map<int64_t, std::map<int64_t, CovDB::FileLines>> Exec;
  for (const CovDB::ContextInfo &C : Contexts)
    if (!Exec.count(C.LabelId)) {
      auto Lines = DB.executableLines(C.LabelId);
      if (!Lines)
        return Lines.takeError();
      auto &M = Exec[C.LabelId];
      for (CovDB::FileLines &F : *Lines)
        M.emplace(F.FileId, std::move(F));
    }
  // A file that no exported test covers still belongs in the report: it
  // goes, uncovered, into the first block of its label.
  std::map<int64_t, std::set<int64_t>> Touched;
  std::vector<std::vector<CovDB::FileLines>> Covered;
  for (const CovDB::ContextInfo &C : Contexts) {
    auto Lines = DB.coveredLines(C.Id);
    if (!Lines)
      return Lines.takeError();
    for (const CovDB::FileLines &F : *Lines)
      Touched[C.LabelId].insert(F.FileId);
    Covered.push_back(std::move(*Lines));
  }
  Expected<std::vector<Records>> Extra = functionsAndBranches(DB, Contexts);
  if (!Extra)
    return Extra.takeError();
  auto Rules = DB.lineRules();
  if (!Rules)
    return Rules.takeError();
  bool DropPastEnd = *Rules == LineRules::Covlock;

  StringSet<> Used;
  std::set<int64_t> LabelDone;
  for (size_t I = 0; I != Contexts.size(); ++I) {
    const CovDB::ContextInfo &C = Contexts[I];
    auto &LabelExec = Exec[C.LabelId];
    std::map<std::string, std::pair<const CovDB::FileLines *,
                                    const CovDB::FileLines *>>
        Files; // path -> (executable, covered)
    for (const CovDB::FileLines &F : Covered[I]) {
      auto It = LabelExec.find(F.FileId);
      Files[F.Path] = {It == LabelExec.end() ? nullptr : &It->second, &F};
    }
    if (LabelDone.insert(C.LabelId).second)
      for (auto &[Id, F] : LabelExec)
        if (!Touched[C.LabelId].count(Id))
          Files[F.Path] = {&F, nullptr};
    // A test that covered nothing has no block: lcov has nothing to say.
    if (Files.empty())
      continue;
    OS << "TN:" << lcovTestName(C, WithLabel, Used) << '\n';
    for (auto &[Path, EC] : Files) {
      auto R = (*Extra)[I].find(Path);
      writeFile(OS, Path,
                EC.first ? ArrayRef<uint32_t>(EC.first->Lines)
                         : ArrayRef<uint32_t>(),
                EC.second ? ArrayRef<uint32_t>(EC.second->Lines)
                          : ArrayRef<uint32_t>(),
                R == (*Extra)[I].end() ? nullptr : &R->second, DropPastEnd);
    }
  }
  return Error::success();
}
