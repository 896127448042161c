//===- UnifiedDiffTest.cpp - The lines a unified diff changes -------------===//
//
// parseUnifiedDiff(): git's file names (prefixes, quoting, /dev/null,
// renames), hunk headers with omitted and zero counts, bodies read by their
// counts, "\ No newline at end of file", CRLF, and the errors malformed
// input gives ("line N: ...").
//
//===----------------------------------------------------------------------===//

#include "covlock/Diff/UnifiedDiff.h"
#include "llvm/Testing/Support/Error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace covlock;
using namespace covlock::diff;
using namespace llvm;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

/// The parsed files as "path: l1 l2 ..." strings.
std::vector<std::string> lines(const std::vector<ChangedFile> &Files) {
  std::vector<std::string> V;
  for (const ChangedFile &F : Files) {
    std::string S = F.Path + ":";
    for (uint32_t L : F.Lines)
      S += " " + std::to_string(L);
    V.push_back(S);
  }
  return V;
}

std::vector<std::string> parse(StringRef Text, unsigned Strip = 1,
                               bool OldSide = false) {
  ParseOptions O;
  O.StripComponents = Strip;
  O.OldSide = OldSide;
  auto Files = parseUnifiedDiff(Text, O);
  EXPECT_THAT_EXPECTED(Files, Succeeded());
  if (!Files)
    return {};
  return lines(*Files);
}

std::string error(StringRef Text) {
  auto Files = parseUnifiedDiff(Text);
  if (Files)
    return "(no error)";
  return toString(Files.takeError());
}

TEST(UnifiedDiff, GitZeroContext) {
  // An edit of two lines, an insertion after line 9, a deletion of lines
  // 20-21 (new line 20 is the one after the gap), counts omitted for one.
  const char *D = "diff --git a/src/x.c b/src/x.c\n"
                  "index 1111111..2222222 100644\n"
                  "--- a/src/x.c\n"
                  "+++ b/src/x.c\n"
                  "@@ -3,2 +3,2 @@ int f(void) {\n"
                  "-  a;\n"
                  "-  b;\n"
                  "+  A;\n"
                  "+  B;\n"
                  "@@ -9,0 +10 @@ int g(void) {\n"
                  "+  inserted;\n"
                  "@@ -20,2 +20,0 @@\n"
                  "-  gone;\n"
                  "--- also gone, a line that was \"-- also gone\"\n";
  auto Files = parseUnifiedDiff(D);
  ASSERT_THAT_EXPECTED(Files, Succeeded());
  EXPECT_THAT(lines(*Files), ElementsAre("src/x.c: 3 4 10 20 21"));
}

TEST(UnifiedDiff, OldSide) {
  // The old side: removed lines at their old numbers, the lines around a
  // pure insertion, files named by '---' (a deleted file counts, a new one
  // does not).
  const char *D = "--- a/src/x.c\n"
                  "+++ b/src/y.c\n"
                  "@@ -3,2 +3 @@\n"
                  "-  a;\n"
                  "-  b;\n"
                  "+  A;\n"
                  "@@ -9,0 +9 @@\n"
                  "+  inserted;\n"
                  "@@ -20 +20,0 @@\n"
                  "-  gone;\n"
                  "--- a/gone.c\n"
                  "+++ /dev/null\n"
                  "@@ -1,2 +0,0 @@\n"
                  "-a\n"
                  "-b\n"
                  "--- /dev/null\n"
                  "+++ b/new.c\n"
                  "@@ -0,0 +1 @@\n"
                  "+a\n"
                  "--- a/ctx.c\n"
                  "+++ b/ctx.c\n"
                  "@@ -1,4 +1,5 @@\n"
                  " one\n"
                  "+one and a half\n"
                  " two\n"
                  "-three\n"
                  "+THREE\n"
                  " four\n";
  EXPECT_THAT(
      parse(D, 1, /*OldSide=*/true),
      ElementsAre("ctx.c: 1 2 3", "gone.c: 1 2", "src/x.c: 3 4 9 10 20"));
  EXPECT_THAT(parse(D),
              ElementsAre("ctx.c: 2 4", "new.c: 1", "src/y.c: 3 9 20 21"));
}

