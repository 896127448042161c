//===- Reader.cpp - Queries on a covdb ------------------------------------===//

#include "ProfileBytes.h"
#include "SQLite.h"
#include "covlock/CovDB/CovDB.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/CovDB/Encoding.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include <algorithm>
#include <iterator>
#include <map>
#include <set>

using namespace llvm;

namespace covlock {

const char *confidenceName(Confidence C) {
  switch (C) {
  case Confidence::Exact:
    return "exact";
  case Confidence::Normal:
    return "normal";
  case Confidence::Dubious:
    return "dubious";
  case Confidence::Outside:
    return "outside";
  }
  return "dubious";
}

std::optional<Confidence> parseConfidence(StringRef Name) {
  for (Confidence C : {Confidence::Exact, Confidence::Normal,
                       Confidence::Dubious, Confidence::Outside})
    if (Name == confidenceName(C))
      return C;
  return std::nullopt;
}

CovDB::~CovDB() { sqlite3_close(DB); }

Error CovDB::error(const Twine &Message) const {
  return createFileError(Path,
                         createStringError(inconvertibleErrorCode(), Message));
}

Expected<std::unique_ptr<CovDB>> CovDB::open(StringRef Path,
                                             StringRef ShownAs) {
  // sqlite3 would create a missing file even read-only in some modes, and its
  // message for a directory is obscure: check first.
  sys::fs::file_status Status;
  if (std::error_code EC = sys::fs::status(Path, Status))
    return createFileError(Path, errorCodeToError(EC));
  if (!sys::fs::is_regular_file(Status))
    return createFileError(
        Path, createStringError(inconvertibleErrorCode(), "not a file"));
  sqlite3 *DB = nullptr;
  int RC =
      sqlite3_open_v2(Path.str().c_str(), &DB, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<CovDB> Result(
      new CovDB(ShownAs.empty() ? Path.str() : ShownAs.str(), DB));
  if (RC != SQLITE_OK)
    return sql::error(DB, Path, "cannot open the database");
  sqlite3_extended_result_codes(DB, 1);

  sql::Statement S(DB, Result->Path);
  if (Error E = S.prepare("PRAGMA user_version"))
    return Result->error("not a coverage database (" + toString(std::move(E)) +
                         ")");
  auto Row = S.step();
  if (!Row) {
    consumeError(Row.takeError());
    return Result->error(Twine("not a coverage database (") +
                         sqlite3_errmsg(DB) + ")");
  }
  int64_t Version = *Row ? S.integer(0) : 0;
  if (Version == 0)
    return Result->error("not a coverage database (no covdb schema)");
  if (Version != CovDBSchemaVersion)
    return Result->error("covdb schema version " + Twine(Version) +
                         "; this llvm-covmerge reads version " +
                         Twine(CovDBSchemaVersion));
  sql::Statement M(DB, Result->Path);
  if (Error E = M.prepare("SELECT value FROM meta WHERE key = 'format'")) {
    consumeError(std::move(E));
    return Result->damaged("no meta table");
  }
  auto MRow = M.step();
  if (!MRow)
    return MRow.takeError();
  if (!*MRow || M.text(0) != "covlock-covdb")
    return Result->error("not a coverage database (meta format is not "
                         "'covlock-covdb')");
  // Every table a query may need, so that none answers from a database
  // that lost one as if it were empty.
  sql::Statement T(DB, Result->Path);
  if (Error E =
          T.prepare("SELECT name FROM sqlite_master WHERE type = 'table'"))
    return std::move(E);
  std::set<std::string> Tables;
  if (Error E = T.forEachRow([&] { Tables.insert(T.text(0).str()); }))
    return std::move(E);
  for (const char *Name : {"meta", "label", "binary", "file", "label_file",
                           "context", "problem", "coverage", "profile"})
    if (!Tables.count(Name))
      return Result->damaged(Twine("no table '") + Name + "'");
  return std::move(Result);
}

Expected<std::string> CovDB::meta(StringRef Key) const {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare("SELECT value FROM meta WHERE key = ?1"))
    return std::move(E);
  S.bind(1, Key);
  std::string Value;
  if (Error E = S.forEachRow([&] { Value = S.text(0).str(); }))
    return std::move(E);
  return Value;
}

Expected<std::optional<LineRules>> CovDB::lineRules() const {
  auto Semantics = meta("line_semantics");
  if (!Semantics)
    return Semantics.takeError();
  return lineRulesNamed(*Semantics);
}

Expected<std::vector<CovDB::Label>> CovDB::labels() const {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare("SELECT id, name FROM label ORDER BY name"))
    return std::move(E);
  std::vector<Label> V;
  if (Error E =
          S.forEachRow([&] { V.push_back({S.integer(0), S.text(1).str()}); }))
    return std::move(E);
  return V;
}

