//===- Pack.cpp - Packs: compacted flushes (protocol v3, v4) --------------===//

#include "covlock/Protocol/Pack.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"
#include <set>

using namespace llvm;

namespace covlock {

std::string packFileName(uint64_t N) {
  return (PackPrefix + Twine(N) + ".pack").str();
}

std::string packProfileName(uint64_t N, uint64_t K) {
  return (PackPrefix + Twine(N) + "." + Twine(K) + ".profraw.gz").str();
}

/// The N of "<N>" followed by nothing: decimal, no leading zero, at most
/// MaxPackNumber.
static std::optional<uint64_t> numberOf(StringRef Digits) {
  uint64_t N;
  if (Digits.empty() || Digits.size() > 9 || Digits.getAsInteger(10, N) ||
      (Digits.size() > 1 && Digits[0] == '0') || !N || N > MaxPackNumber)
    return std::nullopt;
  return N;
}

std::optional<uint64_t> packNumberOf(StringRef Name) {
  // Exactly _c<N>.pack or _c<N>.<K>.profraw[.gz]: a stock profile of a host
  // named "_c5..." is not ours.
  if (!Name.consume_front(PackPrefix))
    return std::nullopt;
  auto [Number, Rest] = Name.split('.');
  std::optional<uint64_t> N = numberOf(Number);
  if (!N)
    return std::nullopt;
  if (Rest == "pack")
    return N;
  auto [K, Ext] = Rest.split('.');
  if ((Ext != "profraw" && Ext != "profraw.gz") || (K != "0" && !numberOf(K)))
    return std::nullopt;
  return N;
}

/// A name a pack may give: a plain file name of its own key directory (or
/// of the layouts directory), starting as \p Prefix says when not empty.
static bool isNameOfPack(StringRef Name, StringRef Prefix, json::Path P) {
  if (!Name.empty() && Name != "." && Name != ".." &&
      Name.find('/') == StringRef::npos && Name.find('\0') == StringRef::npos &&
      Name.starts_with(Prefix))
    return true;
  P.report("not a file name a pack may name");
  return false;
}

static json::Value toJSON(const PackProfile &P) {
  json::Object O{{"profile", P.Profile}, {"layout", P.Layout},
                 {"path", P.Path},       {"label", P.Label},
                 {"size", P.Size},       {"first", P.First}};
  if (P.BinaryId)
    O["binary_id"] = *P.BinaryId;
  return O;
}

static bool fromJSON(const json::Value &V, PackProfile &P, json::Path Path) {
  json::ObjectMapper O(V, Path);
  return O && O.map("profile", P.Profile) && O.map("layout", P.Layout) &&
         O.map("path", P.Path) && O.map("size", P.Size) &&
         O.map("first", P.First) && O.mapOptional("binary_id", P.BinaryId) &&
         O.mapOptional("label", P.Label) &&
         isNameOfPack(P.Profile, PackPrefix, Path.field("profile")) &&
         isNameOfPack(P.Layout, "", Path.field("layout"));
}

static bool fromJSON(const json::Value &V, NamedRecord<FlushRecord> &R,
                     json::Path Path) {
  json::ObjectMapper O(V, Path);
  return O && O.map("name", R.Name) && O.map("record", R.Record) &&
         isNameOfPack(R.Name, "", Path.field("name"));
}

std::string writePack(const Pack &P) {
  json::Array Profiles, AbsorbedPacks;
  for (const PackProfile &PP : P.Profiles)
    Profiles.push_back(toJSON(PP));
  for (const std::string &Name : P.AbsorbedPacks)
    AbsorbedPacks.push_back(Name);
  std::string Out;
  raw_string_ostream OS(Out);
  OS << json::Value(json::Object{{"version", P.Version},
                                 {"pack", P.Number},
                                 {"profiles", std::move(Profiles)},
                                 {"absorbed_packs", std::move(AbsorbedPacks)}})
     << '\n';
  // One line per record: a reader never holds more than one line's tree.
  for (const NamedRecord<FlushRecord> &R : P.Records)
    OS << json::Value(json::Object{{"name", R.Name}, {"record", R.Record}})
       << '\n';
  for (const AbsorbedRecord &A : P.AbsorbedRecords)
    OS << json::Value(json::Object{{"absorbed", A.Name}, {"start", A.Start}})
       << '\n';
  return Out;
}

bool fromJSON(const json::Value &V, PackLine &L, json::Path Path) {
  json::ObjectMapper O(V, Path);
  if (!O)
    return false;
  const json::Object *Obj = V.getAsObject();
  if (Obj->get("record") && Obj->get("absorbed")) {
    Path.report("both a record and an absorbed record");
    return false;
  }
  if (Obj->get("record")) {
    NamedRecord<FlushRecord> R;
    if (!fromJSON(V, R, Path))
      return false;
    L.Record = std::move(R);
    return true;
  }
  AbsorbedRecord A;
  if (!O.map("absorbed", A.Name) || !O.map("start", A.Start) ||
      !isNameOfPack(A.Name, "", Path.field("absorbed")))
    return false;
  L.Absorbed = std::move(A);
  return true;
}

bool fromJSON(const json::Value &V, Pack &P, json::Path Path) {
  json::ObjectMapper O(V, Path);
  if (!O || !O.map("version", P.Version))
    return false;
  if (P.Version < PackProtocolVersion || P.Version > ProtocolVersion) {
    Path.field("version").report("unsupported protocol version");
    return false;
  }
  if (!O.map("pack", P.Number) || !O.map("profiles", P.Profiles) ||
      !O.map("absorbed_packs", P.AbsorbedPacks))
    return false;
  if (P.Number < 1 || P.Number > MaxPackNumber) {
    Path.field("pack").report("not a pack number");
    return false;
  }
  return true;
}

/// What makes a pack damaged although every line parses.
static Error checkPack(const Pack &P) {
  auto Damaged = [](const Twine &Why) {
    return createStringError(inconvertibleErrorCode(), "invalid pack: " + Why);
  };
  // What a pack says it replaced is removed by the next compactor: it
  // must be consistent with what the pack holds, or the pack is damaged.
  for (const std::string &Name : P.AbsorbedPacks) {
    std::optional<uint64_t> N = packNumberOf(Name);
    if (!N || !StringRef(Name).ends_with(".pack") || *N >= P.Number)
      return Damaged("absorbs " + Name + ", not an earlier pack");
  }
  std::set<std::pair<std::string, int64_t>> Carried;
  bool AnyProfile = false;
  for (const NamedRecord<FlushRecord> &R : P.Records) {
    if (!Carried.insert({R.Name, R.Record.Start}).second)
      return Damaged("carries " + R.Name + " twice");
    AnyProfile |= !R.Record.profiles().empty();
  }
  for (const AbsorbedRecord &A : P.AbsorbedRecords)
    if (!Carried.count({A.Name, A.Start}))
      return Damaged("absorbs " + A.Name +
                     ", a record the pack does not carry");
  std::set<std::string> Names;
  std::set<std::pair<std::optional<std::string>, std::string>> Sums;
  StringRef ProfileExt = P.Version >= 4 ? ".profraw.gz" : ".profraw";
  for (const PackProfile &PP : P.Profiles) {
    if (!StringRef(PP.Profile).ends_with(ProfileExt))
      return Damaged(PP.Profile + ": a version " + Twine(P.Version) +
                     " pack's profiles are " + ProfileExt + " files");
    if (packNumberOf(PP.Profile) != P.Number ||
        !Names.insert(PP.Profile).second ||
        !Sums.insert({PP.Label, PP.Layout}).second)
      return Damaged(PP.Profile +
                     ": a profile of another pack, or one label and binary "
                     "twice");
  }
  if (AnyProfile && P.Profiles.empty())
    return Damaged("no profile, for records that have profiles");
  return Error::success();
}

Expected<Pack> readPackFile(StringRef Path) {
  Expected<std::string> Bytes = readProtocolFile(Path, MaxPackFile);
  if (!Bytes)
    return Bytes.takeError();
  auto [Header, Rest] = StringRef(*Bytes).split('\n');
  Expected<Pack> P = parseRecord<Pack>(Header);
  if (!P)
    return createFileError(Path, P.takeError());
  for (size_t LineNo = 2; !Rest.empty(); ++LineNo) {
    StringRef Line;
    std::tie(Line, Rest) = Rest.split('\n');
    if (Line.trim().empty())
      continue;
    Expected<PackLine> L = parseRecord<PackLine>(Line.rtrim("\r"));
    if (!L)
      return createFileError(Path,
                             createStringError(inconvertibleErrorCode(),
                                               "line " + Twine(LineNo) + ": " +
                                                   toString(L.takeError())));
    if (L->Record)
      P->Records.push_back(std::move(*L->Record));
    else
      P->AbsorbedRecords.push_back(std::move(*L->Absorbed));
  }
  if (Error E = checkPack(*P))
    return createFileError(Path, std::move(E));
  return P;
}

} // namespace covlock