TEST(UnifiedDiff, ContextLinesAndBlocks) {
  // With context: '+' lines at their new numbers; a removal with no
  // addition marks the lines on both sides of its gap.
  const char *D = "--- a/y.c\n"
                  "+++ b/y.c\n"
                  "@@ -1,6 +1,6 @@\n"
                  " one\n"
                  "-two\n"
                  "+TWO\n"
                  " three\n"
                  "-four\n"
                  " five\n"
                  "+five and a half\n"
                  "\n"; // an empty context line, its space lost
  EXPECT_THAT(parse(D), ElementsAre("y.c: 2 3 4 5"));
}

TEST(UnifiedDiff, NewDeletedAndRenamedFiles) {
  const char *D = "diff --git a/gone.c b/gone.c\n"
                  "deleted file mode 100644\n"
                  "--- a/gone.c\n"
                  "+++ /dev/null\n"
                  "@@ -1,2 +0,0 @@\n"
                  "-a\n"
                  "-b\n"
                  "diff --git a/new.c b/new.c\n"
                  "new file mode 100644\n"
                  "--- /dev/null\n"
                  "+++ b/new.c\n"
                  "@@ -0,0 +1,3 @@\n"
                  "+a\n"
                  "+b\n"
                  "+c\n"
                  "diff --git a/old/name.c b/new/name.c\n"
                  "similarity index 90%\n"
                  "rename from old/name.c\n"
                  "rename to new/name.c\n"
                  "--- a/old/name.c\n"
                  "+++ b/new/name.c\n"
                  "@@ -4 +4 @@\n"
                  "-x\n"
                  "+y\n"
                  "diff --git a/pure.c b/moved.c\n"
                  "similarity index 100%\n"
                  "rename from pure.c\n"
                  "rename to moved.c\n";
  EXPECT_THAT(parse(D), ElementsAre("new.c: 1 2 3", "new/name.c: 4"));
}

TEST(UnifiedDiff, QuotedPathsAndTabs) {
  const char *D = "diff --git \"a/t\\303\\251st \\\"q\\\".c\" "
                  "\"b/t\\303\\251st \\\"q\\\".c\"\n"
                  "--- \"a/t\\303\\251st \\\"q\\\".c\"\n"
                  "+++ \"b/t\\303\\251st \\\"q\\\".c\"\n"
                  "@@ -1 +1 @@\n"
                  "-a\n"
                  "+b\n"
                  "--- a/with space.c\t\n"
                  "+++ b/with space.c\t\n"
                  "@@ -2 +2 @@\n"
                  "-a\n"
                  "+b\n"
                  "--- /abs/old/z.c\t2026-12-01 10:00:00.000000000 +0000\n"
                  "+++ /abs/new/z.c\t2026-12-01 10:01:00.000000000 +0000\n"
                  "@@ -5 +5 @@\n"
                  "-a\n"
                  "+b\n";
  EXPECT_THAT(parse(D), ElementsAre("abs/new/z.c: 5", "t\xc3\xa9st \"q\".c: 1",
                                    "with space.c: 2"));
}

TEST(UnifiedDiff, NoNewlineCrlfAndBinary) {
  const char *D = "diff --git a/w.c b/w.c\r\n"
                  "--- a/w.c\r\n"
                  "+++ b/w.c\r\n"
                  "@@ -7 +7,2 @@\r\n"
                  "-last\r\n"
                  "\\ No newline at end of file\r\n"
                  "+last\r\n"
                  "+more\r\n"
                  "\\ No newline at end of file\r\n"
                  "diff --git a/img.png b/img.png\n"
                  "index 1..2 100644\n"
                  "GIT binary patch\n"
                  "literal 5\n"
                  "McmZQzWMX6l00962000\n"
                  "\n"
                  "diff --git a/other.png b/other.png\n"
                  "Binary files a/other.png and b/other.png differ\n";
  EXPECT_THAT(parse(D), ElementsAre("w.c: 7 8"));
}