Expected<CovDB::Label> CovDB::findLabel(StringRef Name) const {
  auto Labels = labels();
  if (!Labels)
    return Labels.takeError();
  for (Label &L : *Labels)
    if (L.Name == Name)
      return L;
  std::string Names;
  for (Label &L : *Labels)
    Names += (Names.empty() ? "" : ", ") + ("'" + L.Name + "'");
  return error("no label '" + Name +
               "' (labels: " + (Names.empty() ? "none" : Names) + ")");
}

Error CovDB::damaged(const Twine &What) const {
  return error("damaged coverage database: " + What);
}

/// Union of a bitmap blob into a set; false if the blob is malformed.
static bool orInto(std::vector<uint32_t> &Acc, StringRef B) {
  std::optional<std::vector<uint32_t>> More = covdb::decodeBitmapChecked(B);
  if (!More)
    return false;
  std::vector<uint32_t> Out;
  std::set_union(Acc.begin(), Acc.end(), More->begin(), More->end(),
                 std::back_inserter(Out));
  Acc = std::move(Out);
  return true;
}

Expected<std::vector<CovDB::FileSummary>>
CovDB::fileSummaries(std::optional<int64_t> LabelId) const {
  sql::Statement S(DB, Path);
  if (LabelId) {
    if (Error E = S.prepare(
            "SELECT f.path, lf.lines, lf.lines_covered, lf.regions, "
            "lf.regions_covered FROM label_file lf JOIN file f ON "
            "f.id = lf.file_id WHERE lf.label_id = ?1 ORDER BY f.path"))
      return std::move(E);
    S.bind(1, *LabelId);
    std::vector<FileSummary> V;
    if (Error E = S.forEachRow([&] {
          V.push_back({S.text(0).str(), S.integer(1), S.integer(2),
                       S.integer(3), S.integer(4)});
        }))
      return std::move(E);
    return V;
  }
  // All labels: the union of their line sets. Regions are per label (their
  // spans may differ), so their counts add up.
  if (Error E =
          S.prepare("SELECT f.path, lf.executable, lf.covered, lf.regions, "
                    "lf.regions_covered FROM label_file lf JOIN file f ON "
                    "f.id = lf.file_id ORDER BY f.path, lf.label_id"))
    return std::move(E);
  std::vector<FileSummary> V;
  std::vector<uint32_t> Exec, Cov;
  auto Flush = [&] {
    if (V.empty())
      return;
    V.back().Lines = Exec.size();
    V.back().CoveredLines = Cov.size();
    Exec.clear();
    Cov.clear();
  };
  if (Error E = S.forEachRow([&]() -> Error {
        if (V.empty() || V.back().Path != S.text(0)) {
          Flush();
          V.push_back({S.text(0).str(), 0, 0, 0, 0});
        }
        if (!orInto(Exec, S.blob(1)) || !orInto(Cov, S.blob(2)))
          return damaged("malformed bitmap blob");
        V.back().Regions += S.integer(3);
        V.back().CoveredRegions += S.integer(4);
        return Error::success();
      }))
    return std::move(E);
  Flush();
  return V;
}

/// The columns readContext() reads, 0 to NumContextColumns - 1; a query
/// selects what else it needs after them.
static constexpr int NumContextColumns = 14;
static const char *ContextColumns =
    "c.id, c.label_id, l.name, c.test, c.confidence, c.processes, c.lost, "
    "c.failed, c.unreadable, c.lines_covered, c.regions_covered, "
    "c.outcome_pass, c.outcome_fail, c.outcome_skip";

static CovDB::ContextInfo readContext(const sql::Statement &S) {
  CovDB::ContextInfo C;
  C.Id = S.integer(0);
  C.LabelId = S.integer(1);
  C.Label = S.text(2).str();
  if (!S.isNull(3))
    C.Test = S.text(3).str();
  C.Conf = parseConfidence(S.text(4)).value_or(Confidence::Dubious);
  C.Processes = S.integer(5);
  C.Lost = S.integer(6);
  C.Failed = S.integer(7);
  C.Unreadable = S.integer(8);
  C.LinesCovered = S.integer(9);
  C.RegionsCovered = S.integer(10);
  C.OutcomePass = S.integer(11);
  C.OutcomeFail = S.integer(12);
  C.OutcomeSkip = S.integer(13);
  return C;
}

void sortContexts(std::vector<CovDB::ContextInfo> &V) {
  llvm::sort(V, [](const CovDB::ContextInfo &A, const CovDB::ContextInfo &B) {
    return contextBefore(A.Label, A.Test, B.Label, B.Test);
  });
}

