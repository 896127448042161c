//===- CompactorIOTest.cpp - What the compactor learns from the kernel ----===//
//
// KeyChangeFeed: which key directories got a published file (renamed or
// linked in), new key directories, and what does not count (temporaries,
// the compactor's own packs). ProfileBufferPool: contents, buffers reused,
// and the files it refuses (a symbolic link, a FIFO).
//
//===----------------------------------------------------------------------===//

#include "DirFD.h"
#include "KeyChanges.h"
#include "ProfileBuffers.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Testing/Support/Error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace covlock::merge;
using namespace llvm;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace {

class TempDir : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(sys::fs::createUniqueDirectory("covlock-io", Path));
  }
  void TearDown() override { sys::fs::remove_directories(Path); }
  std::string at(StringRef Name) { return (Path + "/" + Name).str(); }
  void write(StringRef Name, StringRef Bytes) {
    int FD = ::open(at(Name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    ASSERT_GE(FD, 0);
    ASSERT_EQ(::write(FD, Bytes.data(), Bytes.size()), ssize_t(Bytes.size()));
    ::close(FD);
  }
  /// Writes \p Name the way the runtime publishes: a temporary renamed in.
  void publish(StringRef Name, StringRef Bytes) {
    std::string Tmp = (sys::path::parent_path(Name) + "/.tmp").str();
    write(Tmp, Bytes);
    ASSERT_EQ(::rename(at(Tmp).c_str(), at(Name).c_str()), 0);
  }
  SmallString<128> Path;
};

using KeyChangeFeedTest = TempDir;
using ProfileBufferPoolTest = TempDir;

#ifdef __linux__
TEST_F(KeyChangeFeedTest, ReportsPublishedFilesAndNewKeys) {
  ASSERT_EQ(::mkdir(at("k1").c_str(), 0777), 0);
  std::unique_ptr<KeyChangeFeed> Feed = KeyChangeFeed::open(Path);
  ASSERT_TRUE(Feed);
  // First call: it cannot tell; the caller looks at every key, watching it.
  EXPECT_EQ(Feed->changed(), std::nullopt);
  Feed->watch("k1");
  EXPECT_THAT(*Feed->changed(), IsEmpty());

  publish("k1/1.json", "{}");
  EXPECT_THAT(*Feed->changed(), ElementsAre("k1"));
  EXPECT_THAT(*Feed->changed(), IsEmpty());

  // Profiles and markers come before their record; the compactor's own
  // files and temporaries are not news.
  publish("k1/h.1.1.profraw", "");
  write("k1/h.1.boot", "");
  write("k1/.h.1.2.json.tmp", "");
  publish("k1/_c1.pack", "");
  EXPECT_THAT(*Feed->changed(), IsEmpty());

  // A new key directory is news, and watched from then on.
  ASSERT_EQ(::mkdir(at("k2").c_str(), 0777), 0);
  ASSERT_EQ(::mkdir(at(".hidden").c_str(), 0777), 0);
  EXPECT_THAT(*Feed->changed(), ElementsAre("k2"));
  publish("k2/1.json", "{}");
  ASSERT_EQ(::link(at("k2/1.json").c_str(), at("k1/2.json").c_str()), 0);
  EXPECT_THAT(*Feed->changed(), ElementsAre("k1", "k2"));

  // A file at the top is not a key directory.
  write("run.json", "{}");
  EXPECT_THAT(*Feed->changed(), IsEmpty());
}

TEST_F(KeyChangeFeedTest, RemovedKeyDirectoryIsForgotten) {
  ASSERT_EQ(::mkdir(at("k1").c_str(), 0777), 0);
  std::unique_ptr<KeyChangeFeed> Feed = KeyChangeFeed::open(Path);
  ASSERT_TRUE(Feed);
  EXPECT_EQ(Feed->changed(), std::nullopt);
  Feed->watch("k1");
  ASSERT_EQ(::rmdir(at("k1").c_str()), 0);
  EXPECT_THAT(*Feed->changed(), IsEmpty());
  // The same name again is a new key directory.
  ASSERT_EQ(::mkdir(at("k1").c_str(), 0777), 0);
  publish("k1/1.json", "{}");
  EXPECT_THAT(*Feed->changed(), ElementsAre("k1"));
}

TEST_F(KeyChangeFeedTest, ReplacedDirectoryIsWatchedAnew) {
  ASSERT_EQ(::mkdir(at("k1").c_str(), 0777), 0);
  std::unique_ptr<KeyChangeFeed> Feed = KeyChangeFeed::open(Path);
  ASSERT_TRUE(Feed);
  EXPECT_EQ(Feed->changed(), std::nullopt);
  Feed->watch("k1");
  // Moved away and made anew: the old watches would tell of the old one.
  std::string Old = (Path + ".old").str();
  ASSERT_EQ(::rename(Path.c_str(), Old.c_str()), 0);
  auto Cleanup = make_scope_exit([&] { sys::fs::remove_directories(Old); });
  ASSERT_EQ(::mkdir(Path.c_str(), 0777), 0);
  ASSERT_EQ(::mkdir((Old + "/k2").c_str(), 0777), 0);
  EXPECT_EQ(Feed->changed(), std::nullopt);
  Feed->watch("k1"); // not there: the scan finds nothing to watch
  ASSERT_EQ(::mkdir(at("k3").c_str(), 0777), 0);
  publish("k3/1.json", "{}");
  EXPECT_THAT(*Feed->changed(), ElementsAre("k3"));
  // Removed: nothing to tell, until there is a directory again.
  ASSERT_EQ(sys::fs::remove_directories(Path), std::error_code());
  EXPECT_EQ(Feed->changed(), std::nullopt);
  EXPECT_EQ(Feed->changed(), std::nullopt);
  ASSERT_EQ(::mkdir(Path.c_str(), 0777), 0);
  EXPECT_EQ(Feed->changed(), std::nullopt);
  ASSERT_EQ(::mkdir(at("k4").c_str(), 0777), 0);
  EXPECT_THAT(*Feed->changed(), ElementsAre("k4"));
}

TEST_F(KeyChangeFeedTest, SymbolicLinkIsNotWatched) {
  ASSERT_EQ(::mkdir(at("elsewhere").c_str(), 0777), 0);
  ASSERT_EQ(::symlink(at("elsewhere").c_str(), at("k1").c_str()), 0);
  std::unique_ptr<KeyChangeFeed> Feed = KeyChangeFeed::open(Path);
  ASSERT_TRUE(Feed);
  EXPECT_EQ(Feed->changed(), std::nullopt);
  Feed->watch("k1");
  publish("elsewhere/1.json", "{}");
  // Only "elsewhere" itself, a directory at the top, was ever news.
  EXPECT_THAT(*Feed->changed(), IsEmpty());
}
#endif

TEST_F(ProfileBufferPoolTest, ReadsAndReusesBuffers) {
  write("a", std::string(5000, 'a'));
  write("b", std::string(3000, 'b'));
  Expected<DirFD> D = DirFD::open(Path);
  ASSERT_THAT_EXPECTED(D, Succeeded());
  ProfileBufferPool Pool;
  const char *First;
  {
    Expected<std::unique_ptr<MemoryBuffer>> A = Pool.read(*D, "a");
    ASSERT_THAT_EXPECTED(A, Succeeded());
    EXPECT_EQ((*A)->getBuffer(), std::string(5000, 'a'));
    EXPECT_EQ((*A)->getBufferIdentifier(), at("a"));
    First = (*A)->getBufferStart();
  }
  // The smaller file goes into the buffer the first one gave back.
  Expected<std::unique_ptr<MemoryBuffer>> B = Pool.read(*D, "b");
  ASSERT_THAT_EXPECTED(B, Succeeded());
  EXPECT_EQ((*B)->getBuffer(), std::string(3000, 'b'));
  EXPECT_EQ((*B)->getBufferStart(), First);
  // While it is in use, another read gets a buffer of its own.
  Expected<std::unique_ptr<MemoryBuffer>> A2 = Pool.read(*D, "a");
  ASSERT_THAT_EXPECTED(A2, Succeeded());
  EXPECT_NE((*A2)->getBufferStart(), First);
  EXPECT_EQ((*A2)->getBuffer(), std::string(5000, 'a'));
}

TEST_F(ProfileBufferPoolTest, SmallFileDoesNotTakeBigBuffer) {
  write("big", std::string(1 << 20, 'b'));
  write("small", std::string(1000, 's'));
  Expected<DirFD> D = DirFD::open(Path);
  ASSERT_THAT_EXPECTED(D, Succeeded());
  ProfileBufferPool Pool;
  const char *Big;
  {
    Expected<std::unique_ptr<MemoryBuffer>> B = Pool.read(*D, "big");
    ASSERT_THAT_EXPECTED(B, Succeeded());
    Big = (*B)->getBufferStart();
  }
  // A layout may keep this buffer for the whole run: not the big one.
  Expected<std::unique_ptr<MemoryBuffer>> S = Pool.read(*D, "small");
  ASSERT_THAT_EXPECTED(S, Succeeded());
  EXPECT_NE((*S)->getBufferStart(), Big);
  EXPECT_EQ((*S)->getBuffer(), std::string(1000, 's'));
  // The big one is still there for a file of its size.
  Expected<std::unique_ptr<MemoryBuffer>> B2 = Pool.read(*D, "big");
  ASSERT_THAT_EXPECTED(B2, Succeeded());
  EXPECT_EQ((*B2)->getBufferStart(), Big);
}

TEST_F(ProfileBufferPoolTest, BufferOutlivesPool) {
  write("a", "profile");
  Expected<DirFD> D = DirFD::open(Path);
  ASSERT_THAT_EXPECTED(D, Succeeded());
  std::unique_ptr<MemoryBuffer> Kept;
  {
    ProfileBufferPool Pool;
    Expected<std::unique_ptr<MemoryBuffer>> A = Pool.read(*D, "a");
    ASSERT_THAT_EXPECTED(A, Succeeded());
    Kept = std::move(*A);
  }
  EXPECT_EQ(Kept->getBuffer(), "profile");
}

TEST_F(ProfileBufferPoolTest, ReadsBigFilesAndRefusesHugeOnes) {
  // Sparse: no bytes are written, and the huge one is refused unread.
  write("big", "");
  write("huge", "");
  ASSERT_EQ(::truncate(at("big").c_str(), (off_t(256) << 20) + 1), 0);
  ASSERT_EQ(::truncate(at("huge").c_str(), (off_t(1) << 30) + 1), 0);
  Expected<DirFD> D = DirFD::open(Path);
  ASSERT_THAT_EXPECTED(D, Succeeded());
  ProfileBufferPool Pool;
  Expected<std::unique_ptr<MemoryBuffer>> Big = Pool.read(*D, "big");
  ASSERT_THAT_EXPECTED(Big, Succeeded());
  // Read, not mapped: a file cut short later cannot take its bytes away.
  EXPECT_EQ((*Big)->getBufferKind(), MemoryBuffer::MemoryBuffer_Malloc);
  EXPECT_EQ((*Big)->getBufferSize(), (size_t(256) << 20) + 1);
  EXPECT_THAT_EXPECTED(
      Pool.read(*D, "huge"),
      FailedWithMessage("'" + at("huge") + "': over 1 GiB; not compacted"));
}

TEST_F(ProfileBufferPoolTest, RefusesLinksAndSpecialFiles) {
  write("target", "x");
  ASSERT_EQ(::symlink(at("target").c_str(), at("link").c_str()), 0);
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0666), 0);
  Expected<DirFD> D = DirFD::open(Path);
  ASSERT_THAT_EXPECTED(D, Succeeded());
  ProfileBufferPool Pool;
  EXPECT_THAT_EXPECTED(
      Pool.read(*D, "link"),
      FailedWithMessage("'" + at("link") + "': a symbolic link; not followed"));
  EXPECT_THAT_EXPECTED(
      Pool.read(*D, "fifo"),
      FailedWithMessage("'" + at("fifo") + "': not a regular file"));
  EXPECT_THAT_EXPECTED(
      Pool.read(*D, "absent"),
      FailedWithMessage("'" + at("absent") + "': No such file or directory"));
}

} // namespace
