//===- CovDBTest.cpp - Writing, reading and merging covdbs ----------------===//

#include "covlock/CovDB/CovDB.h"
#include "CovDBTestUtil.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/CovDB/Encoding.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"
#include <sqlite3.h>

using namespace llvm;
using namespace covlock;
using namespace covlock::testutil;

namespace {

#define ASSERT_OK(E)                                                           \
  if (!(E))                                                                    \
  FAIL() << toString((E).takeError())
#define ASSERT_NO_ERR(E)                                                       \
  if (Error Err_ = (E))                                                        \
  FAIL() << toString(std::move(Err_))

const char *Program = R"(#include <stdlib.h>
#include <string.h>
static int a(int x) {
  if (x > 3)
    return x * 2;
  return x;
}
static int b(int x) {
  int s = 0;
  for (int i = 0; i < x; ++i)
    s += i;
  return s;
}
int main(int argc, char **argv) {
  int r = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "a"))
      r += a(i);
    else if (!strcmp(argv[i], "b"))
      r += b(i + 3);
  }
  return r & 0;
}
)";

struct Fixture {
  TempDir Dir;
  std::string Bin;
  std::vector<std::string> Profiles;
  MergeResult MR;
};

void build(Fixture &F) {
  F.Bin = compile(F.Dir, "prog", "c", Program);
  ASSERT_FALSE(F.Bin.empty());
  F.Profiles =
      runTests(F.Dir, F.Bin, {{"a"}, {"b"}, {"a", "a", "a", "a", "a"}, {}});
  auto MR = mergeRaw(F.Bin, F.Profiles, "linux");
  ASSERT_OK(MR);
  F.MR = std::move(*MR);
}

std::string showCounts(const std::string &Profile) {
  std::string Out;
  run({llvmTool("llvm-profdata"), "show", "--all-functions", "--counts",
       Profile},
      {}, &Out);
  return Out;
}

TEST(CovDBTest, WriteQueryExport) {
  Fixture F;
  build(F);
  if (HasFatalFailure())
    return;
  std::string Out = F.Dir.file("x.covdb");
  ASSERT_NO_ERR(writeCovDB(F.MR, {}, Out, {}));
  EXPECT_FALSE(sys::fs::exists(Out + ".tmp-" + std::to_string(getpid())));
  auto DB = CovDB::open(Out);
  ASSERT_OK(DB);

  LcovLines Oracle = llvmCovLines(F.Dir, F.Bin, F.Profiles);
  ASSERT_EQ(Oracle.size(), 1u);
  const auto &[Source, OracleLines] = *Oracle.begin();
  unsigned Exec = OracleLines.size(), Cov = 0;
  for (auto &KV : OracleLines)
    Cov += KV.second != 0;

  auto Label = (*DB)->findLabel("linux");
  ASSERT_OK(Label);
  auto Sum = (*DB)->fileSummaries(Label->Id);
  ASSERT_OK(Sum);
  ASSERT_EQ(Sum->size(), 1u);
  EXPECT_EQ((*Sum)[0].Path, Source);
  EXPECT_EQ((*Sum)[0].Lines, Exec);
  EXPECT_EQ((*Sum)[0].CoveredLines, Cov);
  EXPECT_GT((*Sum)[0].Regions, 0u);

  // Union of the tests' lines against llvm-cov; each test's exported
  // profile against llvm-profdata and llvm-cov on its own profile.
  auto Contexts = (*DB)->contexts(std::nullopt, std::nullopt);
  ASSERT_OK(Contexts);
  ASSERT_EQ(Contexts->size(), 4u);
  std::set<unsigned> Union;
  for (size_t I = 0; I != Contexts->size(); ++I) {
    const CovDB::ContextInfo &C = (*Contexts)[I];
    EXPECT_EQ(C.Test, "t" + std::to_string(I));
    auto Lines = (*DB)->coveredLines(C.Id);
    ASSERT_OK(Lines);
    std::set<unsigned> Mine;
    for (auto &FL : *Lines)
      Mine.insert(FL.Lines.begin(), FL.Lines.end());
    Union.insert(Mine.begin(), Mine.end());
    EXPECT_EQ(C.LinesCovered, Mine.size());

    auto Prof = (*DB)->contextProfile(C.Id);
    ASSERT_OK(Prof);
    std::string Path = F.Dir.file("t" + std::to_string(I) + ".profdata");
    {
      std::error_code EC;
      raw_fd_ostream OS(Path, EC);
      OS << *Prof;
    }
    std::string Ref = F.Dir.file("ref.profdata");
    run({llvmTool("llvm-profdata"), "merge", "-o", Ref, F.Profiles[I]});
    EXPECT_EQ(showCounts(Path), showCounts(Ref)) << "test " << I;
    std::set<unsigned> Expected;
    for (auto &[File, Ls] : llvmCovLines(F.Dir, F.Bin, {F.Profiles[I]}))
      for (auto &[Line, Count] : Ls)
        if (Count)
          Expected.insert(Line);
    EXPECT_EQ(Mine, Expected) << "test " << I;
  }
  std::set<unsigned> Expected;
  for (auto &[Line, Count] : OracleLines)
    if (Count)
      Expected.insert(Line);
  EXPECT_EQ(Union, Expected);

  // The label's aggregate profile is llvm-profdata merge of everything.
  auto Agg = (*DB)->labelProfile(Label->Id);
  ASSERT_OK(Agg);
  {
    std::error_code EC;
    raw_fd_ostream OS(F.Dir.file("agg.profdata"), EC);
    OS << *Agg;
  }
  std::vector<std::string> Merge = {llvmTool("llvm-profdata"), "merge", "-o",
                                    F.Dir.file("all.profdata")};
  Merge.insert(Merge.end(), F.Profiles.begin(), F.Profiles.end());
  run(Merge);
  EXPECT_EQ(showCounts(F.Dir.file("agg.profdata")),
            showCounts(F.Dir.file("all.profdata")));

  // who: line 5 ("return x * 2;") only in t2 (a called with i = 1..5).
  auto File = (*DB)->resolveFile("prog.c");
  ASSERT_OK(File);
  auto Who = (*DB)->whoCovers(File->first, 5);
  ASSERT_OK(Who);
  ASSERT_EQ(Who->size(), 1u);
  EXPECT_EQ((*Who)[0].Test, "t2");
  auto Missing = (*DB)->resolveFile("nope.c");
  EXPECT_FALSE(!!Missing);
  consumeError(Missing.takeError());
}

