//===- TestIdentity.cpp - Which test a file belongs to --------------------===//

#include "covlock/Protocol/TestIdentity.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

using namespace llvm;

namespace covlock {

namespace {
/// One place in a directory that names the id, and how good it is.
struct Candidate {
  std::string Id;
  TestIdSource Source;
  bool MatchesKey;
};
} // namespace

/// The exact bytes of a `test_hex`, if it is well-formed and not empty.
static std::optional<std::string> fromTestHex(StringRef Hex) {
  std::string Bytes;
  if (Hex.empty() || !all_of(Hex, isHexDigit) || !tryGetFromHex(Hex, Bytes))
    return std::nullopt;
  return Bytes;
}

/// What the records, then the markers, of \p TD say, in that order.
static std::vector<Candidate> collectCandidates(const TestDirectory &TD) {
  std::vector<Candidate> Hex, Text;
  auto Add = [&](const std::optional<std::string> &TestHex,
                 const std::optional<std::string> &Test) {
    if (TestHex)
      if (std::optional<std::string> Bytes = fromTestHex(*TestHex))
        Hex.push_back(
            {*Bytes, TestIdSource::Hex, encodeTestKey(*Bytes) == TD.Key});
    if (Test && !Test->empty())
      Text.push_back(
          {*Test, TestIdSource::Text, encodeTestKey(*Test) == TD.Key});
  };
  for (const NamedRecord<FlushRecord> &R : TD.Records)
    Add(R.Record.TestHex, R.Record.Test);
  for (const NamedRecord<BootMarker> &M : TD.Markers)
    Add(M.Record.TestHex, M.Record.Test);
  Hex.insert(Hex.end(), Text.begin(), Text.end());
  return Hex;
}

TestIdentity identifyTest(const TestDirectory &TD) {
  TestIdentity Result;
  if (TD.Key == OutsideKey)
    return Result;
  if (std::optional<std::string> Decoded = decodeTestKey(TD.Key)) {
    Result.Id = std::move(Decoded);
    Result.Source = TestIdSource::Key;
    Result.Exact = true;
    return Result;
  }
  // A cut key (or a name that is no key at all): hex before text, and what
  // encodes to this very key before what does not.
  std::vector<Candidate> Candidates = collectCandidates(TD);
  if (Candidates.empty()) {
    Result.Id = TD.Key;
    Result.Source = TestIdSource::Unknown;
    return Result;
  }
  auto Match = llvm::find_if(Candidates,
                             [](const Candidate &C) { return C.MatchesKey; });
  Candidate &C = Match != Candidates.end() ? *Match : Candidates.front();
  Result.Id = std::move(C.Id);
  Result.Source = C.Source;
  Result.Exact = C.MatchesKey;
  return Result;
}

std::string readableTestId(StringRef Id) {
  if (json::isUTF8(Id))
    return Id.str();
  return json::fixUTF8(Id);
}

std::string testIdHex(StringRef Id) { return toHex(Id, /*LowerCase=*/true); }

} // namespace covlock
