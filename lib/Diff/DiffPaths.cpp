//===- DiffPaths.cpp - File names on a diff's ---/+++ lines ---------------===//

#include "DiffPaths.h"
#include "llvm/ADT/Twine.h"

using namespace llvm;

namespace covlock {
namespace diff {

static Error problem(const Twine &Message) {
  return createStringError(inconvertibleErrorCode(), Message);
}

/// The byte a one-letter escape (after '\') stands for, or -1.
static int simpleEscape(char C) {
  switch (C) {
  case 'a':
    return '\a';
  case 'b':
    return '\b';
  case 't':
    return '\t';
  case 'n':
    return '\n';
  case 'v':
    return '\v';
  case 'f':
    return '\f';
  case 'r':
    return '\r';
  case '"':
    return '"';
  case '\\':
    return '\\';
  default:
    return -1;
  }
}

/// The name in the quoted \p Field (which starts with '"').
static Expected<std::string> unquote(StringRef Field) {
  std::string Out;
  size_t I = 1;
  while (I < Field.size() && Field[I] != '"') {
    char C = Field[I++];
    if (C != '\\') {
      Out += C;
      continue;
    }
    if (I == Field.size())
      break;
    char E = Field[I++];
    if (int S = simpleEscape(E); S >= 0) {
      Out += char(S);
      continue;
    }
    if (E < '0' || E > '3' || I + 2 > Field.size() || Field[I] < '0' ||
        Field[I] > '7' || Field[I + 1] < '0' || Field[I + 1] > '7')
      return problem("unknown escape '\\" + Twine(E) +
                     "' in a quoted file name");
    int V = (E - '0') * 64 + (Field[I] - '0') * 8 + (Field[I + 1] - '0');
    I += 2;
    if (V == 0)
      return problem("a quoted file name holds a NUL byte");
    Out += char(V);
  }
  if (I >= Field.size())
    return problem("unterminated quoted file name");
  StringRef Rest = Field.substr(I + 1);
  if (!Rest.empty() && Rest.front() != '\t' && Rest.front() != ' ')
    return problem("text after a quoted file name");
  return Out;
}

Expected<std::optional<std::string>> parseDiffPath(StringRef Field) {
  std::string Name;
  if (Field.starts_with("\"")) {
    Expected<std::string> U = unquote(Field);
    if (!U)
      return U.takeError();
    Name = std::move(*U);
  } else {
    Name = Field.take_until([](char C) { return C == '\t'; }).str();
  }
  if (Name.empty())
    return problem("no file name");
  if (Name == "/dev/null")
    return std::nullopt;
  return std::optional<std::string>(std::move(Name));
}

Expected<std::string> stripComponents(StringRef Path, unsigned N) {
  StringRef Rest = Path;
  for (unsigned K = 0; K != N; ++K) {
    size_t Slash = Rest.find('/');
    if (Slash == StringRef::npos)
      return problem("'" + Path + "' has fewer than " + Twine(N) +
                     " leading directories to strip (see --strip)");
    Rest = Rest.drop_front(Slash).ltrim('/');
  }
  if (Rest.empty())
    return problem("'" + Path + "' names no file once " + Twine(N) +
                   " leading directories are stripped");
  return Rest.str();
}

} // namespace diff
} // namespace covlock