TEST(CovDBTest, UnionOfDatabases) {
  Fixture F;
  build(F);
  if (HasFatalFailure())
    return;
  // Test ends, different in each context: stored, and added up when
  // databases combine a context.
  for (size_t I = 0; I != F.MR.Contexts.size(); ++I) {
    TestOutcomes &O = F.MR.Contexts[I].Outcomes;
    for (size_t N = 0; N != I; ++N)
      O.add(0);
    O.add(I % 2 ? 3 : 2);
  }
  MergeResult A = F.MR, B = F.MR;
  A.Contexts.erase(A.Contexts.begin() + 2, A.Contexts.end());
  B.Contexts.erase(B.Contexts.begin(), B.Contexts.begin() + 2);
  std::string All = F.Dir.file("all.covdb"), PA = F.Dir.file("a.covdb"),
              PB = F.Dir.file("b.covdb"), U = F.Dir.file("u.covdb");
  ASSERT_NO_ERR(writeCovDB(F.MR, {}, All, {}));
  ASSERT_NO_ERR(writeCovDB(A, {}, PA, {}));
  ASSERT_NO_ERR(writeCovDB(B, {}, PB, {}));
  ASSERT_NO_ERR(writeCovDB(MergeResult(), {PA, PB}, U, {}));

  auto DAll = CovDB::open(All), DU = CovDB::open(U);
  ASSERT_OK(DAll);
  ASSERT_OK(DU);
  auto SAll = (*DAll)->fileSummaries(std::nullopt);
  auto SU = (*DU)->fileSummaries(std::nullopt);
  ASSERT_OK(SAll);
  ASSERT_OK(SU);
  ASSERT_EQ(SAll->size(), SU->size());
  for (size_t I = 0; I != SAll->size(); ++I) {
    EXPECT_EQ((*SAll)[I].Path, (*SU)[I].Path);
    EXPECT_EQ((*SAll)[I].Lines, (*SU)[I].Lines);
    EXPECT_EQ((*SAll)[I].CoveredLines, (*SU)[I].CoveredLines);
    EXPECT_EQ((*SAll)[I].Regions, (*SU)[I].Regions);
    EXPECT_EQ((*SAll)[I].CoveredRegions, (*SU)[I].CoveredRegions);
  }
  auto CAll = (*DAll)->contexts(std::nullopt, std::nullopt);
  auto CU = (*DU)->contexts(std::nullopt, std::nullopt);
  ASSERT_OK(CAll);
  ASSERT_OK(CU);
  ASSERT_EQ(CAll->size(), CU->size());
  for (size_t I = 0; I != CAll->size(); ++I) {
    EXPECT_EQ((*CAll)[I].Test, (*CU)[I].Test);
    EXPECT_EQ((*CAll)[I].LinesCovered, (*CU)[I].LinesCovered);
    EXPECT_EQ((*CAll)[I].RegionsCovered, (*CU)[I].RegionsCovered);
    EXPECT_EQ((*CAll)[I].OutcomePass, int64_t(I));
    EXPECT_EQ((*CAll)[I].OutcomeFail, int64_t(I % 2));
    EXPECT_EQ((*CAll)[I].OutcomeSkip, int64_t(1 - I % 2));
    EXPECT_EQ((*CU)[I].OutcomePass, (*CAll)[I].OutcomePass);
    EXPECT_EQ((*CU)[I].OutcomeFail, (*CAll)[I].OutcomeFail);
    EXPECT_EQ((*CU)[I].OutcomeSkip, (*CAll)[I].OutcomeSkip);
    auto P1 = (*DAll)->contextProfile((*CAll)[I].Id);
    auto P2 = (*DU)->contextProfile((*CU)[I].Id);
    ASSERT_OK(P1);
    ASSERT_OK(P2);
    EXPECT_EQ(*P1, *P2);
  }
  auto L1 = (*DAll)->labelProfile(1), L2 = (*DU)->labelProfile(1);
  ASSERT_OK(L1);
  ASSERT_OK(L2);
  EXPECT_EQ(*L1, *L2);

  // The same contexts again (a database merged twice, a re-upload): each
  // is combined with itself, its processes and counts doubled.
  std::string Twice = F.Dir.file("twice.covdb");
  ASSERT_NO_ERR(writeCovDB(A, {PA}, Twice, {}));
  auto DA = CovDB::open(PA), DT = CovDB::open(Twice);
  ASSERT_OK(DA);
  ASSERT_OK(DT);
  auto CA = (*DA)->contexts(std::nullopt, std::nullopt);
  auto CT = (*DT)->contexts(std::nullopt, std::nullopt);
  ASSERT_OK(CA);
  ASSERT_OK(CT);
  ASSERT_EQ(CA->size(), CT->size());
  for (size_t I = 0; I != CA->size(); ++I) {
    EXPECT_EQ((*CT)[I].Test, (*CA)[I].Test);
    EXPECT_EQ((*CT)[I].Processes, 2 * (*CA)[I].Processes);
    EXPECT_EQ((*CT)[I].OutcomePass, 2 * (*CA)[I].OutcomePass);
    EXPECT_EQ((*CT)[I].OutcomeFail, 2 * (*CA)[I].OutcomeFail);
    EXPECT_EQ((*CT)[I].OutcomeSkip, 2 * (*CA)[I].OutcomeSkip);
    EXPECT_EQ((*CT)[I].LinesCovered, (*CA)[I].LinesCovered);
  }
  auto Once = (*DA)->labelProfile(1), Doubled = (*DT)->labelProfile(1);
  ASSERT_OK(Once);
  ASSERT_OK(Doubled);
  for (auto [Name, Bytes] : {std::pair{"once.profdata", &*Once},
                             std::pair{"doubled.profdata", &*Doubled}}) {
    std::error_code EC;
    raw_fd_ostream OS(F.Dir.file(Name), EC);
    OS << *Bytes;
  }
  run({llvmTool("llvm-profdata"), "merge", "-o", F.Dir.file("w.profdata"),
       "--weighted-input=2," + F.Dir.file("once.profdata")});
  EXPECT_EQ(showCounts(F.Dir.file("doubled.profdata")),
            showCounts(F.Dir.file("w.profdata")));
}

