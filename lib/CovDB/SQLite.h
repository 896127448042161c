//===- SQLite.h - A thin layer over sqlite3 for the covdb -----------------===//
//
// Private to lib/CovDB: prepared statements with llvm::Error results.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_COVDB_SQLITE_H
#define COVLOCK_LIB_COVDB_SQLITE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <sqlite3.h>
#include <type_traits>

namespace covlock {
namespace sql {

/// The error of the last call on \p DB, as "<path>: <what>: <sqlite message>".
inline llvm::Error error(sqlite3 *DB, llvm::StringRef Path,
                         const llvm::Twine &What) {
  return llvm::createFileError(
      Path, llvm::createStringError(llvm::inconvertibleErrorCode(),
                                    What + ": " + sqlite3_errmsg(DB)));
}

class Statement {
public:
  Statement(sqlite3 *DB, llvm::StringRef Path) : DB(DB), Path(Path) {}
  ~Statement() { sqlite3_finalize(S); }
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  llvm::Error prepare(llvm::StringRef SQL) {
    sqlite3_finalize(S);
    S = nullptr;
    if (sqlite3_prepare_v2(DB, SQL.data(), SQL.size(), &S, nullptr) !=
        SQLITE_OK)
      return error(DB, Path, "cannot read the database");
    return llvm::Error::success();
  }
  Statement &bind(int I, int64_t V) {
    sqlite3_bind_int64(S, I, V);
    return *this;
  }
  Statement &bind(int I, llvm::StringRef V) {
    sqlite3_bind_text(S, I, V.data(), V.size(), SQLITE_STATIC);
    return *this;
  }
  Statement &bindNull(int I) {
    sqlite3_bind_null(S, I);
    return *this;
  }
  /// Blobs are bound without copying: keep them alive until step().
  Statement &bindBlob(int I, llvm::StringRef V) {
    sqlite3_bind_blob(S, I, V.data() ? V.data() : "", V.size(), SQLITE_STATIC);
    return *this;
  }
  /// true: a row; false: done.
  llvm::Expected<bool> step() {
    int RC = sqlite3_step(S);
    if (RC == SQLITE_ROW)
      return true;
    if (RC == SQLITE_DONE)
      return false;
    return error(DB, Path, "cannot read the database");
  }
  /// Steps through every row of a query, calling \p Row() on each; the
  /// columns are read from this statement. \p Row returns void or an Error,
  /// which stops the loop. The query's own error stops it too.
  template <typename RowFn> llvm::Error forEachRow(RowFn Row) {
    while (true) {
      llvm::Expected<bool> More = step();
      if (!More)
        return More.takeError();
      if (!*More)
        return llvm::Error::success();
      if constexpr (std::is_void_v<decltype(Row())>)
        Row();
      else if (llvm::Error E = Row())
        return E;
    }
  }
  /// Runs an insert or update to completion and resets for the next one.
  llvm::Error exec() {
    int RC = sqlite3_step(S);
    sqlite3_reset(S);
    sqlite3_clear_bindings(S);
    if (RC != SQLITE_DONE)
      return error(DB, Path, "cannot write the database");
    return llvm::Error::success();
  }
  void reset() {
    sqlite3_reset(S);
    sqlite3_clear_bindings(S);
  }
  int64_t integer(int Col) const { return sqlite3_column_int64(S, Col); }
  bool isNull(int Col) const {
    return sqlite3_column_type(S, Col) == SQLITE_NULL;
  }
  llvm::StringRef text(int Col) const {
    const unsigned char *T = sqlite3_column_text(S, Col);
    return T ? llvm::StringRef(reinterpret_cast<const char *>(T),
                               sqlite3_column_bytes(S, Col))
             : llvm::StringRef();
  }
  llvm::StringRef blob(int Col) const {
    const void *B = sqlite3_column_blob(S, Col);
    return B ? llvm::StringRef(static_cast<const char *>(B),
                               sqlite3_column_bytes(S, Col))
             : llvm::StringRef();
  }

private:
  sqlite3 *DB;
  llvm::StringRef Path;
  sqlite3_stmt *S = nullptr;
};

inline llvm::Error exec(sqlite3 *DB, llvm::StringRef Path, const char *SQL) {
  char *Msg = nullptr;
  if (sqlite3_exec(DB, SQL, nullptr, nullptr, &Msg) != SQLITE_OK) {
    std::string M = Msg ? Msg : "unknown error";
    sqlite3_free(Msg);
    return llvm::createFileError(
        Path, llvm::createStringError(llvm::inconvertibleErrorCode(), M));
  }
  return llvm::Error::success();
}

} // namespace sql

} // namespace covlock

#endif
