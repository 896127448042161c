//===- DatabaseInput.cpp - Adding a covdb's contexts to a model -----------===//
//
// A merge's .covdb inputs, read through the reader's API: their labels'
// files, binaries and contexts join the model as the merge's own do.
// Everything is checked as it is read (bitmaps, region lists, function
// tables, counters against their layouts, references between tables): a
// damaged database is an error naming it, never a crash.
//
//===----------------------------------------------------------------------===//

#include "Model.h"
#include "ProfileBytes.h"
#include "covlock/CovDB/CovDB.h"
#include "covlock/CovDB/CovDBReader.h"
#include "covlock/CovDB/Encoding.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include <set>

using namespace llvm;

namespace covlock {
namespace covdb {

namespace {
/// What one input database maps its ids to.
struct DatabaseIds {
  std::map<int64_t, std::string> Files, Labels;
  std::map<int64_t, unsigned> Binaries; ///< -> Model::Binaries
  std::map<int64_t, size_t> Contexts;   ///< -> Model::Contexts
  std::map<int64_t, int64_t> ContextLabels;
  /// The label's region spans per (label id, file id): what the covered
  /// region bitmaps index.
  std::map<std::pair<int64_t, int64_t>, Spans> Regions;
  bool BadBitmap = false;

  Lines bits(StringRef Blob) {
    std::optional<Lines> V = decodeBitmapChecked(Blob);
    BadBitmap |= !V;
    return V.value_or(Lines());
  }
  /// The spans \p Indices name in \p List (indices past it are dropped).
  Spans spans(const Spans &List, StringRef Indices) {
    Spans V;
    for (uint32_t R : bits(Indices))
      if (R < List.size())
        V.push_back(List[R]);
    return V;
  }
};

} // namespace

/// "<database>: damaged coverage database: <what>".
static Error damaged(const CovDB &DB, const Twine &What) {
  return DB.error("damaged coverage database: " + What);
}
static Error damaged(const CovDB &DB, Error E) {
  return damaged(DB, toString(std::move(E)));
}

/// Binaries; their counts come from their function tables, not from the
/// columns that repeat them.
static Error addBinaries(const CovDB &DB, Model &M, DatabaseIds &Ids) {
  std::set<unsigned> Seen; // a writer stores each binary once
  return DB.forEachBinary([&](const CovDB::BinaryRow &R) -> Error {
    BinaryLayout Layout;
    if (Error E = decodeFunctions(R.Functions, Layout))
      return damaged(DB, std::move(E));
    BinaryModel B;
    B.Path = R.Path.str();
    B.BuildId = R.BuildId.str();
    B.Functions = R.Functions.str();
    B.NumFunctions = Layout.Functions.size();
    B.NumCounters = Layout.NumCounters;
    B.NumBitmapBytes = Layout.NumBitmapBytes;
    unsigned Index = M.addBinary(std::move(B));
    if (!Seen.insert(Index).second)
      return damaged(DB, "two binary rows hold the same binary");
    Ids.Binaries[R.Id] = Index;
    return Error::success();
  });
}

/// Labels with their files' lines and regions.
static Error addLabels(const CovDB &DB, Model &M, DatabaseIds &Ids) {
  auto Labels = DB.labels();
  if (!Labels)
    return Labels.takeError();
  for (const CovDB::Label &L : *Labels) {
    Ids.Labels[L.Id] = M.Label.value_or(L.Name);
    M.Labels[Ids.Labels[L.Id]]; // a label without files still exists
  }
  return DB.forEachLabelFile([&](const CovDB::LabelFileRow &R) -> Error {
    if (!Ids.Labels.count(R.LabelId) || !Ids.Files.count(R.FileId))
      return damaged(DB, "label_file names a missing label or file");
    auto Regions = decodeRegions(R.RegionSpans);
    if (!Regions)
      return damaged(DB, Regions.takeError());
    LabelFile &LF = M.Labels[Ids.Labels[R.LabelId]].Files[Ids.Files[R.FileId]];
    unionInto<uint32_t>(LF.Executable, Ids.bits(R.Executable));
    unionInto<uint32_t>(LF.Covered, Ids.bits(R.Covered));
    unionInto<RegionSpan>(LF.Regions, *Regions);
    unionInto<RegionSpan>(LF.CoveredRegions,
                          Ids.spans(*Regions, R.CoveredRegions));
    Ids.Regions[{R.LabelId, R.FileId}] = std::move(*Regions);
    return Error::success();
  });
}

/// Contexts, with their problems, covered lines and regions, and counters.
static Error addContexts(const CovDB &DB, unsigned InputIndex, Model &M,
                         DatabaseIds &Ids) {
  auto Contexts = DB.contexts(std::nullopt, std::nullopt);
  if (!Contexts)
    return Contexts.takeError();
  for (const CovDB::ContextInfo &CI : *Contexts) {
    if (!Ids.Labels.count(CI.LabelId))
      return damaged(DB, "a context names a missing label");
    if (CI.Processes < 0 || CI.Lost < 0 || CI.Failed < 0 || CI.Unreadable < 0)
      return damaged(DB, "a context with a negative process count");
    if (CI.OutcomePass < 0 || CI.OutcomeFail < 0 || CI.OutcomeSkip < 0)
      return damaged(DB, "a context with a negative count of test ends");
    ContextModel C;
    C.Label = Ids.Labels[CI.LabelId];
    C.Test = CI.Test;
    C.Conf = CI.Conf;
    C.Processes = CI.Processes;
    C.Lost = CI.Lost;
    C.Failed = CI.Failed;
    C.Unreadable = CI.Unreadable;
    C.Outcomes = CI.outcomes();
    C.Source = DB.path().str();
    C.SourceIndex = InputIndex;
    C.SourceLabelId = CI.LabelId;
    Ids.Contexts[CI.Id] = M.Contexts.size();
    Ids.ContextLabels[CI.Id] = CI.LabelId;
    M.Contexts.push_back(std::move(C));
  }
  auto ContextOf = [&](int64_t Id) -> ContextModel * {
    auto It = Ids.Contexts.find(Id);
    return It == Ids.Contexts.end() ? nullptr : &M.Contexts[It->second];
  };

  if (Error E = DB.forEachProblem([&](const CovDB::ProblemRow &R) -> Error {
        ContextModel *C = ContextOf(R.ContextId);
        if (!C)
          return damaged(DB, "a problem names a missing context");
        C->Problems.push_back(R.Problem);
        return Error::success();
      }))
    return E;
  if (Error E = DB.forEachCoverage([&](const CovDB::CoverageRow &R) -> Error {
        ContextModel *C = ContextOf(R.ContextId);
        if (!C || !Ids.Files.count(R.FileId))
          return damaged(DB, "coverage names a missing context or file");
        ContextFile &CF = C->Files[Ids.Files[R.FileId]];
        unionInto<uint32_t>(CF.Covered, Ids.bits(R.Lines));
        const Spans &List =
            Ids.Regions[{Ids.ContextLabels[R.ContextId], R.FileId}];
        unionInto<RegionSpan>(CF.CoveredRegions, Ids.spans(List, R.Regions));
        return Error::success();
      }))
    return E;
  // A context with problems is dubious whatever its row says: what the
  // reports call exact never lost a process.
  for (auto &[Id, Index] : Ids.Contexts) {
    ContextModel &C = M.Contexts[Index];
    if (C.Conf != Confidence::Outside &&
        (C.Lost || C.Failed || C.Unreadable || !C.Problems.empty()))
      C.Conf = std::max(C.Conf, Confidence::Dubious);
  }
  return DB.forEachProfile([&](const CovDB::ProfileRow &R) -> Error {
    ContextModel *C = ContextOf(R.ContextId);
    auto B = Ids.Binaries.find(R.BinaryId);
    if (!C || B == Ids.Binaries.end())
      return damaged(DB, "a profile names a missing context or binary");
    C->Profiles.push_back({B->second, R.Counters.str()});
    return Error::success();
  });
}

/// Adds each label's aggregate profile to its (possibly renamed) label in
/// \p M: CovDB::labelProfile, summed from the contexts' counters by the
/// covdb's own bounded decoders, never the stored label profile (an
/// indexed profile, whose offsets and hash tables LLVM's reader trusts).
static Error addLabelAggregates(const CovDB &DB, Model &M,
                                const DatabaseIds &Ids) {
  for (const auto &[Id, Name] : Ids.Labels) {
    Expected<std::string> Profile = DB.labelProfile(Id);
    if (!Profile)
      return Profile.takeError();
    M.Labels[Name].Profiles.push_back(std::move(*Profile));
  }
  return Error::success();
}

Error addDatabase(StringRef Path, unsigned InputIndex, Model &M) {
  auto Opened = CovDB::open(Path);
  if (!Opened)
    return Opened.takeError();
  const CovDB &DB = **Opened;
  if (!M.LineSemantics.empty()) {
    auto Semantics = DB.meta("line_semantics");
    if (!Semantics)
      return Semantics.takeError();
    if (*Semantics != M.LineSemantics) {
      if (!lineRulesNamed(*Semantics))
        return damaged(DB, "unknown line rules (meta.line_semantics)");
      return DB.error("written with " + *Semantics +
                      " line rules; this merge uses " + M.LineSemantics +
                      " (--line-rules)");
    }
  }
  DatabaseIds Ids;
  auto Files = DB.files();
  if (!Files)
    return Files.takeError();
  Ids.Files = std::move(*Files);
  for (auto &KV : Ids.Files)
    KV.second = M.Paths.map(KV.second);
  if (Error E = addBinaries(DB, M, Ids))
    return E;
  if (Error E = addLabels(DB, M, Ids))
    return E;
  if (Error E = addContexts(DB, InputIndex, M, Ids))
    return E;
  if (Ids.BadBitmap)
    return damaged(DB, "malformed bitmap blob");
  return addLabelAggregates(DB, M, Ids);
}

} // namespace covdb

Error addDatabaseAggregates(
    StringRef Path,
    std::map<std::string, std::unique_ptr<InstrProfWriter>> &Profiles,
    const std::optional<std::string> &Label) {
  // The whole database is read, and so checked, as a merge into -o would.
  covdb::Model M;
  M.Label = Label;
  if (Error E = covdb::addDatabase(Path, 1, M))
    return E;
  for (auto &[Name, L] : M.Labels) {
    std::unique_ptr<InstrProfWriter> &W = Profiles[Name];
    if (!W) {
      W = std::make_unique<InstrProfWriter>();
      if (Error E = W->mergeProfileKind(InstrProfKind::FrontendInstrumentation))
        return E;
    }
    for (const std::string &P : L.Profiles)
      if (Error E = addOwnIndexedProfile(*W, P))
        return createFileError(Path, std::move(E));
  }
  return Error::success();
}

} // namespace covlock
