//===- Binaries.cpp - Instrumented binaries -------------------------------===//

#include "covlock/Merge/Binaries.h"
#include "covlock/Merge/RawProfile.h"
#include "covlock/Support/RegularFile.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/BuildID.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Endian.h"

using namespace llvm;

namespace covlock {

Expected<BinaryInfo> readBinaryInfo(StringRef Path) {
  Expected<std::unique_ptr<MemoryBuffer>> Buf = readRegularFile(Path);
  if (!Buf)
    return Buf.takeError();
  Expected<std::unique_ptr<object::ObjectFile>> Obj =
      object::ObjectFile::createObjectFile((*Buf)->getMemBufferRef());
  if (!Obj)
    return createFileError(Path, Obj.takeError());
  const object::ObjectFile &O = **Obj;
  BinaryInfo Info;
  Info.Path = Path.str();
  Info.BuildId = toHex(object::getBuildID(&O), /*LowerCase=*/true);
  for (const object::SectionRef &S : O.sections()) {
    Expected<StringRef> Name = S.getName();
    if (!Name) {
      consumeError(Name.takeError());
      continue;
    }
    // ELF and Mach-O spell the sections differently; both end the same way.
    if (Name->ends_with("llvm_prf_names")) {
      Expected<StringRef> Contents = S.getContents();
      if (!Contents)
        return createFileError(Path, Contents.takeError());
      Info.Names = Contents->str();
    } else if (Name->ends_with("llvm_prf_data")) {
      Info.NumData = S.getSize() / RawDataRecordSize;
      Expected<StringRef> Contents = S.getContents();
      if (!Contents)
        return createFileError(Path, Contents.takeError());
      // NameRef and FuncHash are constants of the record (no relocation).
      for (uint64_t I = 0; I < Contents->size() / RawDataRecordSize; ++I) {
        const char *R = Contents->data() + I * RawDataRecordSize;
        Info.Functions.emplace_back(support::endian::read64le(R),
                                    support::endian::read64le(R + 8));
      }
    }
  }
  return Info;
}

} // namespace covlock
