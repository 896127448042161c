//===- covlock/Protocol/TestIdentity.h - Which test a file belongs to -----===//
//
// The one rule (docs/protocol.md, "Test identity") by which every reader
// decides the test of a process file: a record, a boot marker, a stock or
// orphan profile, or a file that cannot be parsed. The key directory is the
// grouping, so all files of one DIR/<test-key>/ belong to one test; the rule
// only decides which of the places that name the id is exact.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_PROTOCOL_TESTIDENTITY_H
#define COVLOCK_PROTOCOL_TESTIDENTITY_H

#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>

namespace covlock {

struct TestDirectory;

/// Where a test directory's id was taken from.
enum class TestIdSource {
  Outside, ///< The key "_outside": no test.
  Key,     ///< The key, decoded: it was not cut.
  Hex,     ///< A cut key: `test_hex` of a record or marker in its directory.
  Text,    ///< A cut key: `test` of a record or marker (writers without
           ///< `test_hex`).
  Unknown, ///< A cut key that nothing in its directory names: the key itself
           ///< stands for the id.
};

/// The test of every file in one key directory.
struct TestIdentity {
  /// The id's bytes; for TestIdSource::Unknown, the key. std::nullopt only
  /// outside any test.
  std::optional<std::string> Id;
  TestIdSource Source = TestIdSource::Outside;
  /// Whether Id is the id byte for byte: decoded from an uncut key, or taken
  /// from a record or marker and encoding to exactly this key.
  bool Exact = false;
};

/// The test identity of the files of \p TD: the decoded key when the key was
/// not cut; otherwise the first `test_hex`, then the first `test`, of its
/// records and then its markers (each in name order) that encodes to the key;
/// otherwise the first that does not; otherwise the key itself.
TestIdentity identifyTest(const TestDirectory &TD);

/// \p Id as a readable string: itself if it is valid UTF-8, else with
/// invalid bytes replaced by U+FFFD (as the `test` of records).
std::string readableTestId(llvm::StringRef Id);

/// \p Id's bytes in lower-case hex (as the `test_hex` of records).
std::string testIdHex(llvm::StringRef Id);

} // namespace covlock

#endif // COVLOCK_PROTOCOL_TESTIDENTITY_H
