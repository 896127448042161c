// Options of `llvm-covmerge html`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;
multiclass Eq<string name, string help> {
  def NAME : Separate<["--"], name>, HelpText<help>;
  def NAME # _eq : Joined<["--"], name # "=">, Alias<!cast<Separate>(NAME)>;
}

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
def o : JoinedOrSeparate<["-"], "o">, MetaVarName<"<dir>">,
        HelpText<"The site's directory (replaced whole if llvm-covmerge html wrote it, or empty; anything else is never replaced)">;
defm path_equivalence : Eq<"path-equivalence", "Source paths under <from> are the files under <to> (as the merge's option; repeatable)">,
                        MetaVarName<"<from>,<to>">;
// For tests only (test/llvm-covmerge/html.test): hold the site's lock with
// the site staged, as a slow writer would.
def test_pause_EQ : Joined<["--"], "test-pause=">, Flags<[HelpHidden]>,
                    MetaVarName<"<file>">,
                    HelpText<"For tests only: once the site is staged (its lock held), write the pid to <file> and wait until <file> is removed (at most 60 s) before publishing it">;
