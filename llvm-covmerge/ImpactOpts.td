// Options of `llvm-covmerge impact`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
defm label : Eq<"label", "Only this label (environment; repeatable: these labels)">,
             MetaVarName<"<label>">;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as the merge's option; repeatable)">,
                        MetaVarName<"<from>,<to>">;
def tests_only : F<"tests-only", "Print only the ids of the tests that cover a changed line, sorted, each once, unescaped (an id holding a control byte is escaped, with a warning)">;
defm strip : Eq<"strip", "Leading directories to remove from the diff's file names ('+++', or '---' with --old), as patch -p (default 1: git's b/ or a/)">,
             MetaVarName<"<n>">;
def old : F<"old", "The database is of the diff's old side (before the change): match the removed lines, and the lines around additions, at their old numbers, in the files the '---' lines name">;
