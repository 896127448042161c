//===- UnifiedDiff.cpp - The lines a unified diff changes -----------------===//
//
// A line-by-line reader: outside a hunk, `--- `/`+++ ` pairs name the file
// and `@@ ` starts a hunk; anything else is skipped. A hunk's body is read
// by its header's counts, so body lines that look like headers ("--- x" is
// the removal of "-- x") are never taken for them, and a body that is cut
// short or runs long is an error. (A "-- " line after a hunk is the
// signature separator of `git format-patch`, not a removed line.)
//
//===----------------------------------------------------------------------===//

#include "covlock/Diff/UnifiedDiff.h"
#include "DiffPaths.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include <map>
#include <optional>

using namespace llvm;

namespace covlock {
namespace diff {

namespace {

/// One hunk header: "@@ -OldStart[,OldCount] +NewStart[,NewCount] @@".
struct HunkHeader {
  uint64_t OldStart = 0, OldCount = 1, NewStart = 0, NewCount = 1;
};

class Parser {
public:
  Parser(StringRef Text, const ParseOptions &Options)
      : Rest(Text), Options(Options) {}
  Expected<std::vector<ChangedFile>> parse();

private:
  StringRef Rest;
  const ParseOptions &Options;
  uint64_t LineNo = 0;
  /// The file the next hunks belong to: set by a ---/+++ pair, empty
  /// for a deleted file, unset before the first pair and after "diff ".
  std::optional<std::optional<std::string>> Current;
  std::map<std::string, std::vector<uint32_t>> Files;
  bool SawHeader = false;

