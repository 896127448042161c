//===- TableWriter.cpp - Writing a model into a new covdb -----------------===//
//
// The model, canonical (Model::canonicalize), becomes the tables of
// Schema.cpp in one transaction, table by table, in a temporary file beside
// the target that is synced and renamed over it: an interrupted write
// leaves the previous database as it was.
//
//===----------------------------------------------------------------------===//

#include "Model.h"
#include "ProfileBytes.h"
#include "SQLite.h"
#include "Schema.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/CovDB/Encoding.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include <fcntl.h>
#include <limits>
#include <unistd.h>

using namespace llvm;

namespace covlock {
namespace covdb {

namespace {
/// A database being written, and the ids its rows were given.
struct Output {
  sqlite3 *DB = nullptr;
  std::string Path;
  std::string LineSemantics; ///< meta.line_semantics
  std::map<std::string, int64_t> LabelIds, FileIds;

  ~Output() { sqlite3_close(DB); }
};
} // namespace

/// A new database at \p O.Path with the schema and the meta rows.
static Error create(Output &O) {
  if (sqlite3_open_v2(O.Path.c_str(), &O.DB,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK)
    return sql::error(O.DB, O.Path, "cannot create the database");
  // No journal: the file is private until renamed, and a failure removes it.
  if (Error E = sql::exec(O.DB, O.Path,
                          "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                          " PRAGMA page_size = 4096; BEGIN;"))
    return E;
  if (Error E = sql::exec(O.DB, O.Path, CovDBSchemaSQL))
    return E;
  sql::Statement Meta(O.DB, O.Path);
  if (Error E = Meta.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)"))
    return E;
  std::pair<const char *, std::string> MetaRows[] = {
      {"format", "covlock-covdb"},
      {"schema_version", std::to_string(CovDBSchemaVersion)},
      {"writer", "llvm-covmerge (covlock)"},
      {"llvm_version", LLVM_VERSION_STRING},
      {"line_semantics", O.LineSemantics},
  };
  for (auto &[K, V] : MetaRows)
    if (Error E = Meta.bind(1, K).bind(2, V).exec())
      return E;
  return Error::success();
}

/// Labels, sorted by name, ids from 1, each with its aggregate profile.
static Error writeLabels(Output &O, Model &M) {
  sql::Statement S(O.DB, O.Path);
  if (Error E = S.prepare(
          "INSERT INTO label (id, name, profile) VALUES (?1, ?2, ?3)"))
    return E;
  for (auto &[Name, L] : M.Labels) {
    if (L.Profiles.size() != 1) {
      auto Sum = sumOwnIndexedProfiles(L.Profiles);
      if (!Sum)
        return createFileError(O.Path, Sum.takeError());
      L.Profiles.assign(1, std::move(*Sum));
    }
    int64_t Id = O.LabelIds.size() + 1;
    O.LabelIds[Name] = Id;
    if (Error E = S.bind(1, Id).bind(2, Name).bindBlob(3, L.Profiles[0]).exec())
      return E;
    // Written: the biggest blob of the database need not wait for the rest.
    std::vector<std::string>().swap(L.Profiles);
  }
  return Error::success();
}

/// Binaries in the model's order, ids from 1.
static Error writeBinaries(Output &O, const Model &M) {
  sql::Statement S(O.DB, O.Path);
  if (Error E =
          S.prepare("INSERT INTO binary (id, path, build_id, num_functions, "
                    "num_counters, num_bitmap_bytes, functions) VALUES "
                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
    return E;
  for (size_t I = 0; I != M.Binaries.size(); ++I) {
    const BinaryModel &B = M.Binaries[I];
    if (Error E = S.bind(1, int64_t(I + 1))
                      .bind(2, B.Path)
                      .bind(3, B.BuildId)
                      .bind(4, int64_t(B.NumFunctions))
                      .bind(5, int64_t(B.NumCounters))
                      .bind(6, int64_t(B.NumBitmapBytes))
                      .bindBlob(7, B.Functions)
                      .exec())
      return E;
  }
  return Error::success();
}

/// Files: every path a label or context names, sorted, ids from 1.
static Error writeFiles(Output &O, const Model &M) {
  for (auto &KV : M.Labels)
    for (auto &F : KV.second.Files)
      O.FileIds[F.first];
  for (const ContextModel &C : M.Contexts)
    for (auto &F : C.Files)
      O.FileIds[F.first];
  sql::Statement S(O.DB, O.Path);
  if (Error E = S.prepare("INSERT INTO file (id, path) VALUES (?1, ?2)"))
    return E;
  int64_t Next = 1;
  for (auto &KV : O.FileIds) {
    KV.second = Next++;
    if (Error E = S.bind(1, KV.second).bind(2, KV.first).exec())
      return E;
  }
  return Error::success();
}

/// The indices in \p List of the spans \p Covered. Both lists are sorted:
/// each search starts where the last one ended and gallops, since covered
/// regions are a thin spread over a big file.
static std::vector<uint32_t> regionIndices(const Spans &List,
                                           const Spans &Covered) {
  std::vector<uint32_t> V;
  auto From = List.begin();
  for (const RegionSpan &R : Covered) {
    size_t Step = 1;
    auto To = From;
    while (To != List.end() && *To < R) {
      From = To;
      To = Step < size_t(List.end() - To) ? To + Step : List.end();
      Step *= 2;
    }
    From = std::lower_bound(From, To, R);
    if (From != List.end() && *From == R)
      V.push_back(From - List.begin());
  }
  return V;
}

/// Per label and file: executable and covered lines, regions.
static Error writeLabelFiles(Output &O, const Model &M) {
  sql::Statement S(O.DB, O.Path);
  if (Error E = S.prepare(
          "INSERT INTO label_file (label_id, file_id, lines, lines_covered, "
          "regions, regions_covered, executable, covered, region_spans, "
          "covered_regions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
          "?10)"))
    return E;
  for (auto &[Name, L] : M.Labels)
    for (auto &[File, LF] : L.Files) {
      std::vector<uint32_t> CoveredRegions =
          regionIndices(LF.Regions, LF.CoveredRegions);
      std::string Exec = encodeBitmap(LF.Executable);
      std::string Cov = encodeBitmap(LF.Covered);
      std::string Regions = encodeRegions(LF.Regions);
      std::string CovRegions = encodeBitmap(CoveredRegions);
      if (Error E = S.bind(1, O.LabelIds[Name])
                        .bind(2, O.FileIds[File])
                        .bind(3, int64_t(LF.Executable.size()))
                        .bind(4, int64_t(LF.Covered.size()))
                        .bind(5, int64_t(LF.Regions.size()))
                        .bind(6, int64_t(CoveredRegions.size()))
                        .bindBlob(7, Exec)
                        .bindBlob(8, Cov)
                        .bindBlob(9, Regions)
                        .bindBlob(10, CovRegions)
                        .exec())
        return E;
    }
  return Error::success();
}

namespace {
/// One coverage row of a context.
struct CoverageRow {
  int64_t File;
  uint32_t NumLines, NumRegions;
  std::string Lines, Regions;
};

/// The statements that write contexts, prepared once.
struct ContextStatements {
  sql::Statement Context, Problem, Coverage, Profile;
  explicit ContextStatements(const Output &O)
      : Context(O.DB, O.Path), Problem(O.DB, O.Path), Coverage(O.DB, O.Path),
        Profile(O.DB, O.Path) {}

  Error prepare() {
    if (Error E = Context.prepare(
            "INSERT INTO context (id, label_id, test, confidence, processes, "
            "lost, failed, unreadable, lines_covered, regions_covered, "
            "outcome_pass, outcome_fail, outcome_skip) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"))
      return E;
    if (Error E = Problem.prepare("INSERT INTO problem (context_id, seq, kind, "
                                  "path, message) VALUES (?1, ?2, ?3, ?4, ?5)"))
      return E;
    if (Error E = Coverage.prepare(
            "INSERT INTO coverage (file_id, context_id, lines_covered, "
            "regions_covered, lines, regions) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))
      return E;
    return Profile.prepare("INSERT INTO profile (context_id, binary_id, "
                           "counters) VALUES (?1, ?2, ?3)");
  }
};
} // namespace

/// The coverage rows of \p C: its covered lines, and its covered regions
/// as indices into its label's spans of each file.
static std::vector<CoverageRow> coverageRows(Output &O, Model &M,
                                             ContextModel &C) {
  std::vector<CoverageRow> Rows;
  const LabelModel &L = M.Labels[C.Label];
  for (auto &[File, CF] : C.Files) {
    if (CF.Encoded) {
      if (CF.NumLines || CF.NumRegions)
        Rows.push_back({O.FileIds[File], CF.NumLines, CF.NumRegions,
                        std::move(CF.LinesBlob), std::move(CF.RegionsBlob)});
      continue;
    }
    if (CF.Covered.empty() && CF.CoveredRegions.empty())
      continue;
    auto LIt = L.Files.find(File);
    std::vector<uint32_t> Regions;
    if (LIt != L.Files.end())
      Regions = regionIndices(LIt->second.Regions, CF.CoveredRegions);
    Rows.push_back({O.FileIds[File], uint32_t(CF.Covered.size()),
                    uint32_t(Regions.size()), encodeBitmap(CF.Covered),
                    encodeBitmap(Regions)});
  }
  return Rows;
}

/// A count as SQLite's signed 64-bit integer holds it (saturated).
static int64_t storedCount(uint64_t N) {
  return int64_t(std::min<uint64_t>(N, std::numeric_limits<int64_t>::max()));
}

/// Context \p Id: its row, problems, coverage and profiles.
static Error writeContext(Output &O, Model &M, ContextStatements &S, int64_t Id,
                          ContextModel &C) {
  std::vector<CoverageRow> Rows = coverageRows(O, M, C);
  uint32_t LinesCovered = 0, RegionsCovered = 0;
  for (const CoverageRow &R : Rows) {
    LinesCovered += R.NumLines;
    RegionsCovered += R.NumRegions;
  }
  S.Context.bind(1, Id).bind(2, O.LabelIds[C.Label]);
  if (C.Test)
    S.Context.bind(3, *C.Test);
  else
    S.Context.bindNull(3);
  if (Error E = S.Context.bind(4, confidenceName(C.Conf))
                    .bind(5, storedCount(C.Processes))
                    .bind(6, storedCount(C.Lost))
                    .bind(7, storedCount(C.Failed))
                    .bind(8, storedCount(C.Unreadable))
                    .bind(9, LinesCovered)
                    .bind(10, RegionsCovered)
                    .bind(11, storedCount(C.Outcomes.Passed))
                    .bind(12, storedCount(C.Outcomes.Failed))
                    .bind(13, storedCount(C.Outcomes.Skipped))
                    .exec())
    return E;
  for (size_t P = 0; P != C.Problems.size(); ++P) {
    const MergeProblem &MP = C.Problems[P];
    if (Error E = S.Problem.bind(1, Id)
                      .bind(2, int64_t(P))
                      .bind(3, MP.Kind)
                      .bind(4, MP.Path)
                      .bind(5, MP.Message)
                      .exec())
      return E;
  }
  for (CoverageRow &R : Rows)
    if (Error E = S.Coverage.bind(1, R.File)
                      .bind(2, Id)
                      .bind(3, R.NumLines)
                      .bind(4, R.NumRegions)
                      .bindBlob(5, R.Lines)
                      .bindBlob(6, R.Regions)
                      .exec())
      return E;
  for (auto &[Binary, Sparse] : C.Profiles)
    if (Error E = S.Profile.bind(1, Id)
                      .bind(2, int64_t(Binary + 1))
                      .bindBlob(3, Sparse)
                      .exec())
      return E;
  return Error::success();
}

/// Contexts in the model's (canonical) order, ids from 1.
static Error writeContexts(Output &O, Model &M) {
  ContextStatements S(O);
  if (Error E = S.prepare())
    return E;
  for (size_t I = 0; I != M.Contexts.size(); ++I)
    if (Error E = writeContext(O, M, S, I + 1, M.Contexts[I]))
      return E;
  return Error::success();
}

/// Writes \p M, canonical, into a new database at \p Path.
static Error writeTables(Model &M, StringRef Path) {
  Output O;
  O.Path = Path.str();
  O.LineSemantics = M.LineSemantics;
  if (Error E = create(O))
    return E;
  if (Error E = writeLabels(O, M))
    return E;
  if (Error E = writeBinaries(O, M))
    return E;
  if (Error E = writeFiles(O, M))
    return E;
  if (Error E = writeLabelFiles(O, M))
    return E;
  if (Error E = writeContexts(O, M))
    return E;
  if (Error E = sql::exec(O.DB, O.Path, CovDBIndexSQL))
    return E;
  std::string Version =
      "PRAGMA user_version = " + std::to_string(CovDBSchemaVersion) + ";";
  if (Error E = sql::exec(O.DB, O.Path, Version.c_str()))
    return E;
  return sql::exec(O.DB, O.Path, "COMMIT;");
}

Error writeModel(Model &M, ArrayRef<std::string> InputDatabases,
                 StringRef OutPath) {
  for (size_t I = 0; I != InputDatabases.size(); ++I)
    if (Error E = addDatabase(InputDatabases[I], I + 1, M))
      return E;
  if (Error E = M.canonicalize())
    return E;

  std::string Tmp =
      (OutPath + ".tmp-" + Twine(sys::Process::getProcessId())).str();
  sys::fs::remove(Tmp);
  if (Error E = writeTables(M, Tmp)) {
    sys::fs::remove(Tmp);
    return E;
  }
  // Durable before it replaces the previous database.
  int FD = ::open(Tmp.c_str(), O_RDONLY);
  if (FD >= 0) {
    ::fsync(FD);
    ::close(FD);
  }
  if (std::error_code EC = sys::fs::rename(Tmp, OutPath)) {
    sys::fs::remove(Tmp);
    return createFileError(OutPath, errorCodeToError(EC));
  }
  return Error::success();
}

} // namespace covdb
} // namespace covlock
