// Options of `llvm-covmerge who`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
defm label : Eq<"label", "Only tests of this label (environment; repeatable: of these labels); a line none of them compiles is said to be so">,
             MetaVarName<"<label>">;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as the merge's option; repeatable)">,
                        MetaVarName<"<from>,<to>">;
