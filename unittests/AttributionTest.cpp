//===- AttributionTest.cpp - Per-test lines against llvm-cov --------------===//
//
// The oracles: each test's covered lines equal llvm-cov's on that test's
// profile alone; their union equals llvm-cov's covered lines on the merged
// profile; the label's aggregate gives exactly llvm-cov's executable lines.
//
//===----------------------------------------------------------------------===//

#include "covlock/Attribution/Attribution.h"
#include "CovDBTestUtil.h"
#include "gtest/gtest.h"

using namespace llvm;
using namespace covlock;
using namespace covlock::testutil;

namespace {

const char *CProgram = R"(#include <stdlib.h>
#include <string.h>
#define CHECK(x) do { if (!(x)) return -1; } while (0)
#define TWICE(e) ((e) + (e))
static int unused(int x) { return x * 2; }
static int classify(int x) {
  if (x < 0) return -1; else if (x == 0) return 0;
  switch (x % 3) {
  case 0: x += 1; break;
  case 1: x -= 1;
    /* fallthrough */
  default: x *= 2; break;
  }
  return x > 10 ? 1
                : 2;
}
static int loop(int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) { if (i & 1) continue; s += i; }
  while (n-- > 0)
    s ^= n;
  return s;
}
static int checked(int x) {
  CHECK(x != 7);
  return TWICE(x);
}
int main(int argc, char **argv) {
  int r = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "classify")) r += classify(atoi(argv[++i]));
    else if (!strcmp(argv[i], "loop")) r += loop(atoi(argv[++i]));
    else if (!strcmp(argv[i], "checked")) r += checked(atoi(argv[++i]));
    else if (!strcmp(argv[i], "crash")) abort();
  }
  if (argc > 100) r += unused(r);
  return r & 0;
}
)";

const char *CxxProgram = R"(#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>
#define APPLY(f, v) for (auto &e : v) e = f(e)
template <typename T> T clampTo(T x, T lo, T hi) {
  if (x < lo) return lo;
  if (x > hi)
    return hi;
  return x;
}
template <typename T> struct Box {
  T v;
  T get() const { return v; }
  template <typename F> T map(F f) const { return f(v); }
};
static int lambdas(int n) {
  auto sq = [](int x) { return x * x; };
  auto neg = [](int x) {
    return -x;
  };
  std::vector<int> v(n, 3);
  APPLY(sq, v);
  int s = 0;
  for (int x : v) s += x;
  if (n > 5) s = neg(s);
  std::function<int(int)> later = [&](int k) {
    if (k) return k + s;
    return s; };
  return n > 2 ? later(n) : s;
}
static double templates(int n) {
  Box<int> b{n};
  Box<double> d{n * 0.5};
  double r = clampTo(n, 0, 10) + clampTo(n * 0.5, 0.0, 3.0);
  r += b.map([](int x) { return x + 1; });
  if (n > 1) r += d.get();
  return r;
}
int main(int argc, char **argv) {
  double r = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    int n = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "lambdas")) r += lambdas(n);
    else if (!strcmp(argv[i], "templates")) r += templates(n);
  }
  return r < 0 ? 0 : 0;
}
)";

#define ASSERT_OK(E)                                                           \
  if (!(E))                                                                    \
  FAIL() << toString((E).takeError())

using LineSets = std::map<std::string, std::set<unsigned>>;

void addLines(LineSets &S, const BinaryCoverage &BC, const Attribution &A,
              bool Executable) {
  for (const FileAttribution &F : A.Files) {
    auto &Set = S[BC.files()[F.File]];
    const auto &Lines = Executable ? F.Executable : F.Covered;
    Set.insert(Lines.begin(), Lines.end());
  }
}

LineSets fromLcov(const LcovLines &L, bool Executable) {
  LineSets S;
  for (const auto &[File, Lines] : L)
    for (const auto &[Line, Count] : Lines)
      if (Executable || Count)
        S[File].insert(Line);
  for (auto It = S.begin(); It != S.end();)
    It = It->second.empty() ? S.erase(It) : std::next(It);
  return S;
}

