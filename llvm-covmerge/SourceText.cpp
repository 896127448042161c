//===- SourceText.cpp - Source files named by a covdb ---------------------===//
//
// Where a source file named by a database is read from, how it is read (a
// regular file, opened without blocking), and how its lines are written
// to a terminal.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>

using namespace llvm;
using namespace covlock::tool;

std::string sourcePathToRead(StringRef StoredPath) {
  // Paths are stored remapped: --path-equivalence on a query reads a copy
  // of the database merged with it (OpenDatabase.cpp).
  return StoredPath.str();
}

Expected<std::unique_ptr<MemoryBuffer>> readSourceFile(StringRef Path) {
  // A FIFO or a device where the source was must not hang the reader, nor
  // a huge file (a path a damaged database names) fill its memory.
  constexpr uint64_t MaxSourceBytes = uint64_t(64) << 20;
  sys::fs::file_status S;
  if (!sys::fs::status(Path, S) && sys::fs::is_regular_file(S) &&
      S.getSize() > MaxSourceBytes)
    return createStringError(inconvertibleErrorCode(),
                             "larger than 64 MiB, no source file is that long");
  Expected<std::unique_ptr<MemoryBuffer>> Buf = covlock::readRegularFile(Path);
  if (!Buf)
    return handleErrors(Buf.takeError(), [](const FileError &FE) {
      return createStringError(inconvertibleErrorCode(),
                               FE.messageWithoutFileInfo());
    });
  return Buf;
}

/// Whether every byte of \p Text is printable ASCII (0x20 to 0x7e) or, if
/// \p WithNewlines, '\n'. A loop without an early exit, which the
/// compiler vectorizes: sources are megabytes.
static bool allPrintable(StringRef Text, bool WithNewlines) {
  bool Plain = true;
  for (unsigned char C : Text)
    Plain &= static_cast<unsigned char>(C - 0x20) < 0x5f ||
             (WithNewlines && C == '\n');
  return Plain;
}

bool isPlainText(StringRef Text) { return allPrintable(Text, true); }

uint32_t countSourceLines(StringRef Text) {
  size_t N = 0;
  for (const char *P = Text.begin(), *End = Text.end(); P != End; ++N) {
    const void *NL = std::memchr(P, '\n', End - P);
    P = NL ? static_cast<const char *>(NL) + 1 : End;
  }
  return std::min<size_t>(N, UINT32_MAX);
}

void writeSourceLine(raw_ostream &OS, StringRef Line) {
  Line.consume_back("\r"); // CRLF sources
  if (allPrintable(Line, false)) {
    OS << Line;
    return;
  }
  // Runs without tabs and backslashes go through printable(); a tab is
  // expanded to the next multiple of 8 columns of the text, and a backslash
  // stays one (a source's "\n" is shown as written).
  size_t Column = 0;
  while (!Line.empty()) {
    size_t Run = Line.find_first_of("\t\\");
    std::string Text = printable(Line.substr(0, Run));
    OS << Text;
    for (char C : Text)
      Column += (static_cast<unsigned char>(C) & 0xc0) != 0x80;
    if (Run == StringRef::npos)
      break;
    if (Line[Run] == '\t') {
      OS.indent(8 - Column % 8);
      Column += 8 - Column % 8;
    } else {
      OS << '\\';
      ++Column;
    }
    Line = Line.drop_front(Run + 1);
  }
}
