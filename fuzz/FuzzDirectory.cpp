//===- FuzzDirectory.cpp - Fuzz the whole coverage directory reader -------===//
//
// Each input describes a small coverage directory: test key directories
// holding flush records and boot markers (made from fuzzed fields, so that
// most of them parse and refer to each other), files of fuzzed bytes under
// the protocol's names, raw profiles (a real one with bytes overwritten, if
// COVLOCK_FUZZ_PROFILE names one), symbolic links, FIFOs and directories
// where files belong, packs (made from fuzzed fields), their profiles and
// layout files. The directory is built in a temporary directory, read as
// `llvm-covlock status` and `llvm-covmerge` read it, compacted, and read
// again: never a crash, a hang or a sanitizer report, every process is
// counted in exactly one state, and the compactor never removes anything
// outside the directory.
//
// LLVM's own readers run in a child process in the tools (IsolatedReader);
// here that child is /bin/false, so a profile the bulk path does not take
// is reported bad without reaching them: what is fuzzed is covlock's code.
//
//===----------------------------------------------------------------------===//

#include "covlock/Merge/Compact.h"
#include "covlock/Merge/Merge.h"
#include "covlock/Protocol/Directory.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdlib>
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

using namespace llvm;
using namespace covlock;
namespace fs = llvm::sys::fs;

namespace {
enum class EntryKind {
  Record,
  Marker,
  Bytes,
  Profile,
  Symlink,
  Fifo,
  Directory,
  Pack,
  PackProfile,
  Layout,
  kMaxValue = Layout
};

struct Sandbox {
  std::string Root;     ///< the temporary directory
  std::string Dir;      ///< Root/cov, rebuilt for every input
  std::string Outside;  ///< Root/outside.profraw, a file links point at
  std::string Template; ///< a real raw profile, or empty
};
} // namespace

