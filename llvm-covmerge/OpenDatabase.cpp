//===- OpenDatabase.cpp - The database and label a query names ------------===//
//
// report, who and export all start the same way: open the .covdb and, with
// --label, find that label in it.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "llvm/Option/Arg.h"

using namespace llvm;
using namespace covlock;

Expected<OpenedDatabase> openDatabase(StringRef Path, const opt::Arg *Label) {
  auto DB = CovDB::open(Path);
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
