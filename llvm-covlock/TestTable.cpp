//===- TestTable.cpp - Per-test process counts, as a table ----------------===//
//
// The table `status` prints and `run --tests` appends to its summary: one
// row per test key of a coverage directory, then the total; per row its
// process counts and the outcome of its test ends.
//
//===----------------------------------------------------------------------===//

#include "CovlockTool.h"
#include "covlock/Protocol/Directory.h"
#include "covlock/Protocol/TestIdentity.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstring>
#include <tuple>
#include <vector>

using namespace llvm;
using namespace covlock;

bool covlock::tool::knowsTestId(const TestIdentity &Id) {
  return Id.Source != TestIdSource::Outside &&
         Id.Source != TestIdSource::Unknown;
}

static std::string testName(const TestSummary &T) {
  if (T.Identity.Source == TestIdSource::Outside)
    return "(outside tests)";
  if (!tool::knowsTestId(T.Identity))
    return "(unknown id, key " + T.Key + ")";
  return tool::testColumn(*T.Identity.Id);
}

/// The order of llvm-covmerge's reports: outside tests first, then the
/// tests by id, then keys whose id is unknown.
static std::vector<const TestSummary *> rowOrder(const DirectorySummary &Sum) {
  std::vector<const TestSummary *> Rows;
  for (const TestSummary &T : Sum.Tests)
    Rows.push_back(&T);
  // Keys are unique: the order is total.
  auto Rank = [](const TestSummary *T) {
    bool Known = tool::knowsTestId(T->Identity);
    int Group = T->Identity.Source == TestIdSource::Outside ? 0 : Known ? 1 : 2;
    return std::make_tuple(Group, Known ? StringRef(*T->Identity.Id) : "",
                           StringRef(T->Key));
  };
  llvm::sort(Rows, [&](const TestSummary *A, const TestSummary *B) {
    return Rank(A) < Rank(B);
  });
  return Rows;
}

void covlock::tool::printTestTable(raw_ostream &OS,
                                   const DirectorySummary &Sum) {
  static const char *const Headers[] = {
      "processes", "flushed", "lost", "failed", "running", "stock", "bytes"};
  auto Values = [](const ProcessCounts &C) {
    return std::array<uint64_t, 7>{C.Processes, C.Flushed, C.Lost, C.Failed,
                                   C.Running,   C.Stock,   C.Bytes};
  };
  std::array<size_t, 7> Width;
  for (size_t I = 0; I != Width.size(); ++I)
    Width[I] = strlen(Headers[I]);
  auto Widen = [&](const ProcessCounts &C) {
    std::array<uint64_t, 7> V = Values(C);
    for (size_t I = 0; I != V.size(); ++I)
      Width[I] = std::max(Width[I], std::to_string(V[I]).size());
  };
  for (const TestSummary &T : Sum.Tests)
    Widen(T.Counts);
  Widen(Sum.Total);

  // The outcome (a word, left-aligned) comes last, before the test.
  size_t OutcomeWidth = strlen("outcome");
  for (const TestSummary &T : Sum.Tests)
    OutcomeWidth = std::max(OutcomeWidth, T.Outcomes.summary().size());
  OutcomeWidth = std::max(OutcomeWidth, Sum.Outcomes.summary().size());

  for (size_t I = 0; I != Width.size(); ++I)
    OS << right_justify(Headers[I], Width[I]) << "  ";
  OS << left_justify("outcome", OutcomeWidth) << "  test\n";
  auto Row = [&](const ProcessCounts &C, const TestOutcomes &O,
                 StringRef Name) {
    std::array<uint64_t, 7> V = Values(C);
    for (size_t I = 0; I != V.size(); ++I)
      OS << right_justify(std::to_string(V[I]), Width[I]) << "  ";
    OS << left_justify(O.summary(), OutcomeWidth) << "  " << Name << '\n';
  };
  for (const TestSummary *T : rowOrder(Sum))
    Row(T->Counts, T->Outcomes, testName(*T));
  Row(Sum.Total, Sum.Outcomes, "(total)");
}
