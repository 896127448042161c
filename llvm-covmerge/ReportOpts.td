// Options of `llvm-covmerge report`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
defm label : Eq<"label", "Only this label (environment); default: all, as a union">,
             MetaVarName<"<label>">;
def by_test : F<"by-test", "One row per test: lines and regions covered, confidence, processes">;
def by_label : F<"by-label", "One column per label: lines covered/executable per file, and their union over the labels">;
defm style : Eq<"style", "covlock (default): lines as llvm-cov show/export count them, once per source line; "
                         "llvm-cov-report: llvm-cov report's own table for one label">,
             MetaVarName<"<style>">;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as the merge's option; repeatable)">,
                        MetaVarName<"<from>,<to>">;