/// Writes a file of the sandbox; never through a link or into a FIFO that
/// an earlier entry put at the same name.
static void writeFile(const std::string &Path, StringRef Bytes) {
  int FD = open(Path.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (FD < 0)
    return;
  raw_fd_ostream OS(FD, /*shouldClose=*/true);
  OS << Bytes;
}

static Sandbox &sandbox() {
  static Sandbox S = [] {
    Sandbox S;
    const char *Tmp = getenv("TMPDIR");
    std::string Pattern = std::string(Tmp && *Tmp ? Tmp : "/tmp") +
                          "/covlock-fuzz-directory-XXXXXX";
    if (!mkdtemp(Pattern.data()))
      abort();
    S.Root = Pattern;
    S.Dir = S.Root + "/cov";
    S.Outside = S.Root + "/outside.profraw";
    if (const char *T = getenv("COVLOCK_FUZZ_PROFILE"))
      if (auto Buf = MemoryBuffer::getFile(T))
        S.Template = (*Buf)->getBuffer().str();
    writeFile(S.Outside, S.Template.empty() ? "outside" : S.Template);
    // Removed at exit through a copy that outlives S's destructor.
    static const std::string *Root = new std::string(S.Root);
    atexit([] { fs::remove_directories(*Root); });
    return S;
  }();
  return S;
}

/// Names a record or marker may carry: few hosts and pids, so that records,
/// markers and stock profiles of one process meet.
static std::string pickHost(FuzzedDataProvider &P) {
  return P.PickValueInArray({"vm", "h2", "h%2Fx"});
}

static std::string recordJSON(FuzzedDataProvider &P, bool Marker,
                              std::string &Name) {
  std::string Host = pickHost(P);
  int64_t Pid = P.ConsumeIntegralInRange<int64_t>(-1, 4);
  int64_t Seq = P.ConsumeIntegralInRange<int64_t>(0, 3);
  json::Object O{{"version", P.ConsumeIntegralInRange<int64_t>(0, 3)},
                 {"host", Host},
                 {"pid", Pid},
                 {"start", P.ConsumeIntegral<int64_t>()},
                 {"test", P.ConsumeRandomLengthString(16)},
                 {"exe", "/nonexistent/prog"}};
  if (P.ConsumeBool())
    O["label"] = P.ConsumeRandomLengthString(8);
  std::string Stem = Host + "." + std::to_string(Pid);
  if (Marker) {
    Name = Stem + (P.ConsumeBool() ? ".boot" : ".failed");
    return formatv("{0}", json::Value(std::move(O))).str();
  }
  O["seq"] = Seq;
  O["final"] = P.ConsumeBool();
  O["reason"] = P.PickValueInArray({"exit", "signal", "exec", "test", "x"});
  std::string Profile = Stem + "." + std::to_string(Seq) + ".profraw";
  O["profile"] = P.ConsumeBool() ? Profile : P.ConsumeRandomLengthString(12);
  O["size"] = P.ConsumeIntegral<int64_t>();
  if (P.ConsumeBool())
    O["error"] = "write failed";
  if (P.ConsumeBool()) {
    json::Array Modules;
    for (int I = 0, N = P.ConsumeIntegralInRange(0, 3); I != N; ++I)
      Modules.push_back(json::Object{
          {"path", P.ConsumeRandomLengthString(8)},
          {"profile", Stem + "." + std::to_string(Seq) + ".m" +
                          std::to_string(I) + ".profraw"},
          {"size", P.ConsumeIntegralInRange<int64_t>(0, 1 << 20)}});
    O["module"] = 0;
    O["modules"] = std::move(Modules);
  }
  Name = Stem + "." + std::to_string(Seq) + ".json";
  return formatv("{0}", json::Value(std::move(O))).str();
}

/// A real profile with a few bytes overwritten, or fuzzed bytes.
static std::string profileBytes(FuzzedDataProvider &P) {
  std::string Bytes = sandbox().Template;
  if (Bytes.empty())
    return P.ConsumeRandomLengthString(512);
  for (int I = 0, N = P.ConsumeIntegralInRange(0, 4); I != N; ++I) {
    size_t At = P.ConsumeIntegralInRange<size_t>(0, Bytes.size() - 1);
    Bytes[At] = char(P.ConsumeIntegral<uint8_t>());
  }
  if (P.ConsumeBool())
    Bytes.resize(P.ConsumeIntegralInRange<size_t>(0, Bytes.size()));
  return Bytes;
}

/// profileBytes(), gzipped as a pack's profile or a layout file (protocol
/// v4), or left raw (v3); now and then one byte of the gzip data flipped.
static std::string packedProfileBytes(FuzzedDataProvider &P, bool Gzip) {
  std::string Raw = profileBytes(P);
  if (!Gzip)
    return Raw;
  uLongf Size = compressBound(Raw.size()) + 32;
  std::string Out(Size, '\0');
  z_stream S{};
  deflateInit2(&S, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
               Z_DEFAULT_STRATEGY);
  S.next_in = reinterpret_cast<Bytef *>(Raw.data());
  S.avail_in = Raw.size();
  S.next_out = reinterpret_cast<Bytef *>(Out.data());
  S.avail_out = Out.size();
  deflate(&S, Z_FINISH);
  Out.resize(S.total_out);
  deflateEnd(&S);
  if (!Out.empty() && P.ConsumeIntegralInRange(0, 3) == 0)
    Out[P.ConsumeIntegralInRange<size_t>(0, Out.size() - 1)] ^=
        char(P.ConsumeIntegral<uint8_t>() | 1);
  return Out;
}

/// A pack whose fields name, or nearly name, what other entries write.
static std::string packJSON(FuzzedDataProvider &P, uint64_t N) {
  auto PickName = [&] {
    return std::string(P.PickValueInArray(
        {"vm.1.0.json", "vm.1.0.profraw", "_c1.pack", "_c2.pack",
         "_c1.0.profraw", "../t2/vm.1.0.json", "..", ".", "/etc/passwd",
         "../../outside.profraw", "vm.2.0.json"}));
  };
  json::Array Profiles, AbsorbedPacks;
  std::string Lines;
  for (int I = 0, E = P.ConsumeIntegralInRange(0, 3); I != E; ++I)
    Profiles.push_back(json::Object{
        {"profile", P.ConsumeBool()
                        ? "_c" + std::to_string(N) + "." + std::to_string(I) +
                              P.PickValueInArray({".profraw", ".profraw.gz"})
                        : PickName()},
        {"layout", P.PickValueInArray(
                       {"l.0.profraw", "l.0.profraw.gz", "../run.lock", "x"})},
        {"path", "/nonexistent/prog"},
        {"label", P.ConsumeBool() ? json::Value(nullptr) : json::Value("l")},
        {"size", P.ConsumeIntegral<int64_t>()},
        {"first", PickName()}});
  for (int I = 0, E = P.ConsumeIntegralInRange(0, 3); I != E; ++I) {
    std::string Name;
    std::string Record = recordJSON(P, /*Marker=*/false, Name);
    Expected<json::Value> V = json::parse(Record);
    if (!V) {
      consumeError(V.takeError());
      continue;
    }
    json::Object Line{{"name", P.ConsumeBool() ? Name : PickName()},
                      {"record", std::move(*V)}};
    Lines += formatv("{0}\n", json::Value(std::move(Line))).str();
  }
  for (int I = 0, E = P.ConsumeIntegralInRange(0, 3); I != E; ++I)
    Lines += formatv("{0}\n",
                     json::Value(json::Object{
                         {"absorbed", PickName()},
                         {"start", P.ConsumeIntegralInRange<int64_t>(-1, 1)}}))
                 .str();
  for (int I = 0, E = P.ConsumeIntegralInRange(0, 2); I != E; ++I)
    AbsorbedPacks.push_back(PickName());
  json::Object O{{"version", P.ConsumeIntegralInRange<int64_t>(2, 5)},
                 {"pack", N},
                 {"profiles", std::move(Profiles)},
                 {"absorbed_packs", std::move(AbsorbedPacks)}};
  return formatv("{0}\n", json::Value(std::move(O))).str() + Lines;
}

static void addEntry(FuzzedDataProvider &P, const Sandbox &S) {
  std::string Key =
      P.PickValueInArray({"t1", "t2", "%00x", "__outside_tests__"});
  std::string KeyDir = S.Dir + "/" + Key;
  fs::create_directory(KeyDir);
  std::string Suffix =
      P.PickValueInArray({".json", ".boot", ".failed", ".profraw",
                          ".stock.profraw", ".m0.profraw", ".profdata"});
  std::string Name = pickHost(P) + "." +
                     std::to_string(P.ConsumeIntegralInRange(-1, 4)) + ".0" +
                     Suffix;
  if (Suffix == ".stock.profraw" || Suffix == ".boot" || Suffix == ".failed")
    Name = pickHost(P) + "." + std::to_string(P.ConsumeIntegralInRange(1, 4)) +
           Suffix;
  // Now and then the entry goes where a key directory belongs.
  std::string Path =
      (P.ConsumeIntegralInRange(0, 7) == 0 ? S.Dir : KeyDir) + "/" + Name;
  switch (P.ConsumeEnum<EntryKind>()) {
  case EntryKind::Record:
  case EntryKind::Marker: {
    bool Marker = P.ConsumeBool();
    std::string RecordName;
    std::string Text = recordJSON(P, Marker, RecordName);
    writeFile(KeyDir + "/" + RecordName, Text);
    break;
  }
  case EntryKind::Bytes:
    writeFile(Path, P.ConsumeRandomLengthString(1024));
    break;
  case EntryKind::Profile:
    writeFile(Path, profileBytes(P));
    break;
  case EntryKind::Symlink:
    (void)symlink(P.PickValueInArray({S.Outside.c_str(), "/dev/zero", "../t1",
                                      ".", "missing"}),
                  Path.c_str());
    break;
  case EntryKind::Fifo:
    (void)mkfifo(Path.c_str(), 0600);
    break;
  case EntryKind::Directory:
    fs::create_directory(Path);
    break;
  case EntryKind::Pack: {
    uint64_t N = P.ConsumeIntegralInRange<uint64_t>(1, 2);
    writeFile(KeyDir + "/_c" + std::to_string(N) + ".pack", packJSON(P, N));
    break;
  }
  case EntryKind::PackProfile: {
    bool Gzip = P.ConsumeBool();
    writeFile(KeyDir + "/_c" + std::to_string(P.ConsumeIntegralInRange(1, 2)) +
                  "." + std::to_string(P.ConsumeIntegralInRange(0, 1)) +
                  (Gzip ? ".profraw.gz" : ".profraw"),
              packedProfileBytes(P, Gzip));
    break;
  }
  case EntryKind::Layout: {
    bool Gzip = P.ConsumeBool();
    fs::create_directories(S.Dir + "/.covlock/layouts");
    writeFile(S.Dir + "/.covlock/layouts/l.0.profraw" + (Gzip ? ".gz" : ""),
              packedProfileBytes(P, Gzip));
    break;
  }
  }
}

static void checkSummary(const DirectoryContents &C) {
  DirectorySummary Sum =
      summarizeDirectory(C, [](const ProcessId &) { return false; });
  const ProcessCounts &T = Sum.Total;
  if (T.Flushed + T.Failed + T.Lost + T.Running != T.Processes)
    abort();
  for (const TestSummary &TS : Sum.Tests)
    if (TS.Counts.Processes > T.Processes)
      abort();
}

static void merge(const Sandbox &S) {
  MergeOptions Opts;
  Opts.Inputs = {S.Dir};
  Opts.Threads = 1;
  Opts.WantProfile = true;
  Opts.IsolatedReader = "/bin/false";
  Opts.Warn = [](Error E) { consumeError(std::move(E)); };
  Opts.BadInput = [](Error E) { consumeError(std::move(E)); };
  Expected<MergeOutput> Out = mergeInputs(Opts);
  if (!Out) {
    consumeError(Out.takeError());
    return;
  }
  if (Out->Stats.Read + Out->Stats.Bad > Out->Stats.Profiles)
    abort();
  for (auto &[Label, Profile] : Out->Profiles)
    (void)Profile->writeBuffer();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  const Sandbox &S = sandbox();
  fs::remove_directories(S.Dir);
  if (fs::create_directories(S.Dir + "/.covlock"))
    abort();
  FuzzedDataProvider P(Data, Size);
  for (int I = 0, N = P.ConsumeIntegralInRange(0, 12); I != N; ++I)
    addEntry(P, S);

  Expected<DirectoryContents> C =
      readCoverageDirectory(S.Dir, [](Error E) { consumeError(std::move(E)); });
  if (!C) {
    consumeError(C.takeError());
    return 0;
  }
  checkSummary(*C);
  merge(S);

  CompactOptions CO;
  CO.Dir = S.Dir;
  Compactor Compact(CO);
  Expected<CompactStats> Stats = Compact.compact(/*Full=*/true);
  if (!Stats)
    consumeError(Stats.takeError());
  // Whatever the packs say, nothing outside the directory goes.
  if (!fs::exists(S.Outside))
    abort();
  Expected<DirectoryContents> After =
      readCoverageDirectory(S.Dir, [](Error E) { consumeError(std::move(E)); });
  if (!After) {
    consumeError(After.takeError());
    return 0;
  }
  checkSummary(*After);
  merge(S);
  return 0;
}
