// Options of `llvm-covlock clean`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
