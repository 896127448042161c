//===- RunLock.cpp - Run and flush locks ----------------------------------===//

#include "covlock/Locking/RunLock.h"
#include "covlock/Protocol/Protocol.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include <thread>

using namespace llvm;

namespace covlock {

char RunLockBusyError::ID;
char FlushLockBusyError::ID;

std::string LockHolder::describe() const {
  if (!Record)
    return "owner record unreadable (" + Problem + ")";
  std::string S;
  raw_string_ostream OS(S);
  OS << "pid " << Record->Pid << " on host " << Record->Host << ", started "
     << formatTime(Record->Start)
     << ", command: " << formatCommand(Record->Command);
  if (Record->Label)
    OS << ", label " << *Record->Label;
  return S;
}

void RunLockBusyError::log(raw_ostream &OS) const {
  OS << "a run is in progress (" << Holder.describe() << ")";
}

std::error_code RunLockBusyError::convertToErrorCode() const {
  return std::make_error_code(std::errc::resource_unavailable_try_again);
}

void FlushLockBusyError::log(raw_ostream &OS) const {
  OS << "processes are still publishing profiles (flush lock busy for "
     << FlushLockTimeout.count() / 1000 << " s)";
}

std::error_code FlushLockBusyError::convertToErrorCode() const {
  return std::make_error_code(std::errc::resource_unavailable_try_again);
}

/// Read the owner record of a run lock another open file holds. The owner
/// writes it right after locking, so an empty or partial record is retried
/// for a moment. Returns std::nullopt if the lock was released meanwhile.
static Expected<std::optional<LockHolder>> readHolder(const LockFile &File) {
  LockHolder Holder;
  for (int Try = 0; Try < 50; ++Try) {
    Expected<std::string> Text = File.readContents();
    if (!Text)
      return Text.takeError();
    Expected<OwnerRecord> R = parseRecord<OwnerRecord>(*Text);
    if (R) {
      Holder.Record = std::move(*R);
      return Holder;
    }
    Holder.Problem = toString(R.takeError());
    Expected<bool> Locked = File.isLockedByOther(LockKind::Exclusive);
    if (!Locked)
      return Locked.takeError();
    if (!*Locked)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Holder;
}

Expected<RunLock> RunLock::acquire(StringRef Dir, const OwnerRecord &Owner) {
  Expected<LockFile> File =
      LockFile::open(getRunLockPath(Dir), LockFile::ReadWriteCreate);
  if (!File)
    return File.takeError();
  // A holder that ends while we read its record was not worth refusing for:
  // try again then.
  for (int Try = 0;; ++Try) {
    Expected<bool> Got = File->tryLock(LockKind::Exclusive);
    if (!Got)
      return Got.takeError();
    if (*Got)
      break;
    Expected<std::optional<LockHolder>> Holder = readHolder(*File);
    if (!Holder)
      return Holder.takeError();
    if (*Holder || Try == 2)
      return make_error<RunLockBusyError>(
          *Holder ? std::move(**Holder)
                  : LockHolder{std::nullopt, "the lock changed hands"});
  }
  std::string Text;
  raw_string_ostream OS(Text);
  OS << toJSON(Owner) << '\n';
  if (Error E = File->replaceContents(Text))
    return std::move(E);
  return RunLock(std::move(*File), Owner);
}

Expected<std::optional<LockHolder>> queryRunLock(StringRef Dir) {
  std::string Path = getRunLockPath(Dir);
  // No run.lock: no run has ever held it.
  if (!sys::fs::exists(Path))
    return std::nullopt;
  Expected<LockFile> File = LockFile::open(Path, LockFile::ReadOnly);
  if (!File)
    return File.takeError();
  Expected<bool> Locked = File->isLockedByOther(LockKind::Exclusive);
  if (!Locked)
    return Locked.takeError();
  if (!*Locked)
    return std::nullopt;
  return readHolder(*File);
}

Expected<LockFile> acquireFlushLock(StringRef Dir, LockKind Kind,
                                    std::chrono::milliseconds Timeout) {
  std::string Path = getFlushLockPath(Dir);
  Expected<LockFile> File = LockFile::open(Path, LockFile::ReadWriteCreate);
  if (!File)
    return File.takeError();
  Expected<bool> Got = File->tryLockFor(Kind, Timeout);
  if (!Got)
    return Got.takeError();
  if (!*Got)
    return createFileError(Path, make_error<FlushLockBusyError>());
  return std::move(*File);
}

Expected<std::optional<LockFile>>
acquireCompactLock(StringRef Dir, LockKind Kind, bool Wait,
                   function_ref<void()> OnWait) {
  std::string Path = getCompactLockPath(Dir);
  Expected<LockFile> File = LockFile::open(Path, LockFile::ReadWriteCreate);
  if (!File)
    return File.takeError();
  for (bool Waited = false;; Waited = true) {
    Expected<bool> Got = File->tryLock(Kind);
    if (!Got)
      return Got.takeError();
    if (*Got)
      return std::optional<LockFile>(std::move(*File));
    if (!Wait)
      return std::nullopt;
    if (!Waited)
      OnWait();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace covlock
