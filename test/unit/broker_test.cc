// Unit tests for the frame-size helpers of include/ssebridge/broker.h: the
// size a stream queues for a message must be known exactly before encoding.

#include "ssebridge/broker.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

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

FrameRef IdFrame(uint64_t id, size_t data_bytes = 10) {
  // SseEvent's fields are views: the strings must outlive the encoding.
  const std::string id_text = std::to_string(id);
  const std::string data(data_bytes, 'x');
  SseEvent event;
  event.id = id_text;
  event.data = data;
  return EncodeEventFrame(event, id);
}

std::vector<uint64_t> FrameIds(const std::vector<FrameRef>& frames) {
  std::vector<uint64_t> ids;
  for (const FrameRef& frame : frames) ids.push_back(frame->id());
  return ids;
}

TEST(BoundReplayTest, KeepsTheNewestWithinCountAndBytes) {
  std::vector<FrameRef> frames;
  for (uint64_t id = 1; id <= 10; ++id) frames.push_back(IdFrame(id));
  ReplayLimits limits;
  limits.max_messages = 4;
  limits.max_bytes = 1 << 20;
  std::vector<FrameRef> by_count = frames;
  EXPECT_EQ(KeepNewestFrames(limits, &by_count), 6u);
  EXPECT_EQ(FrameIds(by_count), (std::vector<uint64_t>{7, 8, 9, 10}));

  limits.max_messages = 100;
  limits.max_bytes = 3 * frames[9]->chunked().size();  // Ids 8 to 10 are the same size.
  std::vector<FrameRef> by_bytes = frames;
  EXPECT_EQ(KeepNewestFrames(limits, &by_bytes), 7u);
  EXPECT_EQ(FrameIds(by_bytes), (std::vector<uint64_t>{8, 9, 10}));

  std::vector<FrameRef> fits = {frames[0], frames[1]};
  EXPECT_EQ(KeepNewestFrames(limits, &fits), 0u);
  EXPECT_EQ(fits.size(), 2u);
}

TEST(BoundReplayTest, ALeftOutMessageAfterTheResumeIdIsAGapUnlessOneIsReported) {
  ReplayLimits limits;
  limits.max_messages = 2;
  Counters counters;
  ReplayResult result;
  for (uint64_t id = 11; id <= 15; ++id) result.frames.push_back(IdFrame(id));
  BoundReplay(limits, 10, 0, &counters, &result);
  EXPECT_TRUE(result.gap);
  EXPECT_EQ(result.gap_reason, "too-many");
  EXPECT_EQ(FrameIds(result.frames), (std::vector<uint64_t>{14, 15}));
  EXPECT_EQ(counters.replays_truncated, 1u);
  EXPECT_EQ(counters.replay_gaps, 1u);

  // A shared read left out ids at or below this resume's id: nothing lost.
  ReplayResult later;
  later.frames = {IdFrame(14), IdFrame(15)};
  BoundReplay(limits, 13, 12, &counters, &later);
  EXPECT_FALSE(later.gap);
  EXPECT_EQ(counters.replays_truncated, 1u);
  // ... but one above it is.
  ReplayResult earlier;
  earlier.frames = {IdFrame(14), IdFrame(15)};
  BoundReplay(limits, 10, 12, &counters, &earlier);
  EXPECT_EQ(earlier.gap_reason, "too-many");

  // A gap already found keeps its reason.
  ReplayResult trimmed;
  trimmed.gap = true;
  trimmed.gap_reason = "trimmed";
  for (uint64_t id = 11; id <= 15; ++id) trimmed.frames.push_back(IdFrame(id));
  BoundReplay(limits, 10, 0, &counters, &trimmed);
  EXPECT_EQ(trimmed.gap_reason, "trimmed");
  EXPECT_EQ(trimmed.frames.size(), 2u);
  EXPECT_EQ(counters.replays_truncated, 3u);
  EXPECT_EQ(counters.replay_gaps, 3u);
}

}  // namespace
}  // namespace ssebridge
