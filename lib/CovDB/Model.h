//===- Model.h - The covdb in memory, before it is written ------*- C++ -*-===//
//
// Private to lib/CovDB. What a database will hold: labels with their files'
// executable and covered lines and regions and their aggregate profile,
// binaries with their function tables, and contexts with their covered
// lines and regions per file and their sparse counters per binary. The
// merge's contexts (Builder.cpp) and the contexts of input databases
// (DatabaseInput.cpp) fill it; TableWriter.cpp writes it.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_COVDB_MODEL_H
#define COVLOCK_LIB_COVDB_MODEL_H

#include "covlock/Attribution/Attribution.h"
#include "covlock/CovDB/CovDB.h"
#include "covlock/CovDB/PathEquivalence.h"
#include "covlock/Merge/Contexts.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace covlock {
namespace covdb {

using Lines = std::vector<uint32_t>;
using Spans = std::vector<RegionSpan>;

/// \p Acc becomes the union of the sorted sets \p Acc and \p More.
template <typename T>
void unionInto(std::vector<T> &Acc, llvm::ArrayRef<T> More) {
  if (More.empty())
    return;
  if (Acc.empty()) {
    Acc.assign(More.begin(), More.end());
    return;
  }
  std::vector<T> Out;
  Out.reserve(Acc.size() + More.size());
  std::set_union(Acc.begin(), Acc.end(), More.begin(), More.end(),
                 std::back_inserter(Out));
  Out.shrink_to_fit();
  Acc = std::move(Out);
}

struct LabelFile {
  Lines Executable, Covered;
  Spans Regions, CoveredRegions;
};

struct LabelModel {
  std::map<std::string, LabelFile> Files;
  /// Indexed profiles (written by this process) whose sum is the label's
  /// aggregate.
  std::vector<std::string> Profiles;
};

struct BinaryModel {
  std::string Path, BuildId, Functions; ///< Functions: encodeFunctions()
  uint64_t NumFunctions = 0, NumCounters = 0, NumBitmapBytes = 0;

  auto key() const { return std::tie(Path, BuildId, Functions); }
};

struct ContextFile {
  Lines Covered;
  Spans CoveredRegions;
  /// Or, when the attribution could already tell the label's region
  /// indices (Builder.cpp, EncodeEarly): the row as written.
  bool Encoded = false;
  uint32_t NumLines = 0, NumRegions = 0;
  std::string LinesBlob, RegionsBlob;
};

struct ContextModel {
  std::string Label;
  std::optional<std::string> Test;
  Confidence Conf = Confidence::Exact;
  uint64_t Processes = 0, Lost = 0, Failed = 0, Unreadable = 0;
  TestOutcomes Outcomes;
  std::vector<MergeProblem> Problems;
  std::map<std::string, ContextFile> Files;
  /// (index into Model::Binaries, sparse counters: encodeSparse())
  std::vector<std::pair<unsigned, std::string>> Profiles;
  std::string Source; ///< where it came from, for errors
  /// Which input it came from: 0 the merge, N the Nth database input (the
  /// same file given twice is two inputs, not a damaged one).
  unsigned SourceIndex = 0;
  /// Its label's id there (two labels of one database may become one
  /// under --label).
  int64_t SourceLabelId = 0;

  bool operator<(const ContextModel &O) const {
    return contextBefore(Label, Test, O.Label, O.Test);
  }
};

struct Model {
  /// Applied to the source paths of every input (CovDBWriteOptions::Paths).
  PathEquivalences Paths;
  /// The label of every input database's contexts, if given
  /// (CovDBWriteOptions::Label).
  std::optional<std::string> Label;
  /// meta.line_semantics of the database written (lineSemanticsName());
  /// input databases must have the same. Empty: not checked.
  std::string LineSemantics;
  std::map<std::string, LabelModel> Labels;
  std::vector<BinaryModel> Binaries;
  std::vector<ContextModel> Contexts;

  /// The index of \p B, added unless an equal binary is there.
  unsigned addBinary(BinaryModel B);
  /// Makes the model what the database holds, whatever the order its
  /// inputs came in: binaries sorted (BinaryModel::key), contexts sorted
  /// and each (label, test) once, equal ones combined (combineContexts).
  /// Two equal contexts of one source are an error: a damaged database.
  llvm::Error canonicalize();
};

/// The layouts of a model's binaries, decoded from their function tables
/// once each, on demand.
class LayoutCache {
public:
  explicit LayoutCache(const Model &M) : M(M) {}
  /// The layout of M.Binaries[\p Binary]; an error if its table is
  /// malformed.
  llvm::Expected<const BinaryLayout *> get(unsigned Binary);

private:
  const Model &M;
  std::map<unsigned, BinaryLayout> Decoded;
};

/// Adds \p From to \p Into, the same (label, test) from another source (a
/// shard, a retry, a database merged twice), so that the result is what
/// one merge of both sources' processes gives: profiles summed, process
/// counts added, problems joined (sorted), covered lines and regions the
/// union, confidence the least confident.
llvm::Error combineContexts(LayoutCache &Layouts, ContextModel &Into,
                            ContextModel &&From);

/// Adds every context, label and binary of the database \p Path, input
/// number \p InputIndex (from 1), to \p M.
llvm::Error addDatabase(llvm::StringRef Path, unsigned InputIndex, Model &M);

/// Adds the databases \p InputDatabases to \p M, canonicalizes it, and
/// writes it to \p OutPath atomically (a temporary file beside it, synced,
/// then renamed over it).
llvm::Error writeModel(Model &M, llvm::ArrayRef<std::string> InputDatabases,
                       llvm::StringRef OutPath);

} // namespace covdb
} // namespace covlock

#endif // COVLOCK_LIB_COVDB_MODEL_H
