#include "reel/core/atomic_file.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace fs = std::filesystem;

TEST(AtomicFile, CommitMakesTheFileAppearWhole) {
  testing::TempDir dir;
  auto target = dir / "sub" / "out.bin";
  {
    AtomicFile f(target);
    f.write("hello ");
    EXPECT_FALSE(fs::exists(target));  // nothing visible before commit
    f.write("world");
    f.commit();
  }
  EXPECT_EQ(read_file(target), "hello world");
  // Only the target remains: no temporaries.
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir / "sub")) entries += 1, (void)e;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, AbandonedWriteLeavesNothing) {
  testing::TempDir dir;
  auto target = dir / "out.bin";
  write_file_atomic(target, std::string_view("old"));
  try {
    AtomicFile f(target);
    f.write("half of the new");
    throw std::runtime_error("render failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(read_file(target), "old");  // the previous version is untouched
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir.path())) entries += 1, (void)e;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, ReadFileRefusesMissingDirectoriesAndOversize) {
  testing::TempDir dir;
  try {
    read_file(dir / "nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  EXPECT_THROW(read_file(dir.path()), Error);
  write_file_atomic(dir / "big", std::string(100, 'a'));
  try {
    read_file(dir / "big", 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("at most 10"), std::string::npos);
  }
}

}  // namespace reel