TEST(CovDBTest, BuilderStreamsContextsInAnyOrder) {
  Fixture F;
  build(F);
  if (HasFatalFailure())
    return;
  std::string A = F.Dir.file("a.covdb"), B = F.Dir.file("b.covdb");
  ASSERT_NO_ERR(writeCovDB(F.MR, {}, A, {}));
  for (unsigned Threads : {1u, 2u}) {
    CovDBWriteOptions O;
    O.Threads = Threads;
    CovDBBuilder Builder(O);
    auto Index = Builder.addBinary(F.MR.Binaries[0]);
    ASSERT_OK(Index);
    EXPECT_EQ(*Index, 0u);
    for (size_t I = F.MR.Contexts.size(); I-- > 0;)
      Builder.addContext(F.MR.Contexts[I]);
    ASSERT_NO_ERR(Builder.finish({}, B));
    auto BA = MemoryBuffer::getFile(A), BB = MemoryBuffer::getFile(B);
    ASSERT_TRUE(BA && BB);
    EXPECT_TRUE((*BA)->getBuffer() == (*BB)->getBuffer())
        << "threads " << Threads;
  }
}

TEST(CovDBTest, SparseContextsGiveTheSameDatabase) {
  Fixture F;
  build(F);
  if (HasFatalFailure())
    return;
  MergeResult Sparse = F.MR;
  for (Context &C : Sparse.Contexts)
    for (ContextProfile &P : C.Profiles) {
      P.Sparse = true;
      for (size_t I = 0; I != P.Counters.size(); ++I)
        if (P.Counters[I]) {
          P.NonZero.push_back(I);
          P.NonZeroCounts.push_back(P.Counters[I]);
        }
      P.Counters.clear();
    }
  std::string A = F.Dir.file("dense.covdb"), B = F.Dir.file("sparse.covdb");
  ASSERT_NO_ERR(writeCovDB(F.MR, {}, A, {}));
  ASSERT_NO_ERR(writeCovDB(Sparse, {}, B, {}));
  auto BA = MemoryBuffer::getFile(A), BB = MemoryBuffer::getFile(B);
  ASSERT_TRUE(BA && BB);
  EXPECT_TRUE((*BA)->getBuffer() == (*BB)->getBuffer());

  // Out-of-order or out-of-range indices are an error, not a crash.
  Sparse.Contexts[0].Profiles[0].NonZero.push_back(1u << 30);
  Sparse.Contexts[0].Profiles[0].NonZeroCounts.push_back(1);
  Error E = writeCovDB(Sparse, {}, F.Dir.file("bad.covdb"), {});
  ASSERT_TRUE(!!E);
  EXPECT_NE(toString(std::move(E)).find("profile layout"), std::string::npos);
}

