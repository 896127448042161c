//===- MappingPackTest.cpp - The packed mapping gives back LLVM's records -===//
//
// lib/Attribution keeps a binary's coverage mapping packed, in half the
// size of LLVM's records. What it hands LLVM to replay is unpacked, and
// must be exactly what LLVM's reader gave: every kind of region (code,
// expansion, skipped, gap, branch, MC/DC), every field.
//
//===----------------------------------------------------------------------===//

#include "../lib/Attribution/BinaryCoverageImpl.h"
#include "CovDBTestUtil.h"
#include "llvm/ProfileData/Coverage/CoverageMappingReader.h"
#include "llvm/Support/MemoryBuffer.h"
#include "gtest/gtest.h"

using namespace llvm;
using namespace llvm::coverage;
using namespace covlock;
using namespace covlock::testutil;

namespace {

const char *Program = R"(#include <stdlib.h>
#define BOTH(a, b) ((a) && (b))
#define TWICE(e) ((e) + (e))
static int decide(int a, int b, int c) {
  if ((a > 0 && b > 0) || c > 0)
    return 1;
  return BOTH(a, c) ? 2 : 3;
}
static int twice(int x) {
#if 0
  never();
#endif
  if (x < 0)
    return -1;
  return TWICE(x);
}
int main(int argc, char **argv) {
  int r = 0;
  for (int i = 1; i < argc; ++i)
    r += decide(atoi(argv[i]), i, argc - i) + twice(i);
  return r & 0;
}
)";

/// MC/DC parameters as a comparable tuple: (kind, index or id, conditions).
std::tuple<int, int, int, int> params(const mcdc::Parameters &P) {
  if (const auto *D = std::get_if<mcdc::DecisionParameters>(&P))
    return {1, int(D->BitmapIdx), int(D->NumConditions), 0};
  if (const auto *B = std::get_if<mcdc::BranchParameters>(&P))
    return {2, B->ID, B->Conds[0], B->Conds[1]};
  return {0, 0, 0, 0};
}

struct Counts {
  size_t Records = 0, Regions = 0, Expansions = 0, Branches = 0, MCDC = 0;
};

TEST(MappingPackTest, UnpackedRecordsEqualLlvmReader) {
  TempDir Dir;
  std::string Bin = compile(Dir, "prog", "c", Program, {"-fcoverage-mcdc"});
  ASSERT_FALSE(Bin.empty());

  BinaryCoverage::Impl Packed;
  if (Error E = Packed.decode(Bin))
    FAIL() << toString(std::move(E));

  auto Buf = MemoryBuffer::getFile(Bin);
  ASSERT_TRUE(!!Buf);
  SmallVector<std::unique_ptr<MemoryBuffer>, 4> ObjectBuffers;
  auto Readers = BinaryCoverageReader::create((*Buf)->getMemBufferRef(), "",
                                              ObjectBuffers);
  ASSERT_TRUE(!!Readers) << toString(Readers.takeError());

  Counts Seen;
  for (auto &Reader : *Readers) {
    while (true) {
      CoverageMappingRecord R;
      if (Error E = Reader->readNextRecord(R)) {
        coveragemap_error Code = coveragemap_error::success;
        handleAllErrors(std::move(E),
                        [&](const CoverageMapError &CME) { Code = CME.get(); });
        ASSERT_EQ(Code, coveragemap_error::eof);
        break;
      }
      ASSERT_LT(Seen.Records, Packed.Records.size());
      const attribution::OwnedRecord &O = Packed.Records[Seen.Records++];
      EXPECT_EQ(O.Name.str(), R.FunctionName.str());
      EXPECT_EQ(O.Hash, R.FunctionHash);
      ASSERT_EQ(O.FileIndices.size(), R.Filenames.size());
      for (size_t I = 0; I != R.Filenames.size(); ++I)
        EXPECT_EQ(Packed.Files[O.FileIndices[I]], R.Filenames[I].str());
      ASSERT_EQ(O.Expressions.size(), R.Expressions.size());
      for (size_t I = 0; I != R.Expressions.size(); ++I) {
        EXPECT_EQ(O.Expressions[I].Kind, R.Expressions[I].Kind);
        EXPECT_EQ(O.Expressions[I].LHS.unpack(), R.Expressions[I].LHS);
        EXPECT_EQ(O.Expressions[I].RHS.unpack(), R.Expressions[I].RHS);
      }
      ASSERT_EQ(O.Regions.size(), R.MappingRegions.size())
          << R.FunctionName.str();
      for (size_t I = 0; I != R.MappingRegions.size(); ++I) {
        const CounterMappingRegion &Want = R.MappingRegions[I];
        CounterMappingRegion Got = Packed.unpack(O.Regions[I]);
        SCOPED_TRACE(R.FunctionName.str() + " region " + std::to_string(I));
        EXPECT_EQ(Got.Kind, Want.Kind);
        EXPECT_EQ(Got.Count, Want.Count);
        EXPECT_EQ(Got.FalseCount, Want.FalseCount);
        EXPECT_EQ(Got.FileID, Want.FileID);
        EXPECT_EQ(Got.ExpandedFileID, Want.ExpandedFileID);
        EXPECT_EQ(Got.startLoc(), Want.startLoc());
        EXPECT_EQ(Got.endLoc(), Want.endLoc());
        EXPECT_EQ(params(Got.MCDCParams), params(Want.MCDCParams));
        ++Seen.Regions;
        Seen.Expansions += Want.Kind == CounterMappingRegion::ExpansionRegion;
        Seen.Branches += Want.Kind == CounterMappingRegion::BranchRegion;
        Seen.MCDC += !std::holds_alternative<std::monostate>(Want.MCDCParams);
      }
    }
  }
  EXPECT_EQ(Seen.Records, Packed.Records.size());
  // The program has every kind the packing treats apart.
  EXPECT_GT(Seen.Expansions, 0u);
  EXPECT_GT(Seen.MCDC, 0u);
  EXPECT_GT(Seen.Regions, Seen.Expansions + Seen.MCDC);
}

} // namespace
