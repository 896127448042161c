//===- covlock/CovDB/CovDBReader.h - Queries on a covdb ------------*- C++
//-*-===//
//
// Read-only access to a .covdb for reports, `who` and exports. Opening checks
// the schema version; a file that is not a covdb, or is damaged, is an
// llvm::FileError naming it, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_COVDB_COVDBREADER_H
#define COVLOCK_COVDB_COVDBREADER_H

#include "covlock/Attribution/Attribution.h"
#include "covlock/CovDB/Encoding.h"
#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace covlock {

/// The schema version this build reads and writes (PRAGMA user_version).
constexpr int CovDBSchemaVersion = 2;

const char *confidenceName(Confidence C);
std::optional<Confidence> parseConfidence(llvm::StringRef Name);

class CovDB {
public:
  ~CovDB();
  CovDB(const CovDB &) = delete;
  CovDB &operator=(const CovDB &) = delete;

  /// Opens \p Path read-only; messages name it \p ShownAs if given (a
  /// temporary copy that stands for the user's file).
  static llvm::Expected<std::unique_ptr<CovDB>>
  open(llvm::StringRef Path, llvm::StringRef ShownAs = "");

  llvm::StringRef path() const { return Path; }
  sqlite3 *handle() const { return DB; }

  /// The meta row \p Key (docs/covdb.md); "" if there is none.
  llvm::Expected<std::string> meta(llvm::StringRef Key) const;
  /// The line rules that wrote it (meta.line_semantics); none if its value
  /// names none.
  llvm::Expected<std::optional<LineRules>> lineRules() const;

  struct Label {
    int64_t Id;
    std::string Name;
  };
  llvm::Expected<std::vector<Label>> labels() const;
  /// The label named \p Name; an error listing the labels if there is none.
  llvm::Expected<Label> findLabel(llvm::StringRef Name) const;

  struct FileSummary {
    std::string Path;
    /// As stored (64-bit): a damaged or forged database's values are shown
    /// as read, never cut.
    int64_t Lines = 0, CoveredLines = 0, Regions = 0, CoveredRegions = 0;
  };
  /// Per source file, sorted by path: one label, or the union of all.
  llvm::Expected<std::vector<FileSummary>>
  fileSummaries(std::optional<int64_t> LabelId) const;

  struct ContextInfo {
    int64_t Id = 0;
    int64_t LabelId = 0;
    std::string Label;
    std::optional<std::string> Test;
    Confidence Conf = Confidence::Exact;
    int64_t Processes = 0, Lost = 0, Failed = 0, Unreadable = 0;
    int64_t LinesCovered = 0, RegionsCovered = 0; ///< as stored
    /// Test ends that passed, failed, were skipped (as stored).
    int64_t OutcomePass = 0, OutcomeFail = 0, OutcomeSkip = 0;
    /// The same, to count and show (a negative count, which only a forged
    /// database holds, as none).
    TestOutcomes outcomes() const {
      auto N = [](int64_t V) { return uint64_t(V < 0 ? 0 : V); };
      TestOutcomes O;
      O.Passed = N(OutcomePass);
      O.Failed = N(OutcomeFail);
      O.Skipped = N(OutcomeSkip);
      return O;
    }
  };
  /// Contexts sorted by (label, test), outside first; optionally one label
  /// and/or one test.
  llvm::Expected<std::vector<ContextInfo>>
  contexts(std::optional<int64_t> LabelId,
           std::optional<llvm::StringRef> Test) const;

  /// The files a path given by a user names: the file stored under
  /// exactly that path, or else every file whose path ends with "/" + the
  /// query (a suffix at a path component: "parse.c", "src/parse.c").
  struct FileMatch {
    std::vector<std::pair<int64_t, std::string>> Candidates; ///< by path
    /// The one file matched; null when none or several are.
    const std::pair<int64_t, std::string> *file() const {
      return Candidates.size() == 1 ? &Candidates.front() : nullptr;
    }
  };
  /// One FileMatch per query, reading the file table once.
  llvm::Expected<std::vector<FileMatch>>
  resolveFiles(llvm::ArrayRef<std::string> Queries) const;
  /// The error for a query that matched no file ("no source file ...") or
  /// several ("... is ambiguous; it could be: ...").
  llvm::Error unresolved(llvm::StringRef Query, const FileMatch &M) const;
  /// The one file \p Query matches (resolveFiles), or unresolved()'s error.
  llvm::Expected<std::pair<int64_t, std::string>>
  resolveFile(llvm::StringRef Query) const;

  /// A context and the lines it covers among those asked about.
  struct ContextHits {
    ContextInfo Context;
    std::vector<uint32_t> Lines; ///< ascending
  };
  /// The contexts that cover a line of \p Ranges (ascending, disjoint) in
  /// file \p FileId, sorted as contexts() sorts them, each with those
  /// lines. One indexed read of the file's coverage rows, each bitmap
  /// walked once against the ranges.
  llvm::Expected<std::vector<ContextHits>>
  whoCoversAny(int64_t FileId, llvm::ArrayRef<covdb::LineRange> Ranges) const;
  /// Contexts that cover \p Line of file \p FileId, sorted.
  llvm::Expected<std::vector<ContextInfo>> whoCovers(int64_t FileId,
                                                     uint32_t Line) const;
  /// Whether \p Line of \p FileId is executable in some label.
  llvm::Expected<bool> isExecutable(int64_t FileId, uint32_t Line) const;

