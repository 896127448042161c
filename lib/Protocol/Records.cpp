//===- Records.cpp - Records of the coverage directory protocol -----------===//

#include "covlock/Protocol/Records.h"
#include "covlock/Protocol/Pack.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;

namespace covlock {

// Every record carries the protocol version; one we do not know could mean
// anything, so it makes the record unreadable rather than misread.
/// A profile named by a record lives beside it: a plain name, never a path
/// that leads elsewhere.
static bool isPlainFileName(StringRef Name, json::Path P) {
  if (!Name.empty() && Name != "." && Name != ".." &&
      Name.find('/') == StringRef::npos && Name.find('\0') == StringRef::npos)
    return true;
  P.report("not a file name in the record's directory");
  return false;
}

static bool checkVersion(int Version, json::Path P) {
  if (Version >= OldestProtocolVersion && Version <= ProtocolVersion)
    return true;
  P.field("version").report("unsupported protocol version");
  return false;
}

json::Value toJSON(const OwnerRecord &R) {
  json::Array Command;
  for (const std::string &Arg : R.Command)
    Command.push_back(Arg);
  return json::Object{{"version", R.Version}, {"run", R.Run},
                      {"pid", R.Pid},         {"host", R.Host},
                      {"start", R.Start},     {"command", std::move(Command)},
                      {"label", R.Label},     {"dir", R.Dir}};
}

bool fromJSON(const json::Value &V, OwnerRecord &R, json::Path P) {
  json::ObjectMapper O(V, P);
  return O && O.map("version", R.Version) && checkVersion(R.Version, P) &&
         O.map("run", R.Run) && O.map("pid", R.Pid) && O.map("host", R.Host) &&
         O.map("start", R.Start) && O.map("command", R.Command) &&
         O.mapOptional("label", R.Label) && O.mapOptional("dir", R.Dir);
}

json::Value toJSON(const BootMarker &M) {
  json::Object O{{"version", M.Version}, {"run", M.Run},   {"label", M.Label},
                 {"test", M.Test},       {"host", M.Host}, {"pid", M.Pid},
                 {"ppid", M.PPid},       {"exe", M.Exe},   {"start", M.Start}};
  if (M.TestHex)
    O["test_hex"] = *M.TestHex;
  return O;
}

bool fromJSON(const json::Value &V, BootMarker &M, json::Path P) {
  json::ObjectMapper O(V, P);
  return O && O.map("version", M.Version) && checkVersion(M.Version, P) &&
         O.map("host", M.Host) && O.map("pid", M.Pid) &&
         O.map("start", M.Start) && O.mapOptional("run", M.Run) &&
         O.mapOptional("label", M.Label) && O.mapOptional("test", M.Test) &&
         O.mapOptional("test_hex", M.TestHex) &&
         O.mapOptional("ppid", M.PPid) && O.mapOptional("exe", M.Exe);
}

json::Value toJSON(const FlushRecord &R) {
  json::Object O{
      {"version", R.Version}, {"run", R.Run},         {"label", R.Label},
      {"test", R.Test},       {"host", R.Host},       {"pid", R.Pid},
      {"ppid", R.PPid},       {"exe", R.Exe},         {"start", R.Start},
      {"end", R.End},         {"seq", R.Seq},         {"reason", R.Reason},
      {"final", R.Final},     {"profile", R.Profile}, {"size", R.Size}};
  // Optional keys are absent rather than null, as the writer does.
  if (R.TestHex)
    O["test_hex"] = *R.TestHex;
  if (R.BinaryId)
    O["binary_id"] = *R.BinaryId;
  if (R.Signal)
    O["signal"] = *R.Signal;
  if (R.Status)
    O["status"] = *R.Status;
  if (R.Outcome)
    O["outcome"] = *R.Outcome;
  if (R.Error)
    O["error"] = *R.Error;
  if (R.Module)
    O["module"] = *R.Module;
  if (!R.Modules.empty())
    O["modules"] = R.Modules;
  return O;
}

json::Value toJSON(const ModuleProfile &M) {
  json::Object O{{"path", M.Path}, {"profile", M.Profile}, {"size", M.Size}};
  if (M.BinaryId)
    O["binary_id"] = *M.BinaryId;
  return O;
}

bool fromJSON(const json::Value &V, ModuleProfile &M, json::Path P) {
  json::ObjectMapper O(V, P);
  return O && O.map("path", M.Path) && O.map("profile", M.Profile) &&
         O.map("size", M.Size) && O.mapOptional("binary_id", M.BinaryId) &&
         isPlainFileName(M.Profile, P.field("profile"));
}

std::vector<ModuleProfile> FlushRecord::profiles() const {
  std::vector<ModuleProfile> All;
  if (Error || !Profile)
    return All;
  All.push_back({Module.value_or(Exe), BinaryId, *Profile, Size});
  All.insert(All.end(), Modules.begin(), Modules.end());
  return All;
}

bool fromJSON(const json::Value &V, FlushRecord &R, json::Path P) {
  json::ObjectMapper O(V, P);
  return O && O.map("version", R.Version) && checkVersion(R.Version, P) &&
         O.map("host", R.Host) && O.map("pid", R.Pid) &&
         O.map("start", R.Start) && O.mapOptional("run", R.Run) &&
         O.mapOptional("label", R.Label) && O.mapOptional("test", R.Test) &&
         O.mapOptional("test_hex", R.TestHex) &&
         O.mapOptional("ppid", R.PPid) && O.mapOptional("exe", R.Exe) &&
         O.mapOptional("binary_id", R.BinaryId) &&
         O.mapOptional("end", R.End) && O.mapOptional("seq", R.Seq) &&
         O.mapOptional("reason", R.Reason) &&
         O.mapOptional("signal", R.Signal) &&
         O.mapOptional("status", R.Status) &&
         O.mapOptional("outcome", R.Outcome) &&
         O.mapOptional("final", R.Final) &&
         O.mapOptional("profile", R.Profile) && O.mapOptional("size", R.Size) &&
         O.mapOptional("error", R.Error) && O.mapOptional("module", R.Module) &&
         O.mapOptional("modules", R.Modules) &&
         (!R.Profile || isPlainFileName(*R.Profile, P.field("profile")));
}

/// The deepest nesting of arrays and objects in \p Text, outside strings.
/// Records are flat (depth 3 at most: a record, its modules, one module);
/// LLVM's JSON parser recurses once per level, so a hostile file of 50,000
/// '[' would overflow the stack before any shape check could reject it.
static unsigned nestingDepth(StringRef Text, unsigned Stop) {
  unsigned Depth = 0, Max = 0;
  bool InString = false;
  for (size_t I = 0; I < Text.size() && Max <= Stop; ++I) {
    char C = Text[I];
    if (InString) {
      if (C == '\\')
        ++I;
      else if (C == '"')
        InString = false;
    } else if (C == '"') {
      InString = true;
    } else if (C == '[' || C == '{') {
      Max = std::max(Max, ++Depth);
    } else if ((C == ']' || C == '}') && Depth) {
      --Depth;
    }
  }
  return Max;
}

template <typename T> Expected<T> parseRecord(StringRef Text) {
  if (Text.trim().empty())
    return createStringError(inconvertibleErrorCode(), "empty record");
  constexpr unsigned MaxDepth = 8;
  if (nestingDepth(Text, MaxDepth) > MaxDepth)
    return createStringError(inconvertibleErrorCode(),
                             "invalid record: nested deeper than %u levels",
                             MaxDepth);
  Expected<json::Value> V = json::parse(Text);
  if (!V)
    return createStringError(inconvertibleErrorCode(),
                             "invalid JSON: " + toString(V.takeError()));
  T R;
  json::Path::Root Root("record");
  if (!fromJSON(*V, R, Root))
    return createStringError(inconvertibleErrorCode(),
                             "invalid record: " + toString(Root.getError()));
  return R;
}

template Expected<OwnerRecord> parseRecord(StringRef);
template Expected<BootMarker> parseRecord(StringRef);
template Expected<FlushRecord> parseRecord(StringRef);
template Expected<Pack> parseRecord(StringRef);
template Expected<PackLine> parseRecord(StringRef);

OwnerRecord OwnerRecord::forThisProcess(std::vector<std::string> Command,
                                        StringRef AbsDir,
                                        std::optional<std::string> Label) {
  OwnerRecord Owner;
  Owner.Pid = getpid();
  Owner.Host = getHostName();
  Owner.Start = time(nullptr);
  Owner.Run = makeRunId(Owner.Host, Owner.Pid, Owner.Start);
  Owner.Command = std::move(Command);
  Owner.Label = std::move(Label);
  Owner.Dir = AbsDir.str();
  return Owner;
}

// A record file may hold the boot line of its process image before the
// record (the runtime turns the marker into the record), and a marker may
// already have the record appended: read the line the type is about.
template <typename T> static StringRef selectLine(StringRef Text) {
  return Text;
}
template <> StringRef selectLine<BootMarker>(StringRef Text) {
  return Text.split('\n').first;
}
template <> StringRef selectLine<FlushRecord>(StringRef Text) {
  StringRef Body = Text.rtrim("\n");
  size_t Last = Body.rfind('\n');
  return Last == StringRef::npos ? Body : Body.drop_front(Last + 1);
}

/// The contents of \p Path if it is a regular file of at most \p Limit
/// bytes. Opened without following a symlink and without blocking (a FIFO
/// planted in a coverage directory must not hang a reader, a symlink to
/// /dev/zero must not fill its memory), then checked with fstat.
Expected<std::string> readProtocolFile(StringRef Path, uint64_t Limit) {
  std::string P = Path.str();
  int FD = ::open(P.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (FD < 0 && errno == ELOOP)
    return createFileError(Path, createStringError(inconvertibleErrorCode(),
                                                   "a symbolic link; not "
                                                   "followed"));
  if (FD < 0)
    return createFileError(Path, errorCodeToError(std::error_code(
                                     errno, std::generic_category())));
  auto Close = make_scope_exit([FD] { ::close(FD); });
  struct stat St;
  if (::fstat(FD, &St) != 0 || !S_ISREG(St.st_mode))
    return createFileError(Path, createStringError(inconvertibleErrorCode(),
                                                   "not a regular file"));
  if (uint64_t(St.st_size) > Limit)
    return createFileError(
        Path, createStringError(
                  inconvertibleErrorCode(),
                  "%llu bytes, more than the file may hold (%llu)",
                  (unsigned long long)St.st_size, (unsigned long long)Limit));
  std::string Out(St.st_size, '\0');
  size_t Done = 0;
  while (Done < Out.size()) {
    ssize_t N = ::pread(FD, &Out[Done], Out.size() - Done, Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      break;
    Done += N;
  }
  Out.resize(Done);
  return Out;
}

template <typename T> Expected<T> readRecordFile(StringRef Path) {
  Expected<std::string> Bytes = readProtocolFile(Path, MaxRecordFile);
  if (!Bytes)
    return Bytes.takeError();
  Expected<T> R = parseRecord<T>(selectLine<T>(*Bytes));
  if (!R)
    return createFileError(Path, R.takeError());
  return R;
}

template Expected<OwnerRecord> readRecordFile(StringRef);
template Expected<BootMarker> readRecordFile(StringRef);
template Expected<FlushRecord> readRecordFile(StringRef);

static bool needsQuoting(StringRef Word) {
  if (Word.empty())
    return true;
  return !all_of(Word, [](char C) {
    return isAlnum(C) || StringRef("_-./=:,+@%^").contains(C);
  });
}

std::string formatCommand(ArrayRef<std::string> Argv) {
  std::string Out;
  for (const std::string &Word : Argv) {
    if (!Out.empty())
      Out += ' ';
    if (!needsQuoting(Word)) {
      Out += Word;
      continue;
    }
    Out += '\'';
    for (char C : Word) {
      if (C == '\'')
        Out += "'\\''";
      else
        Out += C;
    }
    Out += '\'';
  }
  return Out;
}

std::string formatTime(int64_t UnixSeconds) {
  time_t T = static_cast<time_t>(UnixSeconds);
  struct tm TM;
  char Buf[64];
  if (!localtime_r(&T, &TM) ||
      !strftime(Buf, sizeof(Buf), "%Y-%m-%d %H:%M:%S %z", &TM))
    return std::to_string(UnixSeconds);
  return Buf;
}

} // namespace covlock
