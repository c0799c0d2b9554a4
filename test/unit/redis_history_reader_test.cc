// Unit tests for RedisHistoryReader (include/ssebridge/redis_history_reader.h):
// the fetch script's arguments, shared reads of one topic set, a read from an
// earlier point, serving from memory, and every gap reason a Redis read gives.

#include "ssebridge/redis_history_reader.h"

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_redis.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_scripts.h"
#include "ssebridge/sse.h"

namespace ssebridge {
namespace {

using namespace fake_redis;  // RESP builders and FakeRedis.
using testing::ElementsAre;
using testing::IsEmpty;

constexpr uint64_t kTtlMs = 1000;

// The fetch script's reply: now_us, clock, epoch, omitted, then the channels.
std::string FetchReply(uint64_t now_us, uint64_t clock, uint64_t epoch, uint64_t omitted,
                       const std::vector<std::string>& channels) {
  std::vector<std::string> items = {Integer(static_cast<long long>(now_us)), Bulk(std::to_string(clock)),
                                    Bulk(std::to_string(epoch)), Bulk(std::to_string(omitted))};
  items.insert(items.end(), channels.begin(), channels.end());
  return Array(items);
}
std::string Channel(const std::string& name, uint64_t watermark, bool missing, const std::vector<uint64_t>& ids,
                    uint64_t omitted = 0) {
  std::vector<std::string> flat;
  for (uint64_t id : ids) {
    flat.push_back(Bulk(std::to_string(id)));
    flat.push_back(Bulk(Envelope(id, "m" + std::to_string(id))));
  }
  return Array({Bulk(name), Integer(0), Bulk(std::to_string(watermark)), Integer(missing ? 1 : 0), Array(flat),
                Bulk(std::to_string(omitted))});
}

std::vector<uint64_t> Ids(const ReplayResult& result) {
  std::vector<uint64_t> ids;
  for (const FrameRef& frame : result.frames) ids.push_back(frame->id());
  return ids;
}

History::Limits Retention() {
  History::Limits limits;
  limits.messages_per_channel = 100;
  limits.ttl_ms = kTtlMs;
  return limits;
}

class RedisHistoryReaderTest : public testing::Test {
 protected:
  // Starts a resume; its result lands in results_[index].
  size_t Replay(std::vector<std::string> topics, const std::string& after,
                std::optional<uint64_t> local_after = std::nullopt) {
    const size_t index = results_.size();
    results_.emplace_back();
    reader_.Replay(topics, after, local_after, [this, index](ReplayResult result) {
      ASSERT_FALSE(results_[index].has_value()) << "answered twice";
      results_[index] = std::move(result);
    });
    return index;
  }

  const ReplayResult& Result(size_t index) {
    EXPECT_TRUE(results_[index].has_value()) << "not answered";
    if (!results_[index]) results_[index] = ReplayResult();
    return *results_[index];
  }