void checkOracle(const char *Name, const char *Ext, const char *Source,
                 const std::vector<std::vector<std::string>> &Tests) {
  TempDir Dir;
  std::string Bin = compile(Dir, Name, Ext, Source);
  ASSERT_FALSE(Bin.empty());
  std::vector<std::string> Profiles = runTests(Dir, Bin, Tests);
  auto MR = mergeRaw(Bin, Profiles, "L");
  ASSERT_OK(MR);
  // llvm-cov's own line rules: the oracle is llvm-cov.
  CoverageOptions Options;
  Options.Rules = LineRules::LLVM;
  auto BC = BinaryCoverage::load(MR->Binaries[0], Options);
  ASSERT_OK(BC);

  LineSets Union;
  std::set<std::pair<unsigned, uint32_t>> UnionRegions;
  std::vector<uint64_t> Sum(MR->Binaries[0].NumCounters);
  for (size_t I = 0; I != MR->Contexts.size(); ++I) {
    const ContextProfile &P = MR->Contexts[I].Profiles[0];
    for (size_t K = 0; K != Sum.size(); ++K)
      Sum[K] += P.Counters[K];
    auto A = (*BC)->attribute(P.Counters, P.Bitmap, {});
    ASSERT_OK(A);
    LineSets Mine;
    addLines(Mine, **BC, *A, false);
    addLines(Union, **BC, *A, false);
    for (const FileAttribution &F : A->Files)
      for (uint32_t R : F.CoveredRegions)
        UnionRegions.insert({F.File, R});
    // Each test alone, against llvm-cov on its profile alone.
    LineSets Expected = fromLcov(llvmCovLines(Dir, Bin, {Profiles[I]}), false);
    EXPECT_EQ(Mine, Expected) << Name << " test " << I;
  }
  LineSets Covered = fromLcov(llvmCovLines(Dir, Bin, Profiles), false);
  LineSets Executable = fromLcov(llvmCovLines(Dir, Bin, Profiles), true);
  EXPECT_EQ(Union, Covered) << Name << ": union of the tests";
  ASSERT_FALSE(Covered.empty());

  AttributeOptions All;
  All.Executable = true;
  auto Agg = (*BC)->attribute(Sum, {}, All);
  ASSERT_OK(Agg);
  LineSets AggExec, AggCovered;
  addLines(AggExec, **BC, *Agg, true);
  addLines(AggCovered, **BC, *Agg, false);
  EXPECT_EQ(AggExec, Executable) << Name << ": executable lines";
  EXPECT_EQ(AggCovered, Covered) << Name << ": aggregate covered lines";
  std::set<std::pair<unsigned, uint32_t>> AggRegions;
  for (const FileAttribution &F : Agg->Files)
    for (uint32_t R : F.CoveredRegions)
      AggRegions.insert({F.File, R});
  EXPECT_EQ(UnionRegions, AggRegions) << Name << ": covered regions";
}

TEST(AttributionTest, CProgramMatchesLlvmCov) {
  checkOracle("cprog", "c", CProgram,
              {{"classify", "3"},
               {"classify", "-4", "loop", "0"},
               {"loop", "5"},
               {"checked", "7"},
               {"checked", "2", "classify", "0"},
               {},
               {"classify", "14"}});
}

TEST(AttributionTest, CxxLambdasTemplatesMacros) {
  checkOracle("cxxprog", "cpp", CxxProgram,
              {{"lambdas", "1"},
               {"lambdas", "7"},
               {"templates", "0"},
               {"templates", "20", "lambdas", "3"},
               {}});
}

TEST(AttributionTest, MissingBinaryIsAnError) {
  BinaryLayout L;
  L.Path = "/nonexistent/covlock-binary";
  auto BC = BinaryCoverage::load(L);
  ASSERT_FALSE(!!BC);
  EXPECT_NE(toString(BC.takeError()).find("/nonexistent/covlock-binary"),
            std::string::npos);
}

} // namespace