TEST(CovDBTest, BadDatabasesAreErrorsNamingTheFile) {
  TempDir Dir;
  auto Write = [&](StringRef Name, StringRef Bytes) {
    std::string P = Dir.file(Name);
    std::error_code EC;
    raw_fd_ostream OS(P, EC);
    OS << Bytes;
    return P;
  };
  std::string Garbage = Write("garbage.covdb", std::string(5000, 'x'));
  std::string Empty = Write("empty.covdb", "");
  std::string Good = Dir.file("good.covdb");
  ASSERT_NO_ERR(writeCovDB(MergeResult(), {}, Good, {}));
  std::string Wrong = Dir.file("wrong.covdb");
  sys::fs::copy_file(Good, Wrong);
  {
    sqlite3 *H;
    sqlite3_open(Wrong.c_str(), &H);
    sqlite3_exec(H, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(H);
  }
  // Truncated in the middle of its pages.
  std::string Cut = Dir.file("cut.covdb");
  {
    Fixture F;
    build(F);
    if (HasFatalFailure())
      return;
    std::string Full = F.Dir.file("full.covdb");
    ASSERT_NO_ERR(writeCovDB(F.MR, {}, Full, {}));
    auto Buf = MemoryBuffer::getFile(Full);
    ASSERT_TRUE(!!Buf);
    Write("cut.covdb",
          (*Buf)->getBuffer().take_front((*Buf)->getBufferSize() / 2));
  }
  for (const std::string &P :
       {Garbage, Empty, Wrong, Cut, Dir.file("missing.covdb")}) {
    auto DB = CovDB::open(P);
    Error E = DB ? writeCovDB(MergeResult(), {P}, Dir.file("o.covdb"), {})
                 : DB.takeError();
    ASSERT_TRUE(!!E) << P;
    std::string Msg = toString(std::move(E));
    EXPECT_NE(Msg.find(P), std::string::npos) << Msg;
  }
  auto W = CovDB::open(Wrong);
  ASSERT_FALSE(!!W);
  EXPECT_NE(toString(W.takeError()).find("version 99"), std::string::npos);
}

TEST(CovDBTest, Encodings) {
  std::vector<uint32_t> Lines = {0, 1, 7, 8, 39, 100, 1000, 100000, 100001};
  std::string B = covdb::encodeBitmap(Lines);
  EXPECT_EQ(covdb::decodeBitmapChecked(B), Lines);
  EXPECT_LT(B.size(), 30u);
  EXPECT_EQ(covdb::encodeBitmap({}), "");
  EXPECT_EQ(covdb::countBits(B), Lines.size());
  for (uint32_t N = 0; N != 100010; ++N)
    ASSERT_EQ(covdb::testBit(B, N), llvm::is_contained(Lines, N)) << N;
  // Gaps of every size around the four-zero-byte threshold.
  for (uint32_t Gap = 1; Gap != 80; ++Gap) {
    std::vector<uint32_t> V = {3, 3 + Gap, 3 + 2 * Gap + 5};
    EXPECT_EQ(covdb::decodeBitmapChecked(covdb::encodeBitmap(V)), V) << Gap;
  }
  EXPECT_FALSE(covdb::decodeBitmapChecked("\x01\x05\x01").has_value());
  std::vector<RegionSpan> R = {{1, 2, 3, 4}, {1, 5, 1, 9}, {10, 1, 12, 2}};
  auto D = covdb::decodeRegions(covdb::encodeRegions(R));
  ASSERT_OK(D);
  EXPECT_TRUE(*D == R);
  EXPECT_FALSE(!!covdb::decodeRegions("\x05\x01"));
}

} // namespace