  FakeRedis redis_;
  CompletionQueue completions_;
  Counters counters_;
  History history_{Retention()};
  ReplayLimits limits_;
  RedisHistoryReader reader_{&redis_, &completions_, &counters_, &history_, &limits_};
  std::vector<std::optional<ReplayResult>> results_;
};

TEST_F(RedisHistoryReaderTest, AskesForEveryTopicFromTheResumeIdWithinTheBound) {
  limits_.max_messages = 50;
  limits_.max_bytes = 4096;
  Replay({"b", "a"}, "10");
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(redis_.sent.front().args, ElementsAre("EVAL", kFetchScript, "0", "1000:50:8192", "a", "10", "b", "10"));
  EXPECT_EQ(counters_.redis_history_reads, 1u);
  EXPECT_EQ(counters_.replays_from_redis, 1u);
}

TEST_F(RedisHistoryReaderTest, ResumesOfOneTopicSetShareAReadFromTheEarliestPoint) {
  const size_t early = Replay({"a", "b"}, "10");
  const size_t late = Replay({"b", "a"}, "12");  // Same set, later point: shares.
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(reader_.pending_reads(), 1u);
  redis_.Answer(FetchReply(5000, 14, 0, 0, {Channel("a", 0, false, {11, 13}), Channel("b", 0, false, {12, 14})}));
  EXPECT_THAT(Ids(Result(early)), ElementsAre(11, 12, 13, 14));
  EXPECT_THAT(Ids(Result(late)), ElementsAre(13, 14));
  EXPECT_FALSE(Result(early).gap);
  EXPECT_FALSE(Result(late).gap);
  EXPECT_EQ(Result(late).oldest_id, 11u);
  EXPECT_EQ(reader_.pending_reads(), 0u);
}

TEST_F(RedisHistoryReaderTest, AResumeFromAnEarlierPointReadsAlone) {
  const size_t late = Replay({"a"}, "12");
  const size_t early = Replay({"a"}, "10");  // The read under way starts too late for it.
  ASSERT_EQ(redis_.sent.size(), 2u);
  EXPECT_EQ(redis_.sent.back().args.back(), "10");
  redis_.Answer(FetchReply(5000, 13, 0, 0, {Channel("a", 0, false, {13})}));
  redis_.Answer(FetchReply(5000, 13, 0, 0, {Channel("a", 0, false, {11, 12, 13})}));
  EXPECT_THAT(Ids(Result(late)), ElementsAre(13));
  EXPECT_THAT(Ids(Result(early)), ElementsAre(11, 12, 13));
}

TEST_F(RedisHistoryReaderTest, ServedFromMemoryWhenTheLocalCopyCoversTheResumeId) {
  const std::string id_text = "20";
  SseEvent event;
  event.id = id_text;
  event.data = "x";
  history_.Append("a", 20, EncodeEventFrame(event, 20), 0);
  const size_t covered = Replay({"a"}, "15", 15);
  EXPECT_TRUE(redis_.sent.empty());
  EXPECT_FALSE(results_[covered].has_value());  // Never inside Replay().
  completions_.RunAll();
  EXPECT_THAT(Ids(Result(covered)), ElementsAre(20));
  // Covered only after a later id: Redis is asked.
  Replay({"a"}, "15", 16);
  EXPECT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(counters_.replays_from_redis, 1u);
}

TEST_F(RedisHistoryReaderTest, EachGapReason) {
  struct Case {
    const char* after;
    std::string reply;
    const char* reason;
  };
  const uint64_t now_us = 100 + kTtlMs * 1000 + 1;  // More than the TTL after id 100.
  const Case cases[] = {
      {"100", FetchReply(now_us, 120, 0, 0, {Channel("a", 0, false, {110})}), ""},
      {"500", FetchReply(now_us, 120, 0, 0, {Channel("a", 0, false, {110})}), "unknown-id"},
      {"abc", FetchReply(now_us, 120, 0, 0, {Channel("a", 0, false, {110})}), "unknown-id"},
      {"100", FetchReply(now_us, 120, 101, 0, {Channel("a", 0, false, {110})}), "history-reset"},
      {"100", FetchReply(now_us, 120, 0, 0, {Channel("a", 105, false, {110})}), "trimmed"},
      {"100", FetchReply(now_us, 120, 0, 0, {Channel("a", 0, true, {})}), "expired"},
      {"100", FetchReply(100 + kTtlMs * 1000, 120, 0, 0, {Channel("a", 0, true, {})}), ""},
      {"100", FetchReply(now_us, 120, 0, 105, {Channel("a", 0, false, {110}, 105)}), "too-many"},
      {"100", "-ERR busy\r\n", "unavailable"},
  };
  for (const Case& c : cases) {
    const size_t index = Replay({"a"}, c.after);
    redis_.Answer(c.reply);
    // An id newer than the clock is read again from the start.
    if (!redis_.sent.empty()) redis_.Answer(c.reply);
    EXPECT_EQ(Result(index).gap, *c.reason != '\0') << c.after << " " << c.reason;
    EXPECT_EQ(Result(index).gap_reason, c.reason) << c.after;
  }
  const size_t lost = Replay({"a"}, "100");
  redis_.AnswerLost();
  EXPECT_EQ(Result(lost).gap_reason, "unavailable");
}

TEST_F(RedisHistoryReaderTest, AnIdNeverIssuedGetsEverythingFromTheStart) {
  const size_t index = Replay({"a"}, "500");
  EXPECT_EQ(redis_.sent.front().args.back(), "500");
  redis_.Answer(FetchReply(1000, 120, 0, 0, {}));
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(redis_.sent.front().args.back(), "0");
  redis_.Answer(FetchReply(1000, 120, 0, 0, {Channel("a", 0, false, {110, 120})}));
  EXPECT_TRUE(Result(index).from_start);
  EXPECT_THAT(Ids(Result(index)), ElementsAre(110, 120));
}

// An id parsed but newer than the clock was never issued: the read from it
// found nothing, so the stream restarts from the oldest retained message,
// read again from the start within the same bound.
TEST_F(RedisHistoryReaderTest, AnIdNewerThanTheClockIsReadAgainFromTheStart) {
  limits_.max_messages = 50;
  const size_t index = Replay({"a"}, "9999999999999999");
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(redis_.sent.front().args.back(), "9999999999999999");
  redis_.Answer(FetchReply(1000, 120, 0, 0, {}));
  EXPECT_FALSE(results_[index].has_value()) << "answered without the retained messages";
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(redis_.sent.front().args, ElementsAre("EVAL", kFetchScript, "0", "1000:50:2097152", "a", "0"));
  redis_.Answer(FetchReply(1000, 120, 0, 0, {Channel("a", 0, false, {110, 120})}));
  EXPECT_TRUE(Result(index).gap);
  EXPECT_EQ(Result(index).gap_reason, "unknown-id");
  EXPECT_TRUE(Result(index).from_start);
  EXPECT_THAT(Ids(Result(index)), ElementsAre(110, 120));
  EXPECT_EQ(Result(index).oldest_id, 110u);
  EXPECT_EQ(counters_.redis_history_reads, 2u);
  EXPECT_EQ(counters_.replays_from_redis, 1u);
  EXPECT_EQ(reader_.pending_reads(), 0u);
}

// A never-issued id that joined a read from a real, earlier id: that read
// holds only what followed the real id, so the unknown one reads from the
// start; the real one is answered from the shared read.
TEST_F(RedisHistoryReaderTest, AnIdNewerThanTheClockSharingAReadFromARealIdReadsFromTheStart) {
  const size_t real = Replay({"a"}, "115");
  const size_t bogus = Replay({"a"}, "9999999999999999");
  ASSERT_EQ(redis_.sent.size(), 1u);
  redis_.Answer(FetchReply(1000, 120, 0, 0, {Channel("a", 0, false, {120})}));
  EXPECT_THAT(Ids(Result(real)), ElementsAre(120));
  EXPECT_FALSE(Result(real).gap);
  EXPECT_FALSE(results_[bogus].has_value());
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(redis_.sent.front().args.back(), "0");
  redis_.Answer(FetchReply(1000, 120, 0, 0, {Channel("a", 0, false, {110, 120})}));
  EXPECT_EQ(Result(bogus).gap_reason, "unknown-id");
  EXPECT_TRUE(Result(bogus).from_start);
  EXPECT_THAT(Ids(Result(bogus)), ElementsAre(110, 120));
}

// The read from the start is bounded like any other: what it leaves out is
// reported as well (the gap stays unknown-id, the truncation is counted).
TEST_F(RedisHistoryReaderTest, TheReadFromTheStartForANeverIssuedIdIsBounded) {
  limits_.max_messages = 2;
  const size_t index = Replay({"a"}, "9999999999999999");
  redis_.Answer(FetchReply(1000, 130, 0, 0, {}));
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(redis_.sent.front().args[3], "1000:2:2097152");
  redis_.Answer(FetchReply(1000, 130, 0, 110, {Channel("a", 0, false, {120, 130}, 110)}));
  EXPECT_EQ(Result(index).gap_reason, "unknown-id");
  EXPECT_THAT(Ids(Result(index)), ElementsAre(120, 130));
  EXPECT_EQ(counters_.replays_truncated, 1u);
}

TEST_F(RedisHistoryReaderTest, FetchAnswersOnceEvenWhenNotSent) {
  redis_.connected = false;
  int calls = 0;
  reader_.Fetch({{"a", 1}}, [&](FetchResult result) {
    ++calls;
    EXPECT_FALSE(result.ok);
  });
  EXPECT_EQ(calls, 0);
  completions_.RunAll();
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(redis_.sent, IsEmpty());
}

}  // namespace
}  // namespace ssebridge
