//===- Decode.cpp - Read a binary's coverage mapping ----------------------===//
//
// The mapping is decoded once into owned records (the reader's die with
// it), then joined to the profile layout by (name MD5, structural hash).
//
//===----------------------------------------------------------------------===//

#include "BinaryCoverageImpl.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ProfileData/Coverage/CoverageMappingReader.h"
#include "llvm/ProfileData/InstrProf.h"
#include "llvm/Support/MemoryBuffer.h"
#include <algorithm>

using namespace llvm;
using namespace llvm::coverage;

namespace covlock {
using namespace attribution;

Error BinaryCoverage::Impl::decode(StringRef Path) {
  auto BufOrErr = readRegularFile(Path);
  if (!BufOrErr)
    return BufOrErr.takeError();
  std::unique_ptr<MemoryBuffer> Buf = std::move(*BufOrErr);
  SmallVector<std::unique_ptr<MemoryBuffer>, 4> ObjectBuffers;
  auto ReadersOrErr =
      BinaryCoverageReader::create(Buf->getMemBufferRef(), "", ObjectBuffers);
  if (!ReadersOrErr)
    return createFileError(Path, ReadersOrErr.takeError());

  // Files in order of appearance, and each record's (flat, FilesBegin);
  // renumbered in name order once all are known.
  StringMap<uint32_t> SeenFiles;
  std::vector<uint32_t> RecordFiles, FilesBegin{0};
  std::vector<PackedRegion> Packed;
  std::vector<PackedExpression> PackedExpressions;
  std::vector<std::pair<size_t, mcdc::Parameters>> Params;
  for (std::unique_ptr<BinaryCoverageReader> &Reader : *ReadersOrErr) {
    while (true) {
      CoverageMappingRecord R;
      Error E = Reader->readNextRecord(R);
      if (E) {
        bool End = false;
        Error Rest = handleErrors(
            std::move(E), [&](const CoverageMapError &CME) -> Error {
              if (CME.get() == coveragemap_error::eof) {
                End = true;
                return Error::success();
              }
              return make_error<CoverageMapError>(CME.get(), CME.message());
            });
        if (Rest)
          return createFileError(Path, std::move(Rest));
        if (End)
          break;
      }
      OwnedRecord O;
      // The reader's strings die with it: keep copies.
      O.Name = Saver.save(R.FunctionName);
      O.Hash = R.FunctionHash;
      O.NameRef = IndexedInstrProf::ComputeHash(O.Name);
      for (StringRef F : R.Filenames)
        RecordFiles.push_back(
            SeenFiles.try_emplace(F, SeenFiles.size()).first->second);
      FilesBegin.push_back(RecordFiles.size());
      PackedExpressions.clear();
      for (const CounterExpression &X : R.Expressions)
        PackedExpressions.push_back({PackedCounter::of(X.LHS),
                                     PackedCounter::of(X.RHS),
                                     uint8_t(X.Kind)});
      O.Expressions = copyTo<PackedExpression>(Alloc, PackedExpressions);
      Packed.clear();
      Params.clear();
      for (const CounterMappingRegion &CMR : R.MappingRegions) {
        // An expansion's file stays when a gap bit turns it into a gap.
        bool ExtraIsFile = CMR.Kind == CounterMappingRegion::ExpansionRegion ||
                           CMR.ExpandedFileID != 0;
        // What the packed form cannot hold, the reader never gives: both
        // an expanded file and a false count, or 2^24 files in a record.
        if (CMR.FileID >= 1u << 24 || (ExtraIsFile && !CMR.FalseCount.isZero()))
          return createFileError(
              Path, make_error<CoverageMapError>(coveragemap_error::malformed,
                                                 "unexpected region in " +
                                                     R.FunctionName.str()));
        Packed.push_back({CMR.LineStart, CMR.ColumnStart, CMR.LineEnd,
                          CMR.ColumnEnd, PackedCounter::of(CMR.Count),
                          ExtraIsFile ? CMR.ExpandedFileID
                                      : PackedCounter::of(CMR.FalseCount).Bits,
                          CMR.FileID, CMR.Kind, ExtraIsFile});
        if (!std::holds_alternative<std::monostate>(CMR.MCDCParams))
          Params.push_back({Packed.size() - 1, CMR.MCDCParams});
      }
      O.Regions = copyTo<PackedRegion>(RegionAlloc, Packed);
      for (auto &[Index, P] : Params)
        MCDCParams[&O.Regions[Index]] = P;
      Records.push_back(O);
    }
  }
  Records.shrink_to_fit();
  for (const auto &KV : SeenFiles)
    Files.push_back(KV.getKey().str());
  llvm::sort(Files);
  std::vector<uint32_t> Renumber(Files.size());
  for (unsigned I = 0, E = Files.size(); I != E; ++I) {
    FileIndex[Files[I]] = I;
    Renumber[SeenFiles.lookup(Files[I])] = I;
  }
  for (uint32_t &F : RecordFiles)
    F = Renumber[F];
  for (size_t I = 0, E = Records.size(); I != E; ++I)
    Records[I].FileIndices = copyTo<uint32_t>(
        RegionAlloc,
        ArrayRef(RecordFiles)
            .slice(FilesBegin[I], FilesBegin[I + 1] - FilesBegin[I]));
  return Error::success();
}

CounterMappingRegion BinaryCoverage::Impl::unpack(const PackedRegion &R) const {
  auto Params = MCDCParams.find(&R);
  return CounterMappingRegion(
      R.Count.unpack(), falseCount(R).unpack(), R.FileID,
      R.ExtraIsFile ? R.Extra : 0, R.LineStart, R.ColumnStart, R.LineEnd,
      R.ColumnEnd, CounterMappingRegion::RegionKind(R.Kind),
      Params == MCDCParams.end() ? mcdc::Parameters() : Params->second);
}

void BinaryCoverage::Impl::join() {
  // The profile layout names functions by MD5 of the PGO name.
  DenseMap<std::pair<uint64_t, uint64_t>, uint32_t> ByKey;
  DenseMap<uint64_t, uint32_t> ByName;
  for (uint32_t I = 0, E = Layout->Functions.size(); I != E; ++I) {
    const LayoutFunction &F = Layout->Functions[I];
    ByKey.try_emplace({F.NameRef, F.Hash}, I);
    ByName.try_emplace(F.NameRef, I);
  }
  for (OwnedRecord &O : Records) {
    auto It = ByKey.find({O.NameRef, O.Hash});
    if (It != ByKey.end()) {
      O.Join = JoinKind::Joined;
      O.Layout = It->second;
    } else if (ByName.count(O.NameRef)) {
      O.Join = JoinKind::Mismatch;
    }
  }
}

} // namespace covlock
