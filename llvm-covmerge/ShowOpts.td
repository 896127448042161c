// Options of `llvm-covmerge show`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
defm label : Eq<"label", "A column for this label (repeatable, in this order); "
                         "default: every label, sorted by name">,
             MetaVarName<"<label>">;
defm test : Eq<"test", "Count only this test (cells 1, 0, - or blank), in the labels that ran it">,
            MetaVarName<"<test>">;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as the merge's option; repeatable)">,
                        MetaVarName<"<from>,<to>">;
