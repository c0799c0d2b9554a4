// Unit tests for WriteQueue (include/ssebridge/write_queue.h): limits, buffer
// filling, partial consumption and byte accounting. No sockets involved.

#include "ssebridge/write_queue.h"

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {

void PrintTo(WriteQueue::PushResult result, std::ostream* os) {
  *os << (result == WriteQueue::PushResult::kQueued ? "kQueued" : "kOverLimit");
}

namespace {

// Concatenates what Fill() hands to the kernel.
// Extra sentinel slots after max_buffers catch a Fill() that writes too many.
std::string FilledBytes(const WriteQueue& queue, size_t max_buffers, size_t* count_out = nullptr) {
  constexpr size_t kSentinels = 8;
  std::vector<uv_buf_t> buffers(max_buffers + kSentinels, uv_buf_init(nullptr, 0xDEAD));
  size_t total = 12345;  // Must be overwritten.
  size_t count = queue.Fill(buffers.data(), max_buffers, &total);
  EXPECT_LE(count, max_buffers);
  for (size_t i = max_buffers; i < buffers.size(); ++i) {
    EXPECT_EQ(buffers[i].len, 0xDEADu) << "Fill wrote past max_buffers";
  }
  std::string bytes;
  for (size_t i = 0; i < count; ++i) bytes.append(buffers[i].base, buffers[i].len);
  EXPECT_EQ(bytes.size(), total);
  if (count_out) *count_out = count;
  return bytes;
}

TEST(WriteQueueTest, StartsEmpty) {
  WriteQueue queue(100);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
  EXPECT_EQ(queue.frame_count(), 0u);
  EXPECT_EQ(queue.limit_bytes(), 100u);
  size_t count = 99;
  EXPECT_EQ(FilledBytes(queue, 4, &count), "");
  EXPECT_EQ(count, 0u);
}

TEST(WriteQueueTest, CountsTheBytesConsumedAcrossClearsUntilReset) {
  WriteQueue queue(100);
  queue.PushUnbounded(Frame::AdoptRaw("hello"), false);
  queue.PushUnbounded(Frame::AdoptRaw("world!"), false);
  queue.Consume(3);
  EXPECT_EQ(queue.written(), 3u);
  queue.Consume(8);  // Empties the queue.
  EXPECT_EQ(queue.written(), 11u);
  queue.Clear();
  EXPECT_EQ(queue.written(), 11u);
  queue.ResetWritten();
  EXPECT_EQ(queue.written(), 0u);
}

TEST(WriteQueueTest, PushRawUnderLimitQueues) {
  WriteQueue queue(100);
  EXPECT_EQ(queue.Push(Frame::FromPayload("hello"), false), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(queue.bytes(), 5u);
  EXPECT_EQ(queue.frame_count(), 1u);
  EXPECT_FALSE(queue.empty());
  EXPECT_EQ(FilledBytes(queue, 4), "hello");
}

TEST(WriteQueueTest, PushChunkedCountsChunkFraming) {
  WriteQueue queue(100);
  EXPECT_EQ(queue.Push(Frame::FromPayload("hello"), true), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(queue.bytes(), std::string("5\r\nhello\r\n").size());
  EXPECT_EQ(FilledBytes(queue, 4), "5\r\nhello\r\n");
}

TEST(WriteQueueTest, PushExactlyToTheLimitIsAccepted) {
  WriteQueue queue(10);
  EXPECT_EQ(queue.Push(Frame::FromPayload("12345"), false), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(queue.Push(Frame::FromPayload("67890"), false), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(queue.bytes(), 10u);
}

TEST(WriteQueueTest, PushOverLimitQueuesNothing) {
  WriteQueue queue(10);
  ASSERT_EQ(queue.Push(Frame::FromPayload("1234567"), false), WriteQueue::PushResult::kQueued);
  // 7 + 4 > 10: rejected whole, not truncated.
  EXPECT_EQ(queue.Push(Frame::FromPayload("abcd"), false), WriteQueue::PushResult::kOverLimit);
  EXPECT_EQ(queue.bytes(), 7u);
  EXPECT_EQ(queue.frame_count(), 1u);
  EXPECT_EQ(FilledBytes(queue, 4), "1234567");
  // A smaller frame that still fits is accepted afterwards.
  EXPECT_EQ(queue.Push(Frame::FromPayload("abc"), false), WriteQueue::PushResult::kQueued);
  EXPECT_EQ(queue.bytes(), 10u);
}

TEST(WriteQueueTest, SingleFrameLargerThanLimitIsRejectedOnEmptyQueue) {
  WriteQueue queue(4);
  EXPECT_EQ(queue.Push(Frame::FromPayload("12345"), false), WriteQueue::PushResult::kOverLimit);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(WriteQueueTest, ChunkedFramingCountsTowardsTheLimit) {
  // Raw "hello" (5) fits in 9 bytes but its chunked form (10) does not.
  WriteQueue queue(9);
  EXPECT_EQ(queue.Push(Frame::FromPayload("hello"), true), WriteQueue::PushResult::kOverLimit);
  EXPECT_EQ(queue.Push(Frame::FromPayload("hello"), false), WriteQueue::PushResult::kQueued);
}

TEST(WriteQueueTest, PushUnboundedIgnoresTheLimit) {
  WriteQueue queue(4);
  queue.PushUnbounded(Frame::FromPayload("HTTP/1.1 200 OK\r\n\r\n"), false);
  EXPECT_EQ(queue.bytes(), 19u);
  // Now over the limit: bounded pushes fail, unbounded ones still go in.
  EXPECT_EQ(queue.Push(Frame::FromPayload("x"), false), WriteQueue::PushResult::kOverLimit);
  queue.PushUnbounded(Frame::FromPayload(""), true);  // Final chunk "0\r\n\r\n".
  EXPECT_EQ(queue.bytes(), 24u);
  EXPECT_EQ(FilledBytes(queue, 8), "HTTP/1.1 200 OK\r\n\r\n0\r\n\r\n");
}

TEST(WriteQueueTest, FillStopsAtMaxBuffers) {
  WriteQueue queue(1000);
  queue.Push(Frame::FromPayload("aa"), false);
  queue.Push(Frame::FromPayload("bbb"), false);
  queue.Push(Frame::FromPayload("cccc"), false);
  size_t count = 0;
  EXPECT_EQ(FilledBytes(queue, 2, &count), "aabbb");
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(FilledBytes(queue, 1, &count), "aa");
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(FilledBytes(queue, 10, &count), "aabbbcccc");
  EXPECT_EQ(count, 3u);
  // Fill does not consume.
  EXPECT_EQ(queue.bytes(), 9u);
  EXPECT_EQ(queue.frame_count(), 3u);
}

TEST(WriteQueueTest, FillWithZeroBuffers) {
  WriteQueue queue(1000);
  queue.Push(Frame::FromPayload("aa"), false);
  size_t total = 77;
  EXPECT_EQ(queue.Fill(nullptr, 0, &total), 0u);
  EXPECT_EQ(total, 0u);
}

TEST(WriteQueueTest, ConsumePartOfTheFirstFrame) {
  WriteQueue queue(1000);
  queue.Push(Frame::FromPayload("hello"), false);
  queue.Push(Frame::FromPayload("world"), false);
  queue.Consume(2);
  EXPECT_EQ(queue.bytes(), 8u);
  EXPECT_EQ(queue.frame_count(), 2u);
  EXPECT_EQ(FilledBytes(queue, 10), "lloworld");
  queue.Consume(2);
  EXPECT_EQ(FilledBytes(queue, 10), "oworld");
  EXPECT_EQ(queue.bytes(), 6u);
}

TEST(WriteQueueTest, ConsumeExactlyOneFrameReleasesIt) {
  WriteQueue queue(1000);
  queue.Push(Frame::FromPayload("hello"), false);
  queue.Push(Frame::FromPayload("world"), false);
  queue.Consume(5);
  EXPECT_EQ(queue.frame_count(), 1u);
  EXPECT_EQ(queue.bytes(), 5u);
  EXPECT_EQ(FilledBytes(queue, 10), "world");
}

TEST(WriteQueueTest, ConsumeAcrossFrames) {
  WriteQueue queue(1000);
  queue.Push(Frame::FromPayload("ab"), true);    // "2\r\nab\r\n" (7)
  queue.Push(Frame::FromPayload("cdef"), true);  // "4\r\ncdef\r\n" (9)
  queue.Push(Frame::FromPayload("g"), true);     // "1\r\ng\r\n" (6)
  ASSERT_EQ(queue.bytes(), 22u);
  queue.Consume(7 + 4);  // First frame plus "4\r\nc".
  EXPECT_EQ(queue.frame_count(), 2u);
  EXPECT_EQ(queue.bytes(), 11u);
  EXPECT_EQ(FilledBytes(queue, 10), "def\r\n1\r\ng\r\n");
  queue.Consume(11);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(WriteQueueTest, ByteAccountingMatchesFillAfterManyOperations) {
  WriteQueue queue(1 << 20);
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string payload(static_cast<size_t>(i % 7 + 1), static_cast<char>('a' + i % 26));
    FrameRef frame = Frame::FromPayload(payload);
    bool chunked = i % 2 == 0;
    ASSERT_EQ(queue.Push(frame, chunked), WriteQueue::PushResult::kQueued);
    expected += std::string(frame->view(chunked));
    if (i % 5 == 4) {
      size_t n = expected.size() / 3;
      queue.Consume(n);
      expected.erase(0, n);
    }
    ASSERT_EQ(queue.bytes(), expected.size()) << "after push " << i;
    ASSERT_EQ(FilledBytes(queue, 1000), expected) << "after push " << i;
  }
}

TEST(WriteQueueTest, QueueKeepsFramesAliveAfterCallerDropsItsReference) {
  WriteQueue queue(1000);
  {
    FrameRef frame = Frame::FromPayload(std::string(256, 'q'));
    queue.Push(frame, true);
  }  // The caller's reference is gone; the queue's must keep the bytes valid.
  std::string expected = "100\r\n" + std::string(256, 'q') + "\r\n";
  EXPECT_EQ(FilledBytes(queue, 4), expected);
  queue.Consume(100);  // Partially sent frame must stay alive too.
  EXPECT_EQ(FilledBytes(queue, 4), expected.substr(100));
}

TEST(WriteQueueTest, SameFrameQueuedTwiceIsSentTwice) {
  WriteQueue queue(1000);
  FrameRef frame = Frame::FromPayload("dup");
  queue.Push(frame, false);
  queue.Push(frame, false);
  EXPECT_EQ(FilledBytes(queue, 4), "dupdup");
  queue.Consume(4);
  EXPECT_EQ(FilledBytes(queue, 4), "up");
}

TEST(WriteQueueTest, ClearDropsEverything) {
  WriteQueue queue(1000);
  queue.Push(Frame::FromPayload("hello"), false);
  queue.PushUnbounded(Frame::FromPayload("world"), true);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
  EXPECT_EQ(queue.frame_count(), 0u);
  // Limit applies afresh after Clear.
  EXPECT_EQ(queue.Push(Frame::FromPayload(std::string(1000, 'x')), false), WriteQueue::PushResult::kQueued);
}

}  // namespace
}  // namespace ssebridge
