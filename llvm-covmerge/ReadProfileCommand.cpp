//===- ReadProfileCommand.cpp - llvm-covmerge __read-profile --------------===//
//
// Internal: `__read-profile FILE OFFSET SIZE OUT` reads one profile (a
// file, or a slice of one) with LLVM's reader, all its records and binary
// ids, and writes them with LLVM's writer as a new indexed profile OUT;
// exits 0 if that worked, covlock::IsolatedReaderRejected with LLVM's
// message on stderr if the reader reported an error. The merge runs it before
// it takes such a profile (MergeOptions::IsolatedReader): LLVM's readers trust
// offsets and sizes from the file, and a damaged one can crash or exhaust
// memory here rather than in the merge, which then reads only OUT.
//
//===----------------------------------------------------------------------===//

#include "CovmergeTool.h"
#include "covlock/Merge/Merge.h"
#include "llvm/ProfileData/InstrProfReader.h"
#include "llvm/ProfileData/InstrProfWriter.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static int fail(Error E) {
  errs() << toString(std::move(E)) << '\n';
  return covlock::IsolatedReaderRejected;
}

int readProfileMain(int Argc, const char **Argv) {
  uint64_t Offset = 0, Size = 0;
  if (Argc != 5 || StringRef(Argv[2]).getAsInteger(10, Offset) ||
      StringRef(Argv[3]).getAsInteger(10, Size))
    return 2;
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buf =
      Size ? MemoryBuffer::getFileSlice(Argv[1], Size, Offset)
           : MemoryBuffer::getFile(Argv[1], /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return fail(errorCodeToError(Buf.getError()));
  auto Reader = InstrProfReader::create(std::move(*Buf));
  if (!Reader)
    return fail(Reader.takeError());
  InstrProfWriter Writer;
  if (Error E = Writer.mergeProfileKind((*Reader)->getProfileKind()))
    return fail(std::move(E));
  Error WriteErr = Error::success();
  for (NamedInstrProfRecord &R : **Reader)
    Writer.addRecord(std::move(R), 1, [&](Error E) {
      WriteErr = joinErrors(std::move(WriteErr), std::move(E));
    });
  if (Error E = (*Reader)->getError()) {
    consumeError(std::move(WriteErr));
    return fail(std::move(E));
  }
  if (WriteErr)
    return fail(std::move(WriteErr));
  std::vector<object::BuildID> Ids;
  if (Error E = (*Reader)->readBinaryIds(Ids))
    return fail(std::move(E));
  Writer.addBinaryIds(Ids);
  if (Error E = covlock::writeIndexedProfile(Writer, Argv[4]))
    return fail(std::move(E));
  return 0;
}
