//===- Pack.cpp - Packs: compacted flushes (protocol v3) ------------------===//

#include "covlock/Protocol/Pack.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/Twine.h"
#include <set>

using namespace llvm;

namespace covlock {

std::string packFileName(uint64_t N) {
  return (PackPrefix + Twine(N) + ".pack").str();
}

std::string packProfileName(uint64_t N, uint64_t K) {
  return (PackPrefix + Twine(N) + "." + Twine(K) + ".profraw").str();
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
  // Exactly _c<N>.pack or _c<N>.<K>.profraw: a stock profile of a host
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
  if (Ext != "profraw" || (K != "0" && !numberOf(K)))
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

static bool fromJSON(const json::Value &V, AbsorbedRecord &A, json::Path Path) {
  json::ObjectMapper O(V, Path);
  return O && O.map("name", A.Name) && O.map("start", A.Start) &&
         isNameOfPack(A.Name, "", Path.field("name"));
}

static bool fromJSON(const json::Value &V, NamedRecord<FlushRecord> &R,
                     json::Path Path) {
  json::ObjectMapper O(V, Path);
  return O && O.map("name", R.Name) && O.map("record", R.Record) &&
         isNameOfPack(R.Name, "", Path.field("name"));
}

json::Value toJSON(const Pack &P) {
  json::Array Profiles, Records, AbsorbedRecords, AbsorbedPacks;
  for (const PackProfile &PP : P.Profiles)
    Profiles.push_back(toJSON(PP));
  for (const NamedRecord<FlushRecord> &R : P.Records)
    Records.push_back(json::Object{{"name", R.Name}, {"record", R.Record}});
  for (const AbsorbedRecord &A : P.AbsorbedRecords)
    AbsorbedRecords.push_back(
        json::Object{{"name", A.Name}, {"start", A.Start}});
  for (const std::string &Name : P.AbsorbedPacks)
    AbsorbedPacks.push_back(Name);
  return json::Object{{"version", P.Version},
                      {"pack", P.Number},
                      {"profiles", std::move(Profiles)},
                      {"records", std::move(Records)},
                      {"absorbed_records", std::move(AbsorbedRecords)},
                      {"absorbed_packs", std::move(AbsorbedPacks)}};
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
      !O.map("records", P.Records) ||
      !O.map("absorbed_records", P.AbsorbedRecords) ||
      !O.map("absorbed_packs", P.AbsorbedPacks))
    return false;
  if (!numberOf(std::to_string(P.Number))) {
    Path.field("pack").report("not a pack number");
    return false;
  }
  // What a pack says it replaced is removed by the next compactor: it
  // must be consistent with what the pack holds, or the pack is damaged.
  for (const std::string &Name : P.AbsorbedPacks) {
    std::optional<uint64_t> N = packNumberOf(Name);
    if (!N || !StringRef(Name).ends_with(".pack") || *N >= P.Number) {
      Path.field("absorbed_packs").report("not the name of an earlier pack");
      return false;
    }
  }
  std::set<std::pair<std::string, int64_t>> Carried;
  bool AnyProfile = false;
  for (const NamedRecord<FlushRecord> &R : P.Records) {
    if (!Carried.insert({R.Name, R.Record.Start}).second) {
      Path.field("records").report("a record twice");
      return false;
    }
    AnyProfile |= !R.Record.profiles().empty();
  }
  for (const AbsorbedRecord &A : P.AbsorbedRecords)
    if (!Carried.count({A.Name, A.Start})) {
      Path.field("absorbed_records").report("a record the pack does not carry");
      return false;
    }
  std::set<std::string> Names;
  std::set<std::pair<std::optional<std::string>, std::string>> Sums;
  for (const PackProfile &PP : P.Profiles)
    if (packNumberOf(PP.Profile) != P.Number ||
        !StringRef(PP.Profile).ends_with(".profraw") ||
        !Names.insert(PP.Profile).second ||
        !Sums.insert({PP.Label, PP.Layout}).second) {
      Path.field("profiles")
          .report("a profile of another pack, or one label and binary twice");
      return false;
    }
  if (AnyProfile && P.Profiles.empty()) {
    Path.field("profiles").report("none, for records that have profiles");
    return false;
  }
  return true;
}

Expected<Pack> readPackFile(StringRef Path) {
  Expected<std::string> Bytes = readProtocolFile(Path, MaxPackFile);
  if (!Bytes)
    return Bytes.takeError();
  Expected<Pack> P = parseRecord<Pack>(*Bytes);
  if (!P)
    return createFileError(Path, P.takeError());
  return P;
}

} // namespace covlock
