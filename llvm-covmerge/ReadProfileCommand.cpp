//===- ReadProfileCommand.cpp - llvm-covmerge __read-profile --------------===//
//
// Internal: reads one profile (a file, or a slice of one) with LLVM's
// reader, all its records and binary ids, and exits 0 if that worked, 1 if
// the reader reported an error. The merge runs it before it reads such a
// profile itself (MergeOptions::IsolatedReader): LLVM's indexed reader
// trusts offsets and sizes from the file, and a damaged one can crash or
// exhaust memory here instead of in the merge.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

int readProfileMain(int Argc, const char **Argv) {
  uint64_t Offset = 0, Size = 0;
  if (Argc != 4 || StringRef(Argv[2]).getAsInteger(10, Offset) ||
      StringRef(Argv[3]).getAsInteger(10, Size))
    return 2;
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buf =
      Size ? MemoryBuffer::getFileSlice(Argv[1], Size, Offset)
           : MemoryBuffer::getFile(Argv[1], /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return 1;
  auto Reader = InstrProfReader::create(std::move(*Buf));
  if (!Reader) {
    consumeError(Reader.takeError());
    return 1;
  }
  for (NamedInstrProfRecord &R : **Reader)
    (void)R;
  if (Error E = (*Reader)->getError()) {
    consumeError(std::move(E));
    return 1;
  }
  std::vector<object::BuildID> Ids;
  if (Error E = (*Reader)->readBinaryIds(Ids)) {
    consumeError(std::move(E));
    return 1;
  }
  return 0;
}
