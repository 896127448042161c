// Options of `llvm-covlock run`. The command starts at the first argument
// that is not an option (or after "--"), so its own options are never ours.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;

// --name=value shows in --help; --name value is accepted as well.
multiclass Eq<string name, string metavar, string help> {
  def NAME #_EQ : Joined<["--"], name #"=">, HelpText<help>,
                  MetaVarName<metavar>;
  def : Separate<["--"], name>, Alias<!cast<Joined>(NAME #_EQ)>;
}

def append : F<"append", "Keep what the directory already holds instead of "
                         "clearing it">;
defm dir : Eq<"dir", "<dir>", "Coverage directory (default: $COVLOCK_DIR if "
                              "set, else 'coverage')">;
def help : F<"help", "Display this help">;
def no_compact : F<"no-compact", "Keep every raw profile: do not compact the "
                                 "directory while the command runs">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
defm label : Eq<"label", "<label>", "Label of this run's environment, "
                                    "exported as COVLOCK_LABEL">;
def tests : F<"tests", "After the summary line, list the processes of each "
                       "test as 'llvm-covlock status' does">;