Expected<std::vector<CovDB::ContextInfo>>
CovDB::contexts(std::optional<int64_t> LabelId,
                std::optional<StringRef> Test) const {
  std::string SQL = std::string("SELECT ") + ContextColumns +
                    " FROM context c JOIN label l ON l.id = c.label_id"
                    " WHERE (?1 IS NULL OR c.label_id = ?1)"
                    " AND (?2 IS NULL OR c.test = ?2)";
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(SQL))
    return std::move(E);
  if (LabelId)
    S.bind(1, *LabelId);
  if (Test)
    S.bind(2, *Test);
  std::vector<ContextInfo> V;
  if (Error E = S.forEachRow([&] { V.push_back(readContext(S)); }))
    return std::move(E);
  sortContexts(V);
  return V;
}

Expected<std::vector<CovDB::FileMatch>>
CovDB::resolveFiles(ArrayRef<std::string> Queries) const {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare("SELECT id, path FROM file ORDER BY path"))
    return std::move(E);
  std::vector<FileMatch> Matches(Queries.size());
  std::vector<std::string> Tails;
  for (StringRef Q : Queries)
    Tails.push_back(("/" + Q.ltrim('/')).str());
  std::vector<bool> Exact(Queries.size());
  if (Error E = S.forEachRow([&] {
        StringRef P = S.text(1);
        for (size_t I = 0; I != Queries.size(); ++I) {
          if (Exact[I])
            continue;
          if (P == Queries[I]) {
            Exact[I] = true;
            Matches[I].Candidates = {{S.integer(0), P.str()}};
          } else if (P.ends_with(Tails[I])) {
            Matches[I].Candidates.push_back({S.integer(0), P.str()});
          }
        }
      }))
    return std::move(E);
  return Matches;
}

Error CovDB::unresolved(StringRef Query, const FileMatch &M) const {
  if (M.Candidates.empty())
    return error("no source file '" + Query + "' in the database");
  std::string Names;
  for (auto &F : M.Candidates)
    Names += (Names.empty() ? " " : ", ") + F.second;
  return error("'" + Query + "' is ambiguous; it could be:" + Names);
}

Expected<std::pair<int64_t, std::string>>
CovDB::resolveFile(StringRef Query) const {
  auto Matches = resolveFiles({Query.str()});
  if (!Matches)
    return Matches.takeError();
  if (const auto *F = Matches->front().file())
    return *F;
  return unresolved(Query, Matches->front());
}

Expected<std::vector<CovDB::ContextHits>>
CovDB::whoCoversAny(int64_t FileId, ArrayRef<covdb::LineRange> Ranges) const {
  std::string SQL = std::string("SELECT ") + ContextColumns +
                    ", cv.lines FROM coverage cv"
                    " JOIN context c ON c.id = cv.context_id"
                    " JOIN label l ON l.id = c.label_id"
                    " WHERE cv.file_id = ?1";
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(SQL))
    return std::move(E);
  S.bind(1, FileId);
  std::vector<ContextHits> V;
  if (Error E = S.forEachRow([&]() -> Error {
        auto Hits =
            covdb::intersectBitmapChecked(S.blob(NumContextColumns), Ranges);
        if (!Hits)
          return damaged("malformed bitmap blob");
        if (!Hits->empty())
          V.push_back({readContext(S), std::move(*Hits)});
        return Error::success();
      }))
    return std::move(E);
  llvm::sort(V, [](const ContextHits &A, const ContextHits &B) {
    return contextBefore(A.Context.Label, A.Context.Test, B.Context.Label,
                         B.Context.Test);
  });
  return V;
}

Expected<std::vector<CovDB::ContextInfo>>
CovDB::whoCovers(int64_t FileId, uint32_t Line) const {
  auto Hits = whoCoversAny(FileId, {{Line, Line}});
  if (!Hits)
    return Hits.takeError();
  std::vector<ContextInfo> V;
  for (ContextHits &H : *Hits)
    V.push_back(std::move(H.Context));
  return V;
}

Expected<bool> CovDB::isExecutable(int64_t FileId, uint32_t Line) const {
  sql::Statement S(DB, Path);
  if (Error E =
          S.prepare("SELECT executable FROM label_file WHERE file_id = ?1"))
    return std::move(E);
  S.bind(1, FileId);
  while (true) {
    auto Row = S.step();
    if (!Row)
      return Row.takeError();
    if (!*Row)
      return false;
    std::optional<bool> Set = covdb::testBitChecked(S.blob(0), Line);
    if (!Set)
      return damaged("malformed bitmap blob");
    if (*Set)
      return true;
  }
}