  /// The next line without its "\n" (and a "\r" before it); none at the end.
  std::optional<StringRef> next();
  /// The line next() would return ("" at the end), without taking it.
  StringRef peek() const {
    StringRef Line = Rest.split('\n').first;
    return Line.ends_with("\r") ? Line.drop_back() : Line;
  }
  Error fail(uint64_t Line, const Twine &Problem) const {
    return createStringError(inconvertibleErrorCode(),
                             "line " + Twine(Line) + ": " + Problem);
  }
  Error fileHeader(StringRef OldLine);
  Expected<HunkHeader> hunkHeader(StringRef Line) const;
  Error hunk(StringRef HeaderLine);
  void mark(uint64_t Line) {
    if (Current && *Current && Line >= 1 && Line <= MaxHunkNumber + 1)
      Files[**Current].push_back(uint32_t(Line));
  }
};

std::optional<StringRef> Parser::next() {
  if (Rest.empty())
    return std::nullopt;
  auto [Line, Tail] = Rest.split('\n');
  Rest = Tail;
  ++LineNo;
  if (Line.ends_with("\r"))
    Line = Line.drop_back();
  return Line;
}

Error Parser::fileHeader(StringRef OldLine) {
  uint64_t OldNo = LineNo;
  Expected<std::optional<std::string>> Old =
      parseDiffPath(OldLine.drop_front(4));
  if (!Old)
    return fail(OldNo, toString(Old.takeError()));
  std::optional<StringRef> NewLine = next();
  if (!NewLine || !NewLine->starts_with("+++ "))
    return fail(OldNo, "a '---' line not followed by a '+++' line");
  Expected<std::optional<std::string>> New =
      parseDiffPath(NewLine->drop_front(4));
  if (!New)
    return fail(LineNo, toString(New.takeError()));
  SawHeader = true;
  std::optional<std::string> &Name = Options.OldSide ? *Old : *New;
  if (!Name) { // not on this side: its hunks are read, their lines dropped
    Current.emplace(std::nullopt);
    return Error::success();
  }
  Expected<std::string> Stripped =
      stripComponents(*Name, Options.StripComponents);
  if (!Stripped) {
    Error E =
        fail(Options.OldSide ? OldNo : LineNo, toString(Stripped.takeError()));
    if (!Options.Warning)
      return E;
    Options.Warning(std::move(E));
    Current.emplace(std::nullopt); // its hunks are read, their lines dropped
    return Error::success();
  }
  Current.emplace(std::move(*Stripped));
  Files[**Current]; // named even with no line to count (a pure rename)
  return Error::success();
}

/// Reads a hunk header number at the front of \p S.
static bool number(StringRef &S, uint64_t &V) {
  size_t N = S.find_if_not([](char C) { return C >= '0' && C <= '9'; });
  if (N == 0 || N == StringRef::npos || N > 10)
    return false;
  V = 0;
  for (char C : S.take_front(N))
    V = V * 10 + uint64_t(C - '0');
  S = S.drop_front(N);
  return V <= MaxHunkNumber;
}

/// Reads "START[,COUNT]" at the front of \p S.
static bool range(StringRef &S, uint64_t &Start, uint64_t &Count) {
  if (!number(S, Start))
    return false;
  Count = 1;
  return !S.consume_front(",") || number(S, Count);
}

Expected<HunkHeader> Parser::hunkHeader(StringRef Line) const {
  HunkHeader H;
  StringRef S = Line;
  if (!S.consume_front("@@ -") || !range(S, H.OldStart, H.OldCount) ||
      !S.consume_front(" +") || !range(S, H.NewStart, H.NewCount) ||
      !(S == " @@" || S.starts_with(" @@ ")))
    return fail(LineNo, "malformed hunk header '" + Line.take_front(80) +
                            "' (expected '@@ -A[,B] +C[,D] @@'; numbers "
                            "up to " +
                            Twine(MaxHunkNumber) + ")");
  if ((H.OldCount && !H.OldStart) || (H.NewCount && !H.NewStart))
    return fail(LineNo, "hunk header '" + Line.take_front(80) +
                            "' starts a non-empty side at line 0");
  // Each side's last line is a line number too.
  if ((H.OldCount && H.OldStart + H.OldCount - 1 > MaxHunkNumber) ||
      (H.NewCount && H.NewStart + H.NewCount - 1 > MaxHunkNumber))
    return fail(LineNo, "hunk header '" + Line.take_front(80) +
                            "' ends past line " + Twine(MaxHunkNumber));
  return H;
}

Error Parser::hunk(StringRef HeaderLine) {
  uint64_t HeaderNo = LineNo;
  Expected<HunkHeader> H = hunkHeader(HeaderLine);
  if (!H)
    return H.takeError();
  uint64_t OldLeft = H->OldCount, NewLeft = H->NewCount;
  // The line the next line of each side is (with a count of 0 the start
  // names the line before the gap).
  uint64_t Old = H->OldCount ? H->OldStart : H->OldStart + 1;
  uint64_t New = H->NewCount ? H->NewStart : H->NewStart + 1;
  bool OldSide = Options.OldSide, Removed = false, Added = false;
  // Context lines read so far; a hunk with context but none after its
  // last change ends at the end of the file (diff shows what follows).
  bool SawContext = false;
  auto EndBlock = [&](bool AtHunkEnd) {
    // A change with no line on this side marks its gap: the line before,
    // and the line after unless the gap is at the end of the file.
    if (OldSide ? Added && !Removed : Removed && !Added) {
      mark((OldSide ? Old : New) - 1);
      if (!AtHunkEnd || !SawContext)
        mark(OldSide ? Old : New);
    }
    Removed = Added = false;
  };
  while (OldLeft || NewLeft) {
    std::optional<StringRef> L = next();
    if (!L)
      return fail(HeaderNo, "the diff ends inside this hunk (" +
                                Twine(OldLeft) + " old and " + Twine(NewLeft) +
                                " new lines missing)");
    char C = L->empty() ? ' ' : L->front();
    if (C == '\\')
      continue; // "\ No newline at end of file"
    if (C == ' ' && OldLeft && NewLeft) {
      EndBlock(false);
      SawContext = true;
      --OldLeft, --NewLeft, ++Old, ++New;
    } else if (C == '-' && OldLeft) {
      Removed = true;
      if (OldSide)
        mark(Old);
      --OldLeft, ++Old;
    } else if (C == '+' && NewLeft) {
      Added = true;
      if (!OldSide)
        mark(New);
      --NewLeft, ++New;
    } else {
      return fail(LineNo, "hunk of line " + Twine(HeaderNo) +
                              " has a line that does not fit it (expected " +
                              Twine(OldLeft) + " more old and " +
                              Twine(NewLeft) + " more new lines)");
    }
  }
  EndBlock(true);
  // The hunk's "\ No newline at end of file", then what follows it: a
  // removed or added line there means the header counted too few.
  while (peek().starts_with("\\"))
    next();
  StringRef After = peek();
  if ((After.starts_with("+") && !After.starts_with("+++ ")) ||
      (After.starts_with("-") && !After.starts_with("--- ") &&
       After.rtrim() != "--"))
    return fail(LineNo + 1, "hunk of line " + Twine(HeaderNo) +
                                " has more lines than its header counts");
  return Error::success();
}

Expected<std::vector<ChangedFile>> Parser::parse() {
  bool SawDiff = false, SawText = false;
  while (std::optional<StringRef> L = next()) {
    if (L->starts_with("@@@"))
      return fail(LineNo, "a combined diff (of a merge); diff against one "
                          "parent instead");
    if (L->starts_with("@@")) {
      if (!Current)
        return fail(LineNo, "a hunk before its file's '---' and '+++' lines");
      if (Error E = hunk(*L))
        return std::move(E);
    } else if (L->starts_with("--- ")) {
      if (Error E = fileHeader(*L))
        return std::move(E);
    } else if (L->starts_with("+++ ")) {
      return fail(LineNo, "a '+++' line without a '---' line before it");
    } else if (L->starts_with("diff ") || L->starts_with("Binary files ")) {
      SawDiff = true; // git's header: the file's own ---/+++ come next
      Current.reset();
    } else {
      SawText |= !L->trim().empty();
    }
  }
  if (SawText && !SawDiff && !SawHeader)
    return fail(1, "not a unified diff (no 'diff' or '---'/'+++' lines)");
  std::vector<ChangedFile> V;
  for (auto &[Path, Lines] : Files) {
    llvm::sort(Lines);
    Lines.erase(std::unique(Lines.begin(), Lines.end()), Lines.end());
    V.push_back({Path, std::move(Lines)});
  }
  return V;
}

} // namespace

Expected<std::vector<ChangedFile>>
parseUnifiedDiff(StringRef Text, const ParseOptions &Options) {
  return Parser(Text, Options).parse();
}

} // namespace diff
} // namespace covlock
