// Unit tests for the message frames (include/ssebridge/message_frame.h): the
// size a stream queues for a message must be known exactly before encoding,
// and the gap event says what the client missed.

#include "ssebridge/message_frame.h"

#include <string>

#include <gtest/gtest.h>

#include "ssebridge/envelope.h"
#include "ssebridge/publish_request.h"

namespace ssebridge {
namespace {

TEST(MessageFrameSizeTest, EqualsTheChunkedFrame) {
  for (const std::string& data : {std::string(), std::string("x"), std::string("a\r\nb\rc\nd"),
                                  std::string(15, '\n'), std::string(4000, '\r'), std::string(70000, 'y')}) {
    Message message;
    message.data = data;
    EXPECT_EQ(MessageFrameSize(message), EncodeMessageFrame(message)->chunked().size()) << data.size();
    message.id = "1796186418506012";
    message.event = "price";
    message.retry_ms = 2500;
    FrameRef frame = EncodeMessageFrame(message);
    EXPECT_EQ(MessageFrameSize(message), frame->chunked().size()) << data.size();
    EXPECT_GT(MessageFrameSize(message), frame->raw().size());
  }
}

TEST(MessageFrameSizeTest, ChunkedSizeCountsHexDigits) {
  EXPECT_EQ(Frame::ChunkedSize(0), 1u + 2 + 0 + 2);
  EXPECT_EQ(Frame::ChunkedSize(15), 1u + 2 + 15 + 2);
  EXPECT_EQ(Frame::ChunkedSize(16), 2u + 2 + 16 + 2);
  EXPECT_EQ(Frame::ChunkedSize(0x100000), 6u + 2 + 0x100000 + 2);
}

TEST(MaxPublishedFrameSizeTest, BoundsTheFrameWhateverTheId) {
  PublishRequest request;
  request.channels = {"a"};
  request.event = "update";
  request.data = "line one\r\nline two\n";
  const size_t bound = MaxPublishedFrameSize(request);
  for (const char* id : {"1", "1796186418506012", "18446744073709551615"}) {
    Message message;
    message.id = id;
    message.event = request.event;
    message.data = request.data;
    EXPECT_LE(MessageFrameSize(message), bound) << id;
  }
  Message longest;
  longest.id = "18446744073709551615";
  longest.event = request.event;
  longest.data = request.data;
  EXPECT_EQ(MessageFrameSize(longest), bound);
}

// What the issue measured: 900 KB of "\n" escapes decode to 450 KB of LFs and
// encode to about 3 MiB, beyond the default 1 MiB --client-buffer-bytes.
TEST(MaxPublishedFrameSizeTest, LineBreaksAreCountedEncoded) {
  PublishRequest request;
  request.channels = {"a"};
  request.data = std::string(450 * 1024, '\n');
  EXPECT_GT(MaxPublishedFrameSize(request), 3u * 1024 * 1024);
}

TEST(EncodeGapFrameTest, NamesTheResumeIdTheOldestIdAndTheReason) {
  FrameRef frame = EncodeGapFrame("41", 42, "trimmed");
  EXPECT_EQ(frame->raw(), "event: gap\ndata: {\"lastEventId\":\"41\",\"oldestId\":\"42\",\"reason\":\"trimmed\"}\n\n");
  EXPECT_EQ(frame->id(), 0u);  // No id: the browser keeps its Last-Event-ID.
  FrameRef none = EncodeGapFrame("a\"b", 0, "unknown-id");
  EXPECT_EQ(none->raw(), "event: gap\ndata: {\"lastEventId\":\"a\\\"b\",\"oldestId\":null,\"reason\":\"unknown-id\"}\n\n");
}

}  // namespace
}  // namespace ssebridge