/// The (file id, path, line bitmap) rows of the query \p SQL, whose one
/// parameter is \p Id.
static Expected<std::vector<CovDB::FileLines>>
queryFileLines(const CovDB &DB, StringRef SQL, int64_t Id) {
  sql::Statement S(DB.handle(), DB.path());
  if (Error E = S.prepare(SQL))
    return std::move(E);
  S.bind(1, Id);
  std::vector<CovDB::FileLines> V;
  if (Error E = S.forEachRow([&]() -> Error {
        std::optional<std::vector<uint32_t>> Lines =
            covdb::decodeBitmapChecked(S.blob(2));
        if (!Lines)
          return DB.damaged("malformed bitmap blob");
        V.push_back({S.integer(0), S.text(1).str(), std::move(*Lines)});
        return Error::success();
      }))
    return std::move(E);
  return V;
}

Expected<std::vector<CovDB::FileLines>>
CovDB::coveredLines(int64_t ContextId) const {
  return queryFileLines(*this,
                        "SELECT f.id, f.path, cv.lines FROM coverage cv "
                        "JOIN file f ON f.id = cv.file_id "
                        "WHERE cv.context_id = ?1 ORDER BY f.path",
                        ContextId);
}

Expected<std::vector<CovDB::FileLines>>
CovDB::executableLines(int64_t LabelId) const {
  return queryFileLines(*this,
                        "SELECT f.id, f.path, lf.executable FROM "
                        "label_file lf JOIN file f ON f.id = lf.file_id "
                        "WHERE lf.label_id = ?1 ORDER BY f.path",
                        LabelId);
}

/// The indexed profile of the rows of \p S, a query of (binary id, path,
/// function table, build id, sparse counters) bound to its parameter: each
/// binary's rows summed against its function table, with its build id. A
/// blob that does not decode is \p Bad("binary PATH: why").
static Expected<std::string>
profileOfRows(sql::Statement &S, function_ref<Error(const Twine &)> Bad) {
  std::map<int64_t, std::pair<BinaryLayout, CounterSum>> Sums;
  std::vector<uint64_t> Counters;
  std::vector<uint8_t> Bitmap;
  if (Error E = S.forEachRow([&]() -> Error {
        auto [It, New] = Sums.try_emplace(S.integer(0));
        BinaryLayout &Layout = It->second.first;
        Error E =
            New ? covdb::decodeFunctions(S.blob(2), Layout) : Error::success();
        if (!E)
          E = covdb::decodeSparse(S.blob(4), Layout, Counters, Bitmap);
        if (E)
          return Bad("binary " + S.text(1) + ": " + toString(std::move(E)));
        Layout.BinaryId = S.text(3).str();
        It->second.second.add(Layout, Counters, Bitmap);
        return Error::success();
      }))
    return std::move(E);
  IndexedProfileBuilder Builder;
  for (auto &[Id, LS] : Sums)
    Builder.add(LS.first, LS.second.Counters, LS.second.Bitmap);
  return Builder.take();
}

Expected<std::string> CovDB::contextProfile(int64_t ContextId) const {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(
          "SELECT b.id, b.path, b.functions, b.build_id, p.counters FROM "
          "profile p JOIN binary b ON b.id = p.binary_id WHERE "
          "p.context_id = ?1 ORDER BY b.id"))
    return std::move(E);
  S.bind(1, ContextId);
  return profileOfRows(S, [&](const Twine &Why) { return error(Why); });
}

Expected<std::string> CovDB::labelProfile(int64_t LabelId) const {
  // Summed from the contexts, which are where the counts come from, not
  // copied from label.profile: that indexed profile is LLVM's format, which
  // neither covlock nor llvm-cov checks before trusting it.
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(
          "SELECT b.id, b.path, b.functions, b.build_id, p.counters FROM "
          "profile p JOIN context c ON c.id = p.context_id JOIN binary b ON "
          "b.id = p.binary_id WHERE c.label_id = ?1 ORDER BY b.id"))
    return std::move(E);
  S.bind(1, LabelId);
  return profileOfRows(S, [&](const Twine &Why) { return damaged(Why); });
}

Expected<std::vector<CovDB::BinaryRef>> CovDB::binaries(int64_t LabelId) const {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(
          "SELECT DISTINCT binary.id, binary.path, binary.build_id FROM binary"
          " JOIN profile ON profile.binary_id = binary.id"
          " JOIN context ON context.id = profile.context_id"
          " WHERE context.label_id = ?1 ORDER BY binary.id"))
    return std::move(E);
  S.bind(1, LabelId);
  std::vector<BinaryRef> Binaries;
  for (;;) {
    auto Row = S.step();
    if (!Row)
      return Row.takeError();
    if (!*Row)
      return Binaries;
    Binaries.push_back({S.text(1).str(), S.text(2).str()});
  }
}

} // namespace covlock
