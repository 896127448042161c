//===- Tool.cpp - What llvm-covlock and llvm-covmerge share ---------------===//

#include "covlock/Tool/Tool.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Option/Arg.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/Unicode.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace covlock {
namespace tool {

std::string countOf(uint64_t N, StringRef Noun, StringRef Plural) {
  if (N == 1)
    return (Twine(N) + " " + Noun).str();
  return Plural.empty() ? (Twine(N) + " " + Noun + "s").str()
                        : (Twine(N) + " " + Plural).str();
}

size_t columnWidth(StringRef Text) {
  int Width = sys::unicode::columnWidthUTF8(Text);
  return Width < 0 ? Text.size() : size_t(Width);
}

std::string padToWidth(StringRef Text, size_t Width, bool RightAligned) {
  size_t Used = columnWidth(Text);
  std::string Pad(Width > Used ? Width - Used : 0, ' ');
  return RightAligned ? Pad + Text.str() : Text.str() + Pad;
}

std::string testColumn(const std::optional<std::string> &Test) {
  if (!Test)
    return "(outside tests)";
  std::string Shown = printable(*Test);
  // Quoted, so is an id that starts with a quote: "(total)" and "\"(total)\""
  // stay apart.
  if ((StringRef(Shown).starts_with("(") && StringRef(Shown).ends_with(")")) ||
      StringRef(Shown).starts_with("\""))
    return "\"" + Shown + "\"";
  return Shown;
}

/// Characters that change how the text around them is shown while showing
/// nothing themselves: bidirectional controls (U+202E turns "tset.nom"
/// into "mon.test") and invisible ones (U+200B).
static bool isFormatControl(UTF32 C) {
  return C == 0xAD || C == 0x61C || C == 0x180E ||
         (C >= 0x200B && C <= 0x200F) || (C >= 0x202A && C <= 0x202E) ||
         (C >= 0x2060 && C <= 0x206F) || C == 0xFEFF ||
         (C >= 0xFFF9 && C <= 0xFFFB);
}

std::string printable(StringRef Text) {
  std::string Out;
  Out.reserve(Text.size());
  const auto *P = reinterpret_cast<const UTF8 *>(Text.data());
  const UTF8 *End = P + Text.size();
  while (P != End) {
    unsigned Len = getNumBytesForUTF8(*P);
    if (*P >= 0x80 && Len <= unsigned(End - P) &&
        isLegalUTF8Sequence(P, P + Len)) {
      UTF32 C;
      const UTF8 *From = P;
      UTF32 *To = &C;
      ConvertUTF8toUTF32(&From, P + Len, &To, To + 1, strictConversion);
      if (isFormatControl(C))
        Out += "\\u{" + utohexstr(C, /*LowerCase=*/true) + "}";
      else
        Out.append(reinterpret_cast<const char *>(P), Len);
      P += Len;
      continue;
    }
    unsigned char C = *P++;
    if (C == '\\')
      Out += "\\\\";
    else if (C < 0x20 || C >= 0x7f)
      Out += "\\x" + std::string(1, hexdigit(C >> 4, /*LowerCase=*/true)) +
             hexdigit(C & 15, /*LowerCase=*/true);
    else
      Out += char(C);
  }
  return Out;
}

void diagnose(Severity Kind, StringRef File, const Twine &Message) {
  // WithColor prints "<ToolName>: error: " and colours only on a terminal.
  raw_ostream &OS = Kind == Severity::Error ? WithColor::error(errs(), ToolName)
                    : Kind == Severity::Warning
                        ? WithColor::warning(errs(), ToolName)
                        : WithColor::note(errs(), ToolName);
  // File names and messages carry what hostile inputs hold (names,
  // records' error texts): control bytes reach the terminal escaped.
  if (!File.empty())
    OS << printable(File) << ": ";
  OS << printable(Message.str()) << '\n';
}

/// Report every error in \p E; returns whether one of them was "busy" (a
/// lock that someone else holds), which callers turn into ExitBusy.
static bool diagnoseAll(Severity Kind, Error E) {
  bool Busy = false;
  auto IsBusy = [](const ErrorInfoBase &EI) {
    return EI.convertToErrorCode() == std::errc::resource_unavailable_try_again;
  };
  handleAllErrors(
      std::move(E),
      [&](const FileError &FE) {
        Busy |= IsBusy(FE);
        diagnose(Kind, FE.getFileName(), FE.messageWithoutFileInfo());
      },
      [&](const ErrorInfoBase &EI) {
        Busy |= IsBusy(EI);
        diagnose(Kind, "", EI.message());
      });
  return Busy;
}

int reportError(Error E, int Status) {
  return diagnoseAll(Severity::Error, std::move(E)) ? ExitBusy : Status;
}

int reportError(const Twine &Message, int Status) {
  diagnose(Severity::Error, "", Message);
  return Status;
}

void reportWarning(Error E) { diagnoseAll(Severity::Warning, std::move(E)); }

std::string helpHint(StringRef Subcommand) {
  if (Subcommand.empty())
    return ("see '" + ToolName + " --help'").str();
  return ("see '" + ToolName + " " + Subcommand + " --help'").str();
}

std::optional<opt::InputArgList> parseArgs(const opt::OptTable &Table,
                                           ArrayRef<const char *> Args,
                                           StringRef Subcommand) {
  unsigned MissingIndex = 0, MissingCount = 0;
  opt::InputArgList Parsed = Table.ParseArgs(Args, MissingIndex, MissingCount);
  if (MissingCount) {
    reportError(Twine("option '") + Parsed.getArgString(MissingIndex) +
                "' needs a value; " + helpHint(Subcommand));
    return std::nullopt;
  }
  for (const opt::Arg *A : Parsed) {
    if (A->getOption().getKind() != opt::Option::UnknownClass)
      continue;
    std::string Arg = A->getAsString(Parsed);
    std::string Nearest;
    std::string Suggestion;
    if (Table.findNearest(Arg, Nearest) <= 2)
      Suggestion = " (did you mean '" + Nearest + "'?)";
    reportError("unknown option '" + Arg + "'" + Suggestion + "; " +
                helpHint(Subcommand));
    return std::nullopt;
  }
  return std::move(Parsed);
}

std::optional<opt::InputArgList> parseArgs(const opt::OptTable &Table,
                                           ArrayRef<const char *> Args,
                                           StringRef Subcommand,
                                           const CommandHelp &Help, int &Exit) {
  Exit = ExitFailure;
  std::optional<opt::InputArgList> Parsed = parseArgs(Table, Args, Subcommand);
  if (!Parsed)
    return std::nullopt;
  for (unsigned ID = 1; ID <= Table.getNumOptions(); ++ID) {
    if (Table.getOptionName(ID) != "help" || !Parsed->hasArg(ID))
      continue;
    Table.printHelp(outs(), Help.Usage, Help.Overview);
    Exit = 0;
    return std::nullopt;
  }
  return Parsed;
}

bool isVersionOption(StringRef Arg) {
  return Arg == "--version" || Arg == "-version";
}

void printVersion(raw_ostream &OS) {
  OS << ToolName << " (covlock) protocol v" << ProtocolVersion << ", LLVM "
     << LLVM_VERSION_STRING << '\n';
}

void ProgressLine::update(StringRef Step, uint64_t Done, uint64_t Total) {
  if (!Enabled)
    return;
  std::lock_guard<std::mutex> G(Lock);
  std::string Line;
  raw_string_ostream(Line) << ToolName << ": " << Step << " " << Done << "/"
                           << Total;
  errs() << '\r' << Line;
  if (Line.size() < Width)
    errs().indent(Width - Line.size());
  Width = Line.size();
  errs().flush();
}

void ProgressLine::clear() {
  if (!Enabled || !Width)
    return;
  std::lock_guard<std::mutex> G(Lock);
  errs() << '\r';
  errs().indent(Width) << '\r';
  errs().flush();
  Width = 0;
}

} // namespace tool
} // namespace covlock
