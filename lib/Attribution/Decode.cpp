//===- Decode.cpp - Read a binary's coverage mapping ------------------------===//
//
// The mapping is decoded once into owned records (the reader's die with
// it), then joined to the profile layout by (name MD5, structural hash).
//
//===----------------------------------------------------------------------===//

#include "BinaryCoverageImpl.h"
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
  auto BufOrErr = MemoryBuffer::getFile(Path, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
  if (!BufOrErr)
    return createFileError(Path, errorCodeToError(BufOrErr.getError()));
  std::unique_ptr<MemoryBuffer> Buf = std::move(*BufOrErr);
  SmallVector<std::unique_ptr<MemoryBuffer>, 4> ObjectBuffers;
  auto ReadersOrErr =
      BinaryCoverageReader::create(Buf->getMemBufferRef(), "", ObjectBuffers);
  if (!ReadersOrErr)
    return createFileError(Path, ReadersOrErr.takeError());

  StringMap<bool> SeenFiles;
  for (std::unique_ptr<BinaryCoverageReader> &Reader : *ReadersOrErr) {
    while (true) {
      CoverageMappingRecord R;
      Error E = Reader->readNextRecord(R);
      if (E) {
        bool End = false;
        Error Rest = handleErrors(std::move(E), [&](const CoverageMapError &CME) -> Error {
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
      for (StringRef F : R.Filenames) {
        O.Filenames.push_back(Saver.save(F));
        SeenFiles.try_emplace(F, true);
      }
      O.Expressions.assign(R.Expressions.begin(), R.Expressions.end());
      O.Regions.assign(R.MappingRegions.begin(), R.MappingRegions.end());
      O.NameRef = IndexedInstrProf::ComputeHash(O.Name);
      Records.push_back(std::move(O));
    }
  }
  for (const auto &KV : SeenFiles)
    Files.push_back(KV.getKey().str());
  llvm::sort(Files);
  for (unsigned I = 0, E = Files.size(); I != E; ++I)
    FileIndex[Files[I]] = I;
  for (OwnedRecord &R : Records)
    for (StringRef F : R.Filenames)
      R.FileIndices.push_back(FileIndex.lookup(F));
  return Error::success();
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
