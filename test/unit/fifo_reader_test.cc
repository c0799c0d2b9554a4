// FifoReader on a private loop with a FIFO in a temporary directory: it is
// created when missing, a path that is no FIFO is refused, writers that open,
// write and close one after the other are all read (no end-of-file in
// between), lines split across writes arrive whole, and the handle closes.
#include "ssebridge/fifo_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loop_runner.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;

class FifoReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/ssebridge-fifo-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/sse.fifo";
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    reader_ = new FifoReader(&loop_, [this](std::string_view line, const std::string& source) {
      lines_.emplace_back(line);
      source_ = source;
      if (line == "close") reader_->Close();
    });
  }

  void TearDown() override {
    reader_->Close();
    EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
    delete reader_;
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  // One writer: opens (the reader holds the FIFO open, so this never blocks),
  // writes, closes — what `echo line > fifo` does.
  void Write(const std::string& bytes) {
    int fd = open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(fd, 0) << strerror(errno);
    ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    close(fd);
  }

  bool RunUntilLines(size_t count) {
    return RunLoopUntil(&loop_, [&] { return lines_.size() >= count; });
  }

  std::string dir_;
  std::string path_;
  uv_loop_t loop_;
  FifoReader* reader_ = nullptr;
  std::vector<std::string> lines_;
  std::string source_;
};

TEST_F(FifoReaderTest, CreatesTheFifoAndReadsOneWriterAfterAnother) {
  ASSERT_EQ(reader_->Open(path_), 0);
  struct stat info;
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  Write("color/q1 = go\n");
  ASSERT_TRUE(RunUntilLines(1));
  Write("page/q2 = end\n");  // A second writer after the first closed.
  ASSERT_TRUE(RunUntilLines(2));
  Write("a = 1\nb = 2\n");
  ASSERT_TRUE(RunUntilLines(4));
  EXPECT_EQ(lines_, (std::vector<std::string>{"color/q1 = go", "page/q2 = end", "a = 1", "b = 2"}));
  EXPECT_EQ(source_, "fifo " + path_);
}

TEST_F(FifoReaderTest, UsesAnExistingFifoAndJoinsALineSplitAcrossWriters) {
  ASSERT_EQ(mkfifo(path_.c_str(), 0620), 0);
  ASSERT_EQ(reader_->Open(path_), 0);
  Write("color/q1");
  Write(" = go\n");
  ASSERT_TRUE(RunUntilLines(1));
  EXPECT_EQ(lines_[0], "color/q1 = go");
}

TEST_F(FifoReaderTest, APathThatIsNoFifoIsRefused) {
  int fd = open(path_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(reader_->Open(path_), UV_EINVAL);
}

TEST_F(FifoReaderTest, AMissingDirectoryIsAnError) {
  EXPECT_EQ(reader_->Open(dir_ + "/missing/sse.fifo"), -ENOENT);
}

TEST_F(FifoReaderTest, ATooLongLineIsSkippedAndReported) {
  int too_long = 0;
  reader_->on_line_too_long = [&] { ++too_long; };
  ASSERT_EQ(reader_->Open(path_), 0);
  // More than a pipe holds: write what fits, let the reader drain it, repeat
  // (bounded: the bytes go in 64 KiB at most per round).
  const std::string bytes = std::string(kMaxControlLineBytes + 10, 'x') + "\nok = 1\n";
  int fd = open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  size_t sent = 0;
  for (int round = 0; round < 1000 && sent < bytes.size(); ++round) {
    ssize_t n = write(fd, bytes.data() + sent, bytes.size() - sent);
    if (n > 0) sent += static_cast<size_t>(n);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  close(fd);
  ASSERT_EQ(sent, bytes.size());
  ASSERT_TRUE(RunUntilLines(1));
  EXPECT_EQ(lines_, std::vector<std::string>{"ok = 1"});
  EXPECT_EQ(too_long, 1);
}

TEST_F(FifoReaderTest, AHandlerThatClosesDropsTheRest) {
  ASSERT_EQ(reader_->Open(path_), 0);
  Write("a = 1\nclose\nb = 2\n");
  ASSERT_TRUE(RunUntilLines(2));
  // The closed reader reads nothing more; the loop runs out of work.
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
  EXPECT_EQ(lines_, (std::vector<std::string>{"a = 1", "close"}));
}

}  // namespace
}  // namespace ssebridge
