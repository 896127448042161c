// Options of `llvm-covmerge export`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
defm format : Eq<"format", "Output format: lcov (one TN: block per test), profdata (an indexed profile) or json (a label as llvm-cov export's JSON, with per-test line sets)">,
              MetaVarName<"<lcov|profdata|json>">;
defm label : Eq<"label", "Only this label (environment)">, MetaVarName<"<label>">;
defm test : Eq<"test", "Only this test">, MetaVarName<"<test>">;
def output : Separate<["-"], "o">, HelpText<"Write to <file> (default: standard output for lcov)">,
             MetaVarName<"<file>">;
def : Joined<["-"], "o">, Alias<output>;
def : Separate<["--"], "output">, Alias<output>;
def : Joined<["--"], "output=">, Alias<output>;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as the merge's option; repeatable)">,
                        MetaVarName<"<from>,<to>">;