TEST(UnifiedDiff, FormatPatchMail) {
  // git format-patch: a message, "---", a diffstat, the diff, then the
  // signature separator "-- " right after the last hunk.
  const char *D = "From 0123 Mon Sep 17 00:00:00 2001\n"
                  "Subject: [PATCH] fix\n"
                  "\n"
                  "A message line.\n"
                  "---\n"
                  " x.c | 2 +-\n"
                  "\n"
                  "diff --git a/x.c b/x.c\n"
                  "--- a/x.c\n"
                  "+++ b/x.c\n"
                  "@@ -2 +2 @@\n"
                  "-a\n"
                  "+b\n"
                  "-- \n"
                  "2.39.5\n";
  EXPECT_THAT(parse(D), ElementsAre("x.c: 2"));
}

TEST(UnifiedDiff, StripComponents) {
  const char *D = "--- x.c\n+++ x.c\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_THAT(parse(D, 0), ElementsAre("x.c: 1"));
  const char *Deep = "--- a/b/c/x.c\n+++ b/b/c/x.c\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_THAT(parse(Deep, 2), ElementsAre("c/x.c: 1"));
  EXPECT_EQ(error(D), "line 2: 'x.c' has fewer than 1 leading directories "
                      "to strip (see --strip)");
}

TEST(UnifiedDiff, StripWarning) {
  // With a warning handler, a name that cannot be stripped is left out
  // (its hunks still read) and the other files count.
  const char *D = "--- x.c\n+++ x.c\n@@ -1 +1 @@\n-a\n+b\n"
                  "--- a/y.c\n+++ b/y.c\n@@ -2 +2 @@\n-a\n+b\n";
  std::vector<std::string> Warnings;
  ParseOptions O;
  O.Warning = [&](Error E) { Warnings.push_back(toString(std::move(E))); };
  auto Files = parseUnifiedDiff(D, O);
  ASSERT_THAT_EXPECTED(Files, Succeeded());
  EXPECT_THAT(lines(*Files), ElementsAre("y.c: 2"));
  EXPECT_THAT(Warnings, ElementsAre("line 2: 'x.c' has fewer than 1 leading "
                                    "directories to strip (see --strip)"));
}

TEST(UnifiedDiff, GapAtEndOfFile) {
  // A hunk with context and none after its last change ends at the end
  // of the file: a pure addition (old side) or removal (new side) there
  // marks the line before the gap alone. Without context it cannot be
  // told, and both lines are marked.
  const char *Add = "--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,3 @@\n a\n b\n+c\n";
  EXPECT_THAT(parse(Add, 1, /*OldSide=*/true), ElementsAre("x.c: 2"));
  const char *Remove = "--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,2 @@\n a\n b\n-c\n";
  EXPECT_THAT(parse(Remove), ElementsAre("x.c: 2"));
  const char *Middle =
      "--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,4 @@\n a\n b\n+c\n d\n";
  EXPECT_THAT(parse(Middle, 1, /*OldSide=*/true), ElementsAre("x.c: 2 3"));
  const char *Zero = "--- a/x.c\n+++ b/x.c\n@@ -2,0 +3 @@\n+c\n";
  EXPECT_THAT(parse(Zero, 1, /*OldSide=*/true), ElementsAre("x.c: 2 3"));
}

TEST(UnifiedDiff, SameFileTwice) {
  const char *D = "--- a/x.c\n+++ b/x.c\n@@ -9 +9 @@\n-a\n+b\n"
                  "--- a/x.c\n+++ b/x.c\n@@ -1 +1,2 @@\n-a\n+b\n+c\n";
  EXPECT_THAT(parse(D), ElementsAre("x.c: 1 2 9"));
}

TEST(UnifiedDiff, EmptyAndTextOnly) {
  EXPECT_THAT(parse(""), IsEmpty());
  EXPECT_THAT(parse("diff --git a/m b/m\nold mode 100644\nnew mode 100755\n"),
              IsEmpty());
  EXPECT_EQ(error("hello\nworld\n"),
            "line 1: not a unified diff (no 'diff' or '---'/'+++' lines)");
}

