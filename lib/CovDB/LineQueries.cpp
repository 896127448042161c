//===- LineQueries.cpp - One file's lines per label and per context -------===//
//
// The queries behind views across labels: a file's executable lines in each
// label (label_file.executable), all of them or those in some ranges (who,
// impact), and the lines each context covers there (coverage.lines, read
// through its primary key (file_id, context_id)).
// Bitmaps are decoded strictly: a damaged one is an error, not a short set.
//
//===----------------------------------------------------------------------===//

#include "SQLite.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/CovDB/Encoding.h"

using namespace llvm;

namespace covlock {

/// The decoded bitmap in column \p Col of \p S's row, or an error saying
/// which bitmap (\p What) is damaged.
static Expected<std::vector<uint32_t>> decodeColumn(const CovDB &DB,
                                                    const sql::Statement &S,
                                                    int Col,
                                                    const Twine &What) {
  std::optional<std::vector<uint32_t>> Lines =
      covdb::decodeBitmapChecked(S.blob(Col));
  if (!Lines)
    return DB.damaged("malformed line bitmap of " + What);
  return std::move(*Lines);
}

/// label_file.executable of \p FileId per label, decoded by \p Decode
/// (std::nullopt: damaged); labels for which it gives no line are left
/// out when \p DropEmpty.
template <typename DecodeFn>
static Expected<std::vector<CovDB::LabelLines>>
executableRows(const CovDB &DB, int64_t FileId, bool DropEmpty,
               DecodeFn Decode) {
  sql::Statement S(DB.handle(), DB.path());
  if (Error E = S.prepare("SELECT label_id, executable FROM label_file "
                          "WHERE file_id = ?1 ORDER BY label_id"))
    return std::move(E);
  S.bind(1, FileId);
  std::vector<CovDB::LabelLines> V;
  if (Error E = S.forEachRow([&]() -> Error {
        std::optional<std::vector<uint32_t>> Lines = Decode(S.blob(1));
        if (!Lines)
          return DB.damaged("malformed line bitmap of file " + Twine(FileId) +
                            " in label " + Twine(S.integer(0)));
        if (!DropEmpty || !Lines->empty())
          V.push_back({S.integer(0), std::move(*Lines)});
        return Error::success();
      }))
    return std::move(E);
  return V;
}

Expected<std::vector<CovDB::LabelLines>>
CovDB::executableByLabel(int64_t FileId) const {
  return executableRows(*this, FileId, /*DropEmpty=*/false, [](StringRef B) {
    return covdb::decodeBitmapChecked(B);
  });
}

Expected<std::vector<CovDB::LabelLines>>
CovDB::executableByLabel(int64_t FileId,
                         ArrayRef<covdb::LineRange> Ranges) const {
  return executableRows(*this, FileId, /*DropEmpty=*/true, [&](StringRef B) {
    return covdb::intersectBitmapChecked(B, Ranges);
  });
}

Error CovDB::forEachContextLines(
    int64_t FileId, std::optional<StringRef> Test,
    function_ref<void(int64_t ContextId, int64_t LabelId,
                      ArrayRef<uint32_t> Lines)>
        Fn) const {
  sql::Statement S(DB, Path);
  if (Error E = S.prepare(
          "SELECT cv.context_id, c.label_id, cv.lines FROM coverage cv "
          "JOIN context c ON c.id = cv.context_id WHERE cv.file_id = ?1 "
          "AND (?2 IS NULL OR c.test = ?2) ORDER BY cv.context_id"))
    return E;
  S.bind(1, FileId);
  if (Test)
    S.bind(2, *Test);
  return S.forEachRow([&]() -> Error {
    auto Lines = decodeColumn(*this, S, 2,
                              "file " + Twine(FileId) + " in context " +
                                  Twine(S.integer(0)));
    if (!Lines)
      return Lines.takeError();
    Fn(S.integer(0), S.integer(1), *Lines);
    return Error::success();
  });
}

} // namespace covlock
