// Options of `llvm-covlock compact`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
def quiet : F<"quiet", "Print nothing but errors">;
// For the protocol's tests (test/llvm-covlock/compact-kill.test): die of
// SIGKILL right after the named step.
def kill_after_EQ : Joined<["--"], "kill-after=">, Flags<[HelpHidden]>,
                    MetaVarName<"<step>">;
