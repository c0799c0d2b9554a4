// Unit tests for LineBuffer (include/ssebridge/line_buffer.h): lines split
// across reads, several lines in one read, the bound on one line, stopping,
// and the last line at end of input.

#include "ssebridge/line_buffer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

class LineBufferTest : public ::testing::Test {
 protected:
  explicit LineBufferTest(size_t max = 16) : buffer_(max) {}

  // Feeds and records every line; too-long ones are recorded as "TOO LONG:<prefix>".
  bool Feed(std::string_view bytes) { return buffer_.Feed(bytes, Recorder()); }
  bool Finish() { return buffer_.Finish(Recorder()); }
  LineBuffer::Sink Recorder() {
    return [this](std::string_view line, bool too_long) {
      lines_.push_back(too_long ? "TOO LONG:" + std::string(line) : std::string(line));
      return lines_.size() != stop_after_;
    };
  }

  LineBuffer buffer_;
  std::vector<std::string> lines_;
  size_t stop_after_ = 0;  // 0: never stop.
};

TEST_F(LineBufferTest, OneLineInOneRead) {
  EXPECT_TRUE(Feed("color/q1 = go\n"));
  EXPECT_EQ(lines_, std::vector<std::string>{"color/q1 = go"});
  EXPECT_EQ(buffer_.pending_bytes(), 0u);
}

TEST_F(LineBufferTest, SeveralLinesInOneRead) {
  EXPECT_TRUE(Feed("a = 1\nb = 2\n\nc = 3\n"));
  EXPECT_EQ(lines_, (std::vector<std::string>{"a = 1", "b = 2", "", "c = 3"}));
}

TEST_F(LineBufferTest, ALineSplitAcrossReadsIsDeliveredOnceComplete) {
  EXPECT_TRUE(Feed("col"));
  EXPECT_TRUE(Feed("or/q1"));
  EXPECT_TRUE(lines_.empty());
  EXPECT_EQ(buffer_.pending_bytes(), 8u);
  EXPECT_TRUE(Feed(" = go\npage"));
  EXPECT_EQ(lines_, std::vector<std::string>{"color/q1 = go"});
  EXPECT_TRUE(Feed(" = x\n"));
  EXPECT_EQ(lines_, (std::vector<std::string>{"color/q1 = go", "page = x"}));
}

TEST_F(LineBufferTest, OneByteAtATime) {
  for (char c : std::string("ab = c\nd = e\n")) EXPECT_TRUE(Feed(std::string_view(&c, 1)));
  EXPECT_EQ(lines_, (std::vector<std::string>{"ab = c", "d = e"}));
}

TEST_F(LineBufferTest, ALineOfExactlyTheBoundIsKept) {
  EXPECT_TRUE(Feed(std::string(16, 'x') + "\n"));
  EXPECT_EQ(lines_, std::vector<std::string>{std::string(16, 'x')});
}

TEST_F(LineBufferTest, ATooLongLineIsReportedOnceAndTheNextLineIsIntact) {
  // Over the bound before its end arrives: reported at once, the rest dropped.
  EXPECT_TRUE(Feed(std::string(10, 'x')));
  EXPECT_TRUE(Feed(std::string(10, 'y')));
  EXPECT_EQ(lines_, std::vector<std::string>{"TOO LONG:" + std::string(10, 'x') + std::string(6, 'y')});
  EXPECT_EQ(buffer_.pending_bytes(), 0u);  // Nothing of it is held.
  EXPECT_TRUE(Feed(std::string(1000, 'z')));
  EXPECT_EQ(buffer_.pending_bytes(), 0u);
  EXPECT_TRUE(Feed("zz\nok = 1\n"));
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1], "ok = 1");
}

TEST_F(LineBufferTest, ATooLongLineCompleteInOneReadIsReportedOnce) {
  EXPECT_TRUE(Feed(std::string(40, 'x') + "\nok = 1\n"));
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0], "TOO LONG:" + std::string(16, 'x'));
  EXPECT_EQ(lines_[1], "ok = 1");
}

TEST_F(LineBufferTest, TheSinkCanStopTheRestOfTheRead) {
  stop_after_ = 2;
  EXPECT_FALSE(Feed("a = 1\nhalt\nb = 2\nc"));
  EXPECT_EQ(lines_, (std::vector<std::string>{"a = 1", "halt"}));
  EXPECT_EQ(buffer_.pending_bytes(), 0u);  // The partial "c" was dropped too.
}

TEST_F(LineBufferTest, FinishDeliversALastLineWithoutNewline) {
  EXPECT_TRUE(Feed("a = 1\nb = 2"));
  EXPECT_TRUE(Finish());
  EXPECT_EQ(lines_, (std::vector<std::string>{"a = 1", "b = 2"}));
  EXPECT_TRUE(Finish());  // Nothing more.
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(LineBufferTest, FinishInsideATooLongLineDeliversNothingMoreAndResets) {
  EXPECT_TRUE(Feed(std::string(40, 'x')));
  EXPECT_TRUE(Finish());
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_TRUE(Feed("next = 1\n"));  // Not mistaken for the rest of the long line.
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1], "next = 1");
}

}  // namespace
}  // namespace ssebridge
