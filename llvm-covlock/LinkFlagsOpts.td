// Options of `llvm-covlock link-flags`.
include "llvm/Option/OptParser.td"

class F<string name, string help> : Flag<["--"], name>, HelpText<help>;

def cflags : F<"cflags", "Print the compiler flags for the runtime's header "
                         "(covlock/covlock.h) instead of the link flags">;
def gtest : F<"gtest", "Also link the GoogleTest listener (libcovlock_gtest.a), "
                       "which makes every GoogleTest test a covlock test">;
def help : F<"help", "Display this help">;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">;
