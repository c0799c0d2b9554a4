// Unit tests for the replay policy shared by both brokers
// (include/ssebridge/replay_policy.h): the replay bounds and every gap reason,
// as pure functions of what a history store reports.

#include "ssebridge/replay_policy.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/sse.h"

namespace ssebridge {
namespace {

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

ResumeFacts Known(uint64_t after) {
  ResumeFacts facts;
  facts.id_known = true;
  facts.after = after;
  return facts;
}

TEST(ResumeGapTest, NoneWhenNothingAfterTheIdIsMissing) {
  EXPECT_EQ(ResumeGap(Known(10), {}), GapReason::kNone);
  // Dropped ids at or below the resume id were seen by the client.
  EXPECT_EQ(ResumeGap(Known(10), {{10, false}, {3, false}}), GapReason::kNone);
  // A channel without history is fine while the client was away less than the TTL.
  ResumeFacts recent = Known(1000);
  recent.now_us = 1500;
  recent.ttl_us = 600;
  EXPECT_EQ(ResumeGap(recent, {{0, true}}), GapReason::kNone);
}

TEST(ResumeGapTest, UnknownIdComesFirst) {
  ResumeFacts facts;  // id_known false
  facts.epoch = 50;
  EXPECT_EQ(ResumeGap(facts, {{99, false}}), GapReason::kUnknownId);
}

TEST(ResumeGapTest, AnIdBeforeTheEpochIsAHistoryReset) {
  ResumeFacts facts = Known(10);
  facts.epoch = 11;
  EXPECT_EQ(ResumeGap(facts, {{20, false}}), GapReason::kHistoryReset);
  facts.epoch = 10;
  EXPECT_EQ(ResumeGap(facts, {}), GapReason::kNone);
}

TEST(ResumeGapTest, TrimmedWhenAWatermarkPassesTheId) {
  EXPECT_EQ(ResumeGap(Known(10), {{5, false}, {11, false}}), GapReason::kTrimmed);
}

TEST(ResumeGapTest, ExpiredWhenAChannelIsGoneAndTheClientWasAwayLongerThanTheTtl) {
  ResumeFacts facts = Known(1000);
  facts.ttl_us = 600;
  facts.now_us = 1601;
  EXPECT_EQ(ResumeGap(facts, {{0, true}}), GapReason::kExpired);
  // Channels are looked at in order: the first that explains the gap names it.
  EXPECT_EQ(ResumeGap(facts, {{0, true}, {2000, false}}), GapReason::kExpired);
  EXPECT_EQ(ResumeGap(facts, {{2000, false}, {0, true}}), GapReason::kTrimmed);
}

TEST(MarkGapTest, NamesEachReasonAndAnUnknownIdStartsFromTheOldest) {
  const std::pair<GapReason, const char*> names[] = {
      {GapReason::kUnknownId, "unknown-id"}, {GapReason::kHistoryReset, "history-reset"},
      {GapReason::kTrimmed, "trimmed"},      {GapReason::kExpired, "expired"},
      {GapReason::kTooMany, "too-many"},     {GapReason::kUnavailable, "unavailable"},
      {GapReason::kHistoryDisabled, "history-disabled"}};
  for (const auto& [reason, name] : names) {
    ReplayResult result = GapOnly(reason);
    EXPECT_TRUE(result.gap) << name;
    EXPECT_EQ(result.gap_reason, name);
    EXPECT_EQ(result.from_start, reason == GapReason::kUnknownId) << name;
    EXPECT_TRUE(result.frames.empty());
  }
  ReplayResult none;
  MarkGap(GapReason::kNone, &none);
  EXPECT_FALSE(none.gap);
  EXPECT_EQ(none.gap_reason, "");
}

TEST(BoundReplayTest, AnUnknownIdIsTruncatedByAnyLeftOutMessage) {
  ReplayLimits limits;
  limits.max_messages = 1;
  Counters counters;
  ReplayResult result = GapOnly(GapReason::kUnknownId);
  result.frames = {IdFrame(3), IdFrame(4)};
  // `after` is meaningless here: everything retained was asked for.
  BoundReplay(limits, 100, 0, &counters, &result);
  EXPECT_EQ(FrameIds(result.frames), (std::vector<uint64_t>{4}));
  EXPECT_EQ(result.gap_reason, "unknown-id");
  EXPECT_EQ(counters.replays_truncated, 1u);
  EXPECT_EQ(counters.replay_gaps, 1u);
}

}  // namespace
}  // namespace ssebridge