  struct FileLines {
    int64_t FileId;
    std::string Path;
    std::vector<uint32_t> Lines;
  };
  /// Covered lines of a context per file, sorted by path.
  llvm::Expected<std::vector<FileLines>> coveredLines(int64_t ContextId) const;
  /// Executable lines of a label per file, sorted by path.
  llvm::Expected<std::vector<FileLines>> executableLines(int64_t LabelId) const;

  /// Lines of one file per label or per context (LineQueries.cpp), for
  /// views across labels (`show`, `who --label`).
  struct LabelLines {
    int64_t LabelId = 0;
    std::vector<uint32_t> Lines; ///< ascending
  };
  /// The executable lines of \p FileId in every label that compiles it,
  /// by label id. A damaged bitmap is an error naming the database.
  llvm::Expected<std::vector<LabelLines>>
  executableByLabel(int64_t FileId) const;
  /// The same, only the lines in \p Ranges (ascending, disjoint), read
  /// without decoding the rest; labels with none of them are left out.
  llvm::Expected<std::vector<LabelLines>>
  executableByLabel(int64_t FileId,
                    llvm::ArrayRef<covdb::LineRange> Ranges) const;
  /// Calls \p Fn(context id, label id, lines) for each context that covers
  /// lines of \p FileId, in context id order, with those lines
  /// (ascending): summed per label and line, the contexts that cover each
  /// line. With \p Test, only the contexts of that test (in any label).
  llvm::Error forEachContextLines(
      int64_t FileId, std::optional<llvm::StringRef> Test,
      llvm::function_ref<void(int64_t ContextId, int64_t LabelId,
                              llvm::ArrayRef<uint32_t> Lines)>
          Fn) const;

  /// An indexed profile (.profdata bytes) of one context, rebuilt from its
  /// sparse counters and its binaries' function tables.
  llvm::Expected<std::string> contextProfile(int64_t ContextId) const;
  /// The aggregate indexed profile of a label, summed from its contexts'
  /// sparse counters (as the writer sums it), binary ids included.
  llvm::Expected<std::string> labelProfile(int64_t LabelId) const;
  struct BinaryRef {
    std::string Path;
    std::string BuildId; ///< hex; empty if none
  };
  /// The binaries a label's contexts ran, in the order they were merged.
  llvm::Expected<std::vector<BinaryRef>> binaries(int64_t LabelId) const;

  /// Whole tables, as stored, for merging databases (DatabaseInput.cpp):
  /// each row is passed to the callback, whose error stops the reading;
  /// text and blobs are valid during the call only.
  struct BinaryRow {
    int64_t Id;
    llvm::StringRef Path, BuildId;
    llvm::StringRef Functions; ///< covdb::encodeFunctions()
  };
  llvm::Error
  forEachBinary(llvm::function_ref<llvm::Error(const BinaryRow &)> Row) const;
  /// File ids and paths.
  llvm::Expected<std::map<int64_t, std::string>> files() const;
  struct LabelFileRow {
    int64_t LabelId, FileId;
    llvm::StringRef Executable, Covered; ///< line bitmaps
    llvm::StringRef RegionSpans;         ///< covdb::encodeRegions()
    llvm::StringRef CoveredRegions;      ///< bitmap of indices into them
  };
  llvm::Error forEachLabelFile(
      llvm::function_ref<llvm::Error(const LabelFileRow &)> Row) const;
  /// A context's problems, in order.
  struct ProblemRow {
    int64_t ContextId;
    MergeProblem Problem;
  };
  llvm::Error
  forEachProblem(llvm::function_ref<llvm::Error(const ProblemRow &)> Row) const;
  struct CoverageRow {
    int64_t ContextId, FileId;
    llvm::StringRef Lines;   ///< bitmap
    llvm::StringRef Regions; ///< bitmap of indices into the label's spans
  };
  llvm::Error forEachCoverage(
      llvm::function_ref<llvm::Error(const CoverageRow &)> Row) const;
  struct ProfileRow {
    int64_t ContextId, BinaryId;
    llvm::StringRef Counters; ///< covdb::encodeSparse()
  };
  llvm::Error
  forEachProfile(llvm::function_ref<llvm::Error(const ProfileRow &)> Row) const;

  /// "<path>: damaged coverage database: <what>".
  llvm::Error damaged(const llvm::Twine &What) const;
  /// An error about this database: "<path>: <message>".
  llvm::Error error(const llvm::Twine &Message) const;

private:
  CovDB(std::string Path, sqlite3 *DB) : Path(std::move(Path)), DB(DB) {}
  std::string Path;
  sqlite3 *DB;
};

/// Sorts contexts as CovDB::contexts() does: by label, then test, code run
/// outside any test first.
void sortContexts(std::vector<CovDB::ContextInfo> &V);

} // namespace covlock

#endif // COVLOCK_COVDB_COVDBREADER_H
