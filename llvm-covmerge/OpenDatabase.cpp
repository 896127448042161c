//===- OpenDatabase.cpp - The database and label a query names ------------===//
//
// report, who, show and export all start the same way: open the .covdb
// (with --path-equivalence, a copy whose paths are joined) and, with
// --label, find that label in it (findLabels: the labels of repeated
// --label options, for show, who and impact).
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/CovDB/CovDB.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Option/Arg.h"
#include "llvm/Support/FileSystem.h"

using namespace llvm;
using namespace covlock;

/// \p Path with --path-equivalence applied: a temporary database, written
/// as a merge of \p Path with those equivalences would write it, and
/// unlinked once open, so that every query sees the joined files.
static Expected<std::unique_ptr<CovDB>>
openRemapped(StringRef Path, ArrayRef<std::string> PathEquivalence) {
  CovDBWriteOptions W;
  for (StringRef Spec : PathEquivalence)
    if (Error E = W.Paths.add(Spec))
      return std::move(E);
  // The copy keeps the database's line rules.
  {
    auto DB = CovDB::open(Path);
    if (!DB)
      return DB.takeError();
    auto Rules = (*DB)->lineRules();
    if (!Rules)
      return Rules.takeError();
    W.Coverage.Rules = Rules->value_or(LineRules::Covlock);
  }
  SmallString<128> Tmp;
  if (std::error_code EC =
          sys::fs::createTemporaryFile("covmerge-remapped", "covdb", Tmp))
    return createFileError("a temporary database", EC);
  auto Remove = make_scope_exit([&] { sys::fs::remove(Tmp); });
  if (Error E = writeCovDB(MergeResult(), {Path.str()}, Tmp, W))
    return std::move(E);
  return CovDB::open(Tmp, Path);
}

Expected<OpenedDatabase> openDatabase(StringRef Path, const opt::Arg *Label,
                                      ArrayRef<std::string> PathEquivalence) {
  auto DB = PathEquivalence.empty() ? CovDB::open(Path)
                                    : openRemapped(Path, PathEquivalence);
  if (!DB)
    return DB.takeError();
  OpenedDatabase Opened{std::move(*DB), std::nullopt};
  if (Label) {
    auto L = Opened.DB->findLabel(Label->getValue());
    if (!L)
      return L.takeError();
    Opened.Label = L->Id;
  }
  return std::move(Opened);
}

Expected<std::vector<CovDB::Label>> findLabels(const CovDB &DB,
                                               ArrayRef<std::string> Names) {
  std::vector<CovDB::Label> Found;
  StringSet<> Seen;
  for (const std::string &Name : Names) {
    if (!Seen.insert(Name).second)
      continue;
    auto L = DB.findLabel(Name);
    if (!L)
      return L.takeError();
    Found.push_back(std::move(*L));
  }
  return std::move(Found);
}