TEST(UnifiedDiff, HugeLineNumbers) {
  const char *D = "--- a/x.c\n+++ b/x.c\n@@ -1 +2147483647 @@\n-a\n+b\n";
  EXPECT_THAT(parse(D), ElementsAre("x.c: 2147483647"));
  EXPECT_THAT(error("--- a/x.c\n+++ b/x.c\n@@ -1 +2147483648 @@\n-a\n+b\n"),
              HasSubstr("line 3: malformed hunk header"));
  EXPECT_THAT(error("--- a/x.c\n+++ b/x.c\n@@ -1 +99999999999999999999 @@\n"),
              HasSubstr("line 3: malformed hunk header"));
  // The last line of either side is a line number too.
  EXPECT_EQ(error("--- a/x.c\n+++ b/x.c\n@@ -3 +2147483647,2 @@\n-x\n+y\n+z\n"),
            "line 3: hunk header '@@ -3 +2147483647,2 @@' ends past line "
            "2147483647");
  EXPECT_EQ(error("--- a/x.c\n+++ b/x.c\n@@ -2147483647,2 +3 @@\n-x\n-w\n+y\n"),
            "line 3: hunk header '@@ -2147483647,2 +3 @@' ends past line "
            "2147483647");
  // A count the body does not have is an error, not an allocation.
  EXPECT_EQ(error("--- a/x.c\n+++ b/x.c\n@@ -1,0 +1,2000000000 @@\n+a\n"),
            "line 3: the diff ends inside this hunk (0 old and 1999999999 "
            "new lines missing)");
}

TEST(UnifiedDiff, Malformed) {
  ASSERT_THAT_EXPECTED(
      parseUnifiedDiff("--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n*b\n"),
      FailedWithMessage("line 5: hunk of line 3 has a line that does not fit "
                        "it (expected 0 more old and 1 more new lines)"));
  EXPECT_EQ(error("--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n-b\n+c\n"),
            "line 5: hunk of line 3 has a line that does not fit it "
            "(expected 0 more old and 1 more new lines)");
  EXPECT_EQ(error("--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n+c\n"),
            "line 6: hunk of line 3 has more lines than its header counts");
  EXPECT_EQ(error("--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"
                  "\\ No newline at end of file\n-c\n"),
            "line 7: hunk of line 3 has more lines than its header counts");
  EXPECT_THAT(error("--- a/x.c\n+++ b/x.c\n@@ -1 +1\n"),
              HasSubstr("line 3: malformed hunk header '@@ -1 +1'"));
  EXPECT_THAT(error("--- a/x.c\n+++ b/x.c\n@@ -1,1 +0,1 @@\n-a\n+b\n"),
              HasSubstr("line 3: hunk header '@@ -1,1 +0,1 @@' starts a "
                        "non-empty side at line 0"));
  EXPECT_EQ(error("diff --git a/x b/x\n@@ -1 +1 @@\n-a\n+b\n"),
            "line 2: a hunk before its file's '---' and '+++' lines");
  EXPECT_EQ(error("--- a/x.c\nnot plus\n"),
            "line 1: a '---' line not followed by a '+++' line");
  EXPECT_EQ(error("+++ b/x.c\n"),
            "line 1: a '+++' line without a '---' line before it");
  EXPECT_EQ(error("--- a/x.c\n+++ \"b/x.c\n"),
            "line 2: unterminated quoted file name");
  EXPECT_EQ(error("--- a/x.c\n+++ \"b/\\q.c\"\n"),
            "line 2: unknown escape '\\q' in a quoted file name");
  EXPECT_EQ(error("--- a/x.c\n+++ \"b/\\000.c\"\n"),
            "line 2: a quoted file name holds a NUL byte");
  EXPECT_EQ(error("--- a/x.c\n+++ b/\n"),
            "line 2: 'b/' names no file once 1 leading directories are "
            "stripped");
  EXPECT_EQ(
      error("diff --cc x.c\n--- a/x.c\n+++ b/x.c\n@@@ -1,1 -1,1 +1,1 @@@\n"),
      "line 4: a combined diff (of a merge); diff against one parent "
      "instead");
}

} // namespace
