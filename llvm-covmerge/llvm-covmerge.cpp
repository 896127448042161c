//===- llvm-covmerge.cpp - Merge, attribute and query coverage ------------===//
//
// llvm-covmerge merges coverage directories and profiles into an aggregate
// .profdata and a per-test coverage database, and answers questions about
// such a database. Like llvm-cov it dispatches on its first argument:
// `report`, `who`, `export`, `show`, `impact` and `html` read a .covdb;
// anything else is a merge.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace covlock::tool;

const StringLiteral covlock::tool::ToolName = "llvm-covmerge";

int main(int Argc, const char **Argv) {
  if (Argc >= 2) {
    StringRef Name = Argv[1];
    if (isVersionOption(Name)) {
      printVersion(outs());
      return 0;
    }
    static constexpr struct {
      StringLiteral Name;
      int (*Main)(int, const char **);
    } Subcommands[] = {{"report", reportMain},
                       {"who", whoMain},
                       {"export", exportMain},
                       {"show", showMain},
                       {"impact", impactMain},
                       {"html", htmlMain},
                       {"__read-profile", readProfileMain}};
    for (const auto &S : Subcommands)
      if (Name == S.Name)
        return S.Main(Argc - 1, Argv + 1);
  }
  return mergeMain(Argc, Argv);
}
