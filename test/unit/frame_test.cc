// Unit tests for Frame / FrameRef (include/ssebridge/frame.h): the two wire
// views of one shared allocation, and reference counting.

#include "ssebridge/frame.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "heap_stats.h"

namespace ssebridge {
namespace {

TEST(FrameTest, ChunkedViewIsHexSizeCrlfPayloadCrlf) {
  FrameRef frame = Frame::FromPayload("hello");
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->chunked(), "5\r\nhello\r\n");
  EXPECT_EQ(frame->raw(), "hello");
  EXPECT_EQ(frame->raw_size(), 5u);
}

TEST(FrameTest, ChunkSizeIsHexadecimal) {
  // 16 bytes -> "10"; 4096 bytes -> "1000". Decimal would corrupt the stream.
  std::string payload16(16, 'x');
  FrameRef a = Frame::FromPayload(payload16);
  EXPECT_EQ(a->chunked(), "10\r\n" + payload16 + "\r\n");
  // 26 bytes -> 0x1a (either letter case is valid HTTP).
  FrameRef c = Frame::FromPayload(std::string(26, 'x'));
  std::string head(c->chunked().substr(0, c->chunked().find("\r\n")));
  EXPECT_EQ(std::stoul(head, nullptr, 16), 26u) << head;
  EXPECT_EQ(head.size(), 2u);

  std::string payload4096(4096, 'y');
  FrameRef b = Frame::FromPayload(payload4096);
  EXPECT_EQ(b->chunked(), "1000\r\n" + payload4096 + "\r\n");
  EXPECT_EQ(b->raw(), payload4096);
}

TEST(FrameTest, LargePayloadChunkHeaderFitsReservedRoom) {
  // 1 MiB + 1 -> "100001": a six-digit header must still fit the reserved room.
  std::string payload((1 << 20) + 1, 'z');
  FrameRef frame = Frame::FromPayload(payload);
  EXPECT_EQ(frame->chunked().substr(0, 8), "100001\r\n");
  EXPECT_EQ(frame->chunked().size(), 8 + payload.size() + 2);
  EXPECT_EQ(frame->raw(), payload);
}

TEST(FrameTest, RawAndChunkedViewsShareThePayloadBytes) {
  FrameRef frame = Frame::FromPayload("shared");
  std::string_view chunked = frame->chunked();
  std::string_view raw = frame->raw();
  // The raw view is the chunked view minus the header line and trailing CRLF,
  // at the same address (one allocation, no copy).
  EXPECT_EQ(raw.data(), chunked.data() + 3);
  EXPECT_EQ(frame->view(true), chunked);
  EXPECT_EQ(frame->view(false), raw);
}

TEST(FrameTest, SealUsesBufferFromStartBuffer) {
  std::string buffer = Frame::StartBuffer();
  EXPECT_EQ(buffer.size(), Frame::kHeaderRoom);
  buffer += "data: x\n\n";
  FrameRef frame = Frame::Seal(std::move(buffer));
  EXPECT_EQ(frame->raw(), "data: x\n\n");
  EXPECT_EQ(frame->chunked(), "9\r\ndata: x\n\n\r\n");
}

TEST(FrameTest, BinaryPayloadWithNulBytes) {
  std::string payload("a\0b\r\n", 5);
  FrameRef frame = Frame::FromPayload(payload);
  EXPECT_EQ(frame->raw(), payload);
  EXPECT_EQ(frame->chunked(), std::string("5\r\n") + payload + "\r\n");
}

TEST(FrameTest, EmptyPayloadIsTheLastChunkMarker) {
  // An empty chunk is the chunked-encoding terminator; used to end a stream.
  FrameRef frame = Frame::FromPayload("");
  EXPECT_EQ(frame->raw(), "");
  EXPECT_EQ(frame->raw_size(), 0u);
  EXPECT_EQ(frame->chunked(), "0\r\n\r\n");
}

TEST(FrameRefTest, DefaultIsNull) {
  FrameRef ref;
  EXPECT_FALSE(ref);
  EXPECT_EQ(ref.get(), nullptr);
}

TEST(FrameRefTest, CopiesShareOneFrame) {
  FrameRef a = Frame::FromPayload("abc");
  std::vector<FrameRef> copies{a, a};
  copies.push_back(copies[0]);
  for (const FrameRef& copy : copies) {
    EXPECT_EQ(copy.get(), a.get());
    EXPECT_EQ(copy->raw().data(), a->raw().data());  // Same bytes, not a copy.
  }
  copies.clear();
  EXPECT_EQ(a->raw(), "abc");  // Dropping copies leaves the original intact.
}

TEST(FrameRefTest, MoveLeavesSourceEmpty) {
  FrameRef a = Frame::FromPayload("abc");
  const Frame* original = a.get();
  FrameRef b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the contract says it is emptied.
  EXPECT_EQ(b.get(), original);
}

TEST(FrameRefTest, CopyOutlivesOriginal) {
  // Under ASan a premature free would be reported as heap-use-after-free here.
  FrameRef survivor;
  {
    FrameRef original = Frame::FromPayload("here too!");
    survivor = original;
  }
  ASSERT_TRUE(survivor);
  EXPECT_EQ(survivor->raw(), "here too!");
  EXPECT_EQ(survivor->chunked(), "9\r\nhere too!\r\n");
}

TEST(FrameRefTest, SelfAssignmentKeepsTheFrame) {
  FrameRef a = Frame::FromPayload("self");
  FrameRef& alias = a;
  a = alias;
  ASSERT_TRUE(a);
  EXPECT_EQ(a->raw(), "self");
}

TEST(FrameRefTest, CopiesDoNotAllocateAndLastReleaseFrees) {
  if (test::LiveHeapBytes() == 0) GTEST_SKIP() << "no allocator statistics on this platform";
  // A payload big enough (8 MiB) that allocator noise cannot hide it.
  constexpr size_t kSize = 8 << 20;
  std::vector<FrameRef> copies;
  copies.reserve(16);
  const size_t baseline = test::LiveHeapBytes();
  {
    FrameRef frame = Frame::FromPayload(std::string(kSize, 'p'));
    const size_t with_frame = test::LiveHeapBytes();
    EXPECT_GE(with_frame, baseline + kSize);

    for (int i = 0; i < 10; ++i) copies.push_back(frame);
    // Ten copies of a copying implementation would add 80 MiB.
    EXPECT_LT(test::LiveHeapBytes(), with_frame + kSize / 2) << "copying a FrameRef must not copy bytes";

    copies.clear();
    EXPECT_GE(test::LiveHeapBytes(), baseline + kSize) << "frame freed while a reference remained";
    EXPECT_EQ(frame->raw().size(), kSize);
    EXPECT_EQ(frame->raw()[kSize - 1], 'p');
  }
  // The last reference is gone: the payload buffer is released.
  EXPECT_LT(test::LiveHeapBytes(), baseline + kSize / 2);
}

}  // namespace
}  // namespace ssebridge
