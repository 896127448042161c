// Options of `llvm-covmerge INPUTS...` (the merge).
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
def o : JoinedOrSeparate<["-"], "o">, MetaVarName<"<file.covdb>">,
        HelpText<"Write the coverage database (per-test attribution)">;
defm profdata : Eq<"profdata", "Write the aggregate indexed profile (as llvm-profdata merge); %l in the path: one per label, needed when the inputs hold several">,
                MetaVarName<"<file.profdata>">;
defm object : Eq<"object", "An instrumented binary (repeatable); else the binaries the flush records name">,
              MetaVarName<"<binary>">;
defm label : Eq<"label", "Label (environment) of every context; else the records' label, else 'default'">,
             MetaVarName<"<label>">;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as llvm-cov's option; repeatable, the longest <from> wins), applied before anything is stored">,
                        MetaVarName<"<from>,<to>">;
def j : JoinedOrSeparate<["-"], "j">, MetaVarName<"<N>">,
        HelpText<"Threads (default: the machine's)">;
def : Separate<["--"], "threads">, Alias<j>;
def : Joined<["--"], "threads=">, Alias<j>;
defm failure_mode : Eq<"failure-mode", "What a bad input does: warn (default: warn, skip, record; fail if nothing was usable), any (fail), all (fail if every input is bad)">,
                    MetaVarName<"warn|any|all">;
def wait : F<"wait", "Wait for a run in progress on an input directory to end, instead of refusing it">;
def quiet : F<"quiet", "No progress line, no warnings">;
def : Flag<["-"], "q">, Alias<quiet>;
defm line_rules : Eq<"line-rules", "What makes a line covered: covlock (default: any function or instantiation that maps the line ran it; lines past a source's end left out) or llvm (llvm-cov's merged view, byte for byte)">,
                  MetaVarName<"covlock|llvm">;
def replay_through_llvm : F<"replay-through-llvm", "Attribute every context by replaying it through LLVM's CoverageMapping instead of the precomputed line programs (for the oracle tests)">,
                          Flags<[HelpHidden]>;
def dump_contexts : F<"dump-contexts", "Print the binaries and contexts the merge found (for tests and debugging)">,
                    Flags<[HelpHidden]>;
