// Options of `llvm-covlock status`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;

def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
def json : F<"json", "Print JSON instead of text">;
