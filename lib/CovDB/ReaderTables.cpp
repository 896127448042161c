//===- ReaderTables.cpp - Whole covdb tables, for merging databases -------===//

#include "SQLite.h"
#include "covlock/CovDB/CovDBReader.h"

using namespace llvm;

namespace covlock {

/// Runs \p SQL and calls \p Row on each row of it.
template <typename RowFn>
static Error eachRow(sqlite3 *DB, StringRef Path, StringRef SQL, RowFn Row) {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(SQL))
    return E;
  return S.forEachRow([&] { return Row(S); });
}

Error CovDB::forEachBinary(function_ref<Error(const BinaryRow &)> Row) const {
  return eachRow(DB, Path,
                 "SELECT id, path, build_id, functions FROM binary ORDER BY id",
                 [&](const sql::Statement &S) {
                   return Row({S.integer(0), S.text(1), S.text(2), S.blob(3)});
                 });
}

Expected<std::map<int64_t, std::string>> CovDB::files() const {
  std::map<int64_t, std::string> Files;
  if (Error E = eachRow(DB, Path, "SELECT id, path FROM file",
                        [&](const sql::Statement &S) {
                          Files[S.integer(0)] = S.text(1).str();
                          return Error::success();
                        }))
    return std::move(E);
  return Files;
}

Error CovDB::forEachLabelFile(
    function_ref<Error(const LabelFileRow &)> Row) const {
  return eachRow(DB, Path,
                 "SELECT label_id, file_id, executable, covered, "
                 "region_spans, covered_regions FROM label_file",
                 [&](const sql::Statement &S) {
                   return Row({S.integer(0), S.integer(1), S.blob(2), S.blob(3),
                               S.blob(4), S.blob(5)});
                 });
}

Error CovDB::forEachProblem(function_ref<Error(const ProblemRow &)> Row) const {
  return eachRow(DB, Path,
                 "SELECT context_id, kind, path, message FROM problem "
                 "ORDER BY context_id, seq",
                 [&](const sql::Statement &S) {
                   return Row(
                       {S.integer(0),
                        {S.text(1).str(), S.text(2).str(), S.text(3).str()}});
                 });
}

Error CovDB::forEachCoverage(
    function_ref<Error(const CoverageRow &)> Row) const {
  return eachRow(
      DB, Path, "SELECT context_id, file_id, lines, regions FROM coverage",
      [&](const sql::Statement &S) {
        return Row({S.integer(0), S.integer(1), S.blob(2), S.blob(3)});
      });
}

Error CovDB::forEachProfile(function_ref<Error(const ProfileRow &)> Row) const {
  return eachRow(DB, Path,
                 "SELECT context_id, binary_id, counters FROM profile "
                 "ORDER BY context_id, binary_id",
                 [&](const sql::Statement &S) {
                   return Row({S.integer(0), S.integer(1), S.blob(2)});
                 });
}

} // namespace covlock
