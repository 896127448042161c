//===- TestIdentityTest.cpp - which test a process file belongs to --------===//
//
// identifyTest(): the decoded key unless it was cut; for a cut key the
// test_hex, then the test, of the directory's records and then markers.
//
//===----------------------------------------------------------------------===//

#include "covlock/Protocol/TestIdentity.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/Testing/Support/Error.h"
#include "gtest/gtest.h"

using namespace covlock;
using namespace llvm;

namespace {

FlushRecord record(std::optional<std::string> Test,
                   std::optional<std::string> Hex) {
  FlushRecord R;
  R.Test = std::move(Test);
  R.TestHex = std::move(Hex);
  return R;
}

BootMarker marker(std::optional<std::string> Test,
                  std::optional<std::string> Hex) {
  BootMarker M;
  M.Test = std::move(Test);
  M.TestHex = std::move(Hex);
  return M;
}

const std::string Lossy = "bad\xef\xbf\xbd\xef\xbf\xbdutf8"; // U+FFFD twice
const std::string Exact = "bad\xff\xfeutf8";

TEST(TestIdentity, OutsideAnyTest) {
  TestDirectory TD;
  TD.Key = OutsideKey.str();
  TD.Records.push_back({"h.1.0.json", record(std::nullopt, std::nullopt)});
  TestIdentity I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Outside);
  EXPECT_EQ(I.Id, std::nullopt);
}

TEST(TestIdentity, AnUncutKeyIsTheId) {
  // The marker's lossy test, which an old runtime wrote without test_hex,
  // does not make a second test.
  TestDirectory TD;
  TD.Key = encodeTestKey(Exact);
  TD.Markers.push_back({"h.2.boot", marker(Lossy, std::nullopt)});
  TD.Records.push_back({"h.1.0.json", record(Lossy, testIdHex(Exact))});
  TestIdentity I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Key);
  EXPECT_TRUE(I.Exact);
  EXPECT_EQ(I.Id, Exact);
  // Even with nothing in the directory (stock profiles only).
  TD.Records.clear();
  TD.Markers.clear();
  EXPECT_EQ(identifyTest(TD).Id, Exact);
}

TEST(TestIdentity, ACutKeyTakesTheHexOfAMarker) {
  const std::string Id(4000, '\x01');
  TestDirectory TD;
  TD.Key = encodeTestKey(Id);
  ASSERT_EQ(decodeTestKey(TD.Key), std::nullopt);
  TD.Markers.push_back({"h.7.boot", marker(std::nullopt, testIdHex(Id))});
  TestIdentity I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Hex);
  EXPECT_TRUE(I.Exact);
  EXPECT_EQ(I.Id, Id);
}

TEST(TestIdentity, ACutKeyPrefersHexAndWhatEncodesToIt) {
  const std::string Id = std::string(100, '\xff') + "x";
  TestDirectory TD;
  TD.Key = encodeTestKey(Id);
  // A lossy test first, a test_hex of another id, then the right test_hex.
  TD.Records.push_back(
      {"h.1.0.json", record(readableTestId(Id), std::nullopt)});
  TD.Records.push_back({"h.2.0.json", record(std::nullopt, "ff")});
  TD.Markers.push_back({"h.3.boot", marker(std::nullopt, testIdHex(Id))});
  TestIdentity I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Hex);
  EXPECT_TRUE(I.Exact);
  EXPECT_EQ(I.Id, Id);
}

TEST(TestIdentity, ACutKeyFallsBackToTheText) {
  const std::string Id = std::string(100, '\xff');
  TestDirectory TD;
  TD.Key = encodeTestKey(Id);
  TD.Markers.push_back({"h.3.boot", marker(readableTestId(Id), "not hex")});
  TestIdentity I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Text);
  EXPECT_FALSE(I.Exact); // U+FFFD does not encode to the key
  EXPECT_EQ(I.Id, readableTestId(Id));

  // A valid UTF-8 id's test is exact: it encodes to the key.
  const std::string Long(300, 'y');
  TD.Key = encodeTestKey(Long);
  TD.Markers = {{"h.3.boot", marker(Long, std::nullopt)}};
  I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Text);
  EXPECT_TRUE(I.Exact);
  EXPECT_EQ(I.Id, Long);
}

TEST(TestIdentity, ACutKeyNobodyNamesIsTheKey) {
  TestDirectory TD;
  TD.Key = encodeTestKey(std::string(300, '/'));
  TestIdentity I = identifyTest(TD);
  EXPECT_EQ(I.Source, TestIdSource::Unknown);
  EXPECT_FALSE(I.Exact);
  EXPECT_EQ(I.Id, TD.Key);
}

TEST(TestIdentity, MarkersCarryTestHex) {
  Expected<BootMarker> M = parseRecord<BootMarker>(
      R"({"version":1,"test":"bad\ufffd\ufffdutf8","test_hex":"626164fffe75746638",)"
      R"("host":"h","pid":7,"start":100})");
  ASSERT_THAT_EXPECTED(M, Succeeded());
  EXPECT_EQ(M->Test, Lossy);
  EXPECT_EQ(M->TestHex, testIdHex(Exact));
  Expected<BootMarker> Again =
      parseRecord<BootMarker>(formatv("{0}", toJSON(*M)).str());
  ASSERT_THAT_EXPECTED(Again, Succeeded());
  EXPECT_EQ(Again->TestHex, M->TestHex);
  EXPECT_THAT_EXPECTED(
      parseRecord<BootMarker>(R"({"version":1,"test_hex":7,)"
                              R"("host":"h","pid":7,"start":1})"),
      Failed());
}

} // namespace
