//===- HtmlSite.h - The static site of llvm-covmerge html --------*- C++
//-*-===//
//
// `llvm-covmerge html DB -o DIR` writes a site that opens from disk
// (file://): pages are static HTML, and what a page needs on demand is
// JavaScript data loaded with <script src> (browsers refuse fetch() on
// file://). Layout, relative to DIR:
//
//   index.html       per label, and per file: lines and regions per label
//                    and in their union (sortable); the files drawn by
//                    site.js
//   files.js         every file: its page, name, and lines and regions
//                    per label and in their union
//   tests.html       report --by-test's table, drawn by site.js
//   contexts.js      every context: label, test, confidence, its test page
//                    and report --by-test's numbers
//   f/<id>.html      a source file (id: the database's file id)
//   f/<id>.js        who covers its lines: its contexts, grouped by the
//                    lines they cover
//   t/<n>.html       a test (n: its place among the sorted test ids)
//   style.css, site.js, .covlock-html (marks the directory as a site)
//
// No file name derives from a source path or a test id.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_TOOLS_LLVM_COVMERGE_HTMLSITE_H
#define COVLOCK_TOOLS_LLVM_COVMERGE_HTMLSITE_H

#include "covlock/CovDB/CovDBReader.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
}

namespace html {

/// The file that marks a directory as a site llvm-covmerge html wrote:
/// only such a directory (or an empty one) is ever replaced.
constexpr const char *SiteMarker = ".covlock-html";

/// What every page draws from, read once from the database.
struct Site {
  std::vector<covlock::CovDB::Label> Labels;  ///< by name
  llvm::DenseMap<int64_t, size_t> LabelIndex; ///< label id -> index
  /// Sorted by label, then test (outside first); contexts.js's order.
  std::vector<covlock::CovDB::ContextInfo> Contexts;
  llvm::DenseMap<int64_t, size_t> ContextIndex; ///< context id -> index
  /// The test ids, one page each (outside tests: none), sorted.
  std::vector<std::optional<std::string>> Tests;
  std::vector<size_t> TestPage; ///< per context: its test's page
  struct File {
    int64_t Id = 0;
    std::string Path, Short;
    /// Per label (Labels' order): none where the label does not compile it.
    std::vector<std::optional<covlock::CovDB::FileSummary>> PerLabel;
    covlock::CovDB::FileSummary Union;
  };
  std::vector<File> Files;                   ///< by path
  llvm::DenseMap<int64_t, size_t> FileIndex; ///< file id -> index
  /// Problems of each context, by context id.
  std::map<int64_t, std::vector<covlock::MergeProblem>> Problems;
  /// "under covlock's line rules" or "as llvm-cov show counts them".
  std::string LinesCounted;
};

llvm::Expected<Site> loadSite(const covlock::CovDB &DB);

/// Text for HTML (element content or a quoted attribute): printable() (no
/// control bytes, valid UTF-8), then & < > " ' as references.
std::string escape(llvm::StringRef Text);
/// Writes \p Text with & < > " ' as references, nothing else changed.
void writeEscaped(llvm::raw_ostream &OS, llvm::StringRef Text);
/// A JavaScript string literal of printable(\p Text), with < > & and the
/// line separators escaped too.
std::string jsString(llvm::StringRef Text);
/// "1-3, 7": ascending \p Lines as ranges.
std::string lineRanges(llvm::ArrayRef<uint32_t> Lines);
/// "12/20" and, if \p Whole, " (60.00%)".
std::string ratio(int64_t Part, int64_t Whole);
/// The name a test is shown by: its id, or "(outside tests)".
std::string testName(const std::optional<std::string> &Test);

/// A page's head and navigation; \p Root is the way back to the site's
/// directory ("" or "../").
void beginPage(llvm::raw_ostream &OS, llvm::StringRef Title,
               llvm::StringRef Root);
/// The scripts \p Scripts (then site.js), and the end of the page.
void endPage(llvm::raw_ostream &OS, llvm::StringRef Root,
             llvm::ArrayRef<std::string> Scripts = {});

/// Writes the file \p Path with \p Write; an error names the file.
llvm::Error writeFile(const llvm::Twine &Path,
                      llvm::function_ref<void(llvm::raw_ostream &)> Write);

/// The pages (HtmlIndex.cpp, HtmlSourcePage.cpp, HtmlTestPage.cpp,
/// HtmlAssets.cpp), written into \p Dir.
llvm::Error writeIndex(const Site &S, llvm::StringRef Dir);
llvm::Error writeFileScript(const Site &S, llvm::StringRef Dir);
llvm::Error writeTestTable(const Site &S, llvm::StringRef Dir);
llvm::Error writeContextScript(const Site &S, llvm::StringRef Dir);
/// \p Unreadable: called for a source that cannot be read, with why.
llvm::Error writeSourcePages(
    const covlock::CovDB &DB, const Site &S, llvm::StringRef Dir,
    llvm::function_ref<void(llvm::StringRef Path, llvm::StringRef Why)>
        Unreadable);
llvm::Error writeTestPages(const covlock::CovDB &DB, const Site &S,
                           llvm::StringRef Dir);
llvm::Error writeAssets(llvm::StringRef Dir);

} // namespace html

#endif // COVLOCK_TOOLS_LLVM_COVMERGE_HTMLSITE_H
