//===- Protocol.cpp - Names and encodings of the protocol -----------------===//

#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <unistd.h>

using namespace llvm;

namespace covlock {

uint64_t fnv1a64(StringRef Data) {
  uint64_t H = 0xcbf29ce484222325ULL;
  for (unsigned char C : Data) {
    H ^= C;
    H *= 0x100000001b3ULL;
  }
  return H;
}

static bool isKeptByte(unsigned char C) {
  return isAlnum(C) || C == '.' || C == '_' || C == '-';
}

std::string encodeTestKey(StringRef Id) {
  if (Id.empty())
    return OutsideKey.str();
  std::string Key;
  Key.reserve(Id.size());
  for (size_t I = 0, E = Id.size(); I != E; ++I) {
    unsigned char C = Id[I];
    // A leading '.' or '_' is escaped so that no key can be ".", "..",
    // ".covlock", a hidden file or "_outside".
    bool Escape = !isKeptByte(C) || (I == 0 && (C == '.' || C == '_'));
    if (!Escape) {
      Key.push_back(C);
      continue;
    }
    Key.push_back('%');
    Key.push_back(hexdigit(C >> 4, /*LowerCase=*/false));
    Key.push_back(hexdigit(C & 15, /*LowerCase=*/false));
  }
  if (Key.size() <= MaxKeyLength)
    return Key;

  // Cut, but never inside a %XX escape: if one of the last two kept bytes
  // is a '%', the cut moves back to just before it.
  size_t Cut = CutKeyLength;
  for (size_t Back = 1; Back <= 2; ++Back)
    if (Key[Cut - Back] == '%') {
      Cut -= Back;
      break;
    }
  Key.resize(Cut);
  Key.push_back('~');
  raw_string_ostream OS(Key);
  OS << format_hex_no_prefix(fnv1a64(Id), 16, /*Upper=*/false);
  return Key;
}

std::optional<std::string> decodeTestKey(StringRef Key) {
  if (Key.empty() || Key == OutsideKey || Key.size() > MaxKeyLength)
    return std::nullopt;
  std::string Id;
  for (size_t I = 0, E = Key.size(); I != E; ++I) {
    char C = Key[I];
    if (C == '%') {
      auto IsHex = [](char X) { return isDigit(X) || (X >= 'A' && X <= 'F'); };
      if (I + 2 >= E || !IsHex(Key[I + 1]) || !IsHex(Key[I + 2]))
        return std::nullopt;
      Id.push_back(static_cast<char>(hexFromNibbles(Key[I + 1], Key[I + 2])));
      I += 2;
      continue;
    }
    // '~' only appears in cut keys; anything else unknown is not a key.
    if (!isKeptByte(C))
      return std::nullopt;
    if (I == 0 && (C == '.' || C == '_'))
      return std::nullopt;
    Id.push_back(C);
  }
  // Only canonical encodings are keys ("%41" is not: 'A' is kept as is).
  if (encodeTestKey(Id) != Key)
    return std::nullopt;
  return Id;
}

std::string getHostName() {
  char Buf[256] = {};
  if (gethostname(Buf, sizeof(Buf) - 1) != 0 || Buf[0] == '\0')
    return "localhost";
  return Buf;
}

std::string getHostKey(StringRef HostName) {
  return encodeTestKey(HostName.take_front(MaxHostLength));
}

std::string makeRunId(StringRef HostName, int64_t Pid, int64_t StartSeconds) {
  return (Twine(getHostKey(HostName)) + "." + Twine(Pid) + "." +
          Twine(StartSeconds))
      .str();
}

std::string getControlDir(StringRef Dir) {
  SmallString<256> P(Dir);
  sys::path::append(P, ControlDirName);
  return std::string(P);
}

std::string getRunLockPath(StringRef Dir) {
  SmallString<256> P(getControlDir(Dir));
  sys::path::append(P, RunLockName);
  return std::string(P);
}

std::string getFlushLockPath(StringRef Dir) {
  SmallString<256> P(getControlDir(Dir));
  sys::path::append(P, FlushLockName);
  return std::string(P);
}

std::string getCompactLockPath(StringRef Dir) {
  SmallString<256> P(getControlDir(Dir));
  sys::path::append(P, CompactLockName);
  return std::string(P);
}

std::string getLayoutsDir(StringRef Dir) {
  SmallString<256> P(getControlDir(Dir));
  sys::path::append(P, LayoutsDirName);
  return std::string(P);
}

} // namespace covlock
