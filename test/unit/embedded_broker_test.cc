// Unit tests for EmbeddedBroker (include/ssebridge/embedded_broker.h): id
// issuance under a fake clock, multi-channel publishing with exactly-once
// fan-out and per-channel history, and the gap rules of Replay.

#include "ssebridge/embedded_broker.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ssebridge/metrics.h"

namespace ssebridge {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;

// The broker takes plain function pointers; the tests drive these globals.
uint64_t g_micros = 0;
uint64_t g_millis = 0;
uint64_t FakeMicros() { return g_micros; }
uint64_t FakeMillis() { return g_millis; }

constexpr uint64_t kStart = 1'700'000'000'000'000;  // Clock at construction.

// Records every frame it receives.
class RecordingSink : public StreamSink {
 public:
  void SendFrame(const FrameRef& frame) override { frames.push_back(frame); }
  void CutOff(const char*) override {}
  std::vector<FrameRef> frames;
};

History::Limits MakeLimits(size_t per_channel, uint64_t ttl_ms = 3600 * 1000, size_t max_bytes = 64u << 20) {
  History::Limits limits;
  limits.messages_per_channel = per_channel;
  limits.ttl_ms = ttl_ms;
  limits.max_bytes = max_bytes;
  return limits;
}

PublishRequest MakeRequest(std::vector<std::string> channels, std::string data, std::string event = "") {
  PublishRequest request;
  request.channels = std::move(channels);
  request.data = std::move(data);
  request.event = std::move(event);
  return request;
}

std::vector<uint64_t> FrameIds(const std::vector<FrameRef>& frames) {
  std::vector<uint64_t> ids;
  for (const FrameRef& frame : frames) ids.push_back(frame->id());
  return ids;
}

class EmbeddedBrokerTest : public testing::Test {
 protected:
  void SetUp() override {
    g_micros = kStart;
    g_millis = 5000;
  }

  void TearDown() override {
    for (auto* subscriber : live_) registry_.Unsubscribe(subscriber);
  }

  std::unique_ptr<EmbeddedBroker> MakeBroker(History::Limits limits) {
    return std::make_unique<EmbeddedBroker>(&completions_, &registry_, &counters_, limits, FakeMicros, FakeMillis);
  }

  void Sub(StreamSink* sink, const std::vector<std::string>& names) {
    live_.push_back(registry_.Subscribe(sink, names));
  }

  // Publishes at clock `micros`; checks the callback did not run before
  // Publish() returned, ran exactly once from the completion queue, and
  // returns the outcome.
  PublishOutcome PublishAt(EmbeddedBroker* broker, uint64_t micros, std::vector<std::string> channels,
                           std::string data = "hello") {
    g_micros = micros;
    int calls = 0;
    PublishOutcome outcome;
    broker->Publish(MakeRequest(std::move(channels), std::move(data)), [&](const PublishOutcome& o) {
      ++calls;
      outcome = o;
    });
    EXPECT_EQ(calls, 0);
    completions_.RunAll();
    EXPECT_EQ(calls, 1);
    return outcome;
  }

  // Replays and checks the callback ran exactly once, after Replay() returned.
  ReplayResult Replay(EmbeddedBroker* broker, std::vector<std::string> topics, const std::string& after) {
    int calls = 0;
    ReplayResult result;
    broker->Replay(topics, after, [&](ReplayResult r) {
      ++calls;
      result = std::move(r);
    });
    EXPECT_EQ(calls, 0) << "after=" << after;
    completions_.RunAll();
    EXPECT_EQ(calls, 1) << "after=" << after;
    return result;
  }

  CompletionQueue completions_;
  PubsubRegistry registry_;
  Counters counters_;
  std::vector<PubsubRegistry::Subscriber*> live_;
};

// --- NextId -----------------------------------------------------------------------------

TEST_F(EmbeddedBrokerTest, NextIdEqualsClockWhenClockMovesForward) {
  auto broker = MakeBroker(MakeLimits(10));
  g_micros = kStart;
  EXPECT_EQ(broker->NextId(), kStart);
  g_micros = kStart + 5;
  EXPECT_EQ(broker->NextId(), kStart + 5);
  g_micros = kStart + 1'000'000;
  EXPECT_EQ(broker->NextId(), kStart + 1'000'000);
}

TEST_F(EmbeddedBrokerTest, NextIdIncreasesWhenClockStandsStill) {
  auto broker = MakeBroker(MakeLimits(10));
  g_micros = kStart + 100;
  EXPECT_EQ(broker->NextId(), kStart + 100);
  EXPECT_EQ(broker->NextId(), kStart + 101);
  EXPECT_EQ(broker->NextId(), kStart + 102);
  g_micros = kStart + 101;  // Moved, but not past the last id.
  EXPECT_EQ(broker->NextId(), kStart + 103);
  g_micros = kStart + 200;
  EXPECT_EQ(broker->NextId(), kStart + 200);
}

TEST_F(EmbeddedBrokerTest, NextIdIncreasesWhenClockGoesBackwards) {
  auto broker = MakeBroker(MakeLimits(10));
  g_micros = kStart + 1000;
  EXPECT_EQ(broker->NextId(), kStart + 1000);
  g_micros = kStart;  // NTP step back.
  EXPECT_EQ(broker->NextId(), kStart + 1001);
  g_micros = 1;
  EXPECT_EQ(broker->NextId(), kStart + 1002);
  g_micros = kStart + 999;
  EXPECT_EQ(broker->NextId(), kStart + 1003);
  g_micros = kStart + 5000;
  EXPECT_EQ(broker->NextId(), kStart + 5000);
}

TEST_F(EmbeddedBrokerTest, PublishIdsAreStrictlyIncreasingUnderErraticClock) {
  auto broker = MakeBroker(MakeLimits(1000));
  const uint64_t clock[] = {kStart, kStart, kStart + 3, kStart + 1, kStart + 1, kStart + 10, kStart - 50, kStart + 11};
  uint64_t previous = 0;
  for (uint64_t micros : clock) {
    PublishOutcome outcome = PublishAt(broker.get(), micros, {"a"});
    ASSERT_EQ(outcome.status, 200);
    const uint64_t id = std::stoull(outcome.id);
    EXPECT_GT(id, previous);
    EXPECT_GE(id, micros);
    previous = id;
  }
  // Every one of them was accepted into history (ids increase per channel).
  EXPECT_EQ(broker->history_messages(), 8u);
}

// --- Publish ----------------------------------------------------------------------------

TEST_F(EmbeddedBrokerTest, PublishToSeveralChannelsDeliversOneFrameOncePerStream) {
  auto broker = MakeBroker(MakeLimits(10));
  RecordingSink both, only_b, pattern, other;
  Sub(&both, {"a", "b"});
  Sub(&only_b, {"b"});
  Sub(&pattern, {"*"});
  Sub(&other, {"z"});

  PublishOutcome outcome = PublishAt(broker.get(), kStart + 42, {"a", "b", "c"}, "payload-1");
  EXPECT_EQ(outcome.status, 200);
  EXPECT_EQ(outcome.id, std::to_string(kStart + 42));
  EXPECT_THAT(outcome.error, IsEmpty());

  ASSERT_EQ(both.frames.size(), 1u);
  ASSERT_EQ(only_b.frames.size(), 1u);
  ASSERT_EQ(pattern.frames.size(), 1u);
  EXPECT_THAT(other.frames, IsEmpty());
  // One shared frame, carrying the numeric id.
  EXPECT_EQ(both.frames[0].get(), only_b.frames[0].get());
  EXPECT_EQ(both.frames[0].get(), pattern.frames[0].get());
  EXPECT_EQ(both.frames[0]->id(), kStart + 42);
  const std::string raw(both.frames[0]->raw());
  EXPECT_NE(raw.find("id: " + outcome.id + "\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("payload-1"), std::string::npos) << raw;

  EXPECT_EQ(counters_.deliveries, 3u);
  EXPECT_EQ(counters_.messages_received, 1u);
  EXPECT_EQ(counters_.messages_published, 3u);

  // History holds it once per channel, all the same frame.
  EXPECT_EQ(broker->history_messages(), 3u);
  EXPECT_GT(broker->history_bytes(), 0u);
  for (const char* channel : {"a", "b", "c"}) {
    ReplayResult result = Replay(broker.get(), {channel}, std::to_string(kStart + 41));
    EXPECT_FALSE(result.gap) << channel << " " << result.gap_reason;
    ASSERT_EQ(result.frames.size(), 1u) << channel;
    EXPECT_EQ(result.frames[0].get(), both.frames[0].get()) << channel;
  }
  // Replayed across all of them, it comes once.
  ReplayResult all = Replay(broker.get(), {"a", "b", "c", "*"}, std::to_string(kStart + 41));
  EXPECT_THAT(FrameIds(all.frames), ElementsAre(kStart + 42));
}

TEST_F(EmbeddedBrokerTest, PublishWithoutSubscribersStillRecordsHistory) {
  auto broker = MakeBroker(MakeLimits(10));
  PublishOutcome outcome = PublishAt(broker.get(), kStart + 1, {"quiet"});
  EXPECT_EQ(outcome.status, 200);
  EXPECT_EQ(counters_.deliveries, 0u);
  EXPECT_EQ(broker->history_messages(), 1u);
  ReplayResult result = Replay(broker.get(), {"quiet"}, std::to_string(kStart));
  EXPECT_FALSE(result.gap);
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(kStart + 1));
}

// --- Replay -----------------------------------------------------------------------------

class EmbeddedBrokerReplayTest : public EmbeddedBrokerTest {
 protected:
  // Five messages on "a" (cap 3): ids kStart+10 .. kStart+50; +10 and +20 trimmed.
  void SetUp() override {
    EmbeddedBrokerTest::SetUp();
    broker_ = MakeBroker(MakeLimits(3));
    for (uint64_t k = 1; k <= 5; ++k) ids_.push_back(std::stoull(PublishAt(broker_.get(), kStart + 10 * k, {"a"}).id));
    ASSERT_THAT(ids_, ElementsAre(kStart + 10, kStart + 20, kStart + 30, kStart + 40, kStart + 50));
  }
  std::string Id(size_t index) const { return std::to_string(ids_[index]); }

  std::unique_ptr<EmbeddedBroker> broker_;
  std::vector<uint64_t> ids_;
};

TEST_F(EmbeddedBrokerReplayTest, AfterRetainedIdReturnsTheRestWithoutGap) {
  ReplayResult result = Replay(broker_.get(), {"a"}, Id(2));
  EXPECT_FALSE(result.gap) << result.gap_reason;
  EXPECT_FALSE(result.from_start);
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(ids_[3], ids_[4]));
  EXPECT_EQ(result.oldest_id, ids_[2]);
  EXPECT_EQ(counters_.replays, 1u);
  EXPECT_EQ(counters_.replay_gaps, 0u);
}

TEST_F(EmbeddedBrokerReplayTest, AfterLastTrimmedIdIsStillComplete) {
  // The client saw +20, the newest trimmed one: it missed nothing.
  ReplayResult result = Replay(broker_.get(), {"a"}, Id(1));
  EXPECT_FALSE(result.gap) << result.gap_reason;
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(ids_[2], ids_[3], ids_[4]));
}

TEST_F(EmbeddedBrokerReplayTest, AfterNewestIdReturnsNothingWithoutGap) {
  ReplayResult result = Replay(broker_.get(), {"a"}, Id(4));
  EXPECT_FALSE(result.gap) << result.gap_reason;
  EXPECT_THAT(result.frames, IsEmpty());
  EXPECT_EQ(result.oldest_id, ids_[2]);
}

TEST_F(EmbeddedBrokerReplayTest, AfterTrimmedIdReportsTrimmedGap) {
  for (const std::string& after : {Id(0), std::to_string(ids_[1] - 1)}) {
    ReplayResult result = Replay(broker_.get(), {"a"}, after);
    EXPECT_TRUE(result.gap) << after;
    EXPECT_EQ(result.gap_reason, "trimmed") << after;
    EXPECT_FALSE(result.from_start) << after;
    EXPECT_THAT(FrameIds(result.frames), ElementsAre(ids_[2], ids_[3], ids_[4])) << after;
    EXPECT_EQ(result.oldest_id, ids_[2]) << after;
  }
  EXPECT_EQ(counters_.replays, 2u);
  EXPECT_EQ(counters_.replay_gaps, 2u);
}

TEST_F(EmbeddedBrokerReplayTest, UnparsableIdReportsUnknownIdWithEverything) {
  for (const std::string after : {"abc", "", "-1", "12x", "1.5", "123456789012345678901"}) {
    ReplayResult result = Replay(broker_.get(), {"a"}, after);
    EXPECT_TRUE(result.gap) << '"' << after << '"';
    EXPECT_EQ(result.gap_reason, "unknown-id") << '"' << after << '"';
    EXPECT_TRUE(result.from_start) << '"' << after << '"';
    EXPECT_THAT(FrameIds(result.frames), ElementsAre(ids_[2], ids_[3], ids_[4])) << '"' << after << '"';
    EXPECT_EQ(result.oldest_id, ids_[2]);
  }
}

TEST_F(EmbeddedBrokerReplayTest, IdNewerThanLastIssuedIsUnknown) {
  for (const std::string& after : {std::to_string(ids_[4] + 1), std::to_string(ids_[4] + 1'000'000),
                                   std::string("9999999999999999999")}) {
    ReplayResult result = Replay(broker_.get(), {"a"}, after);
    EXPECT_TRUE(result.gap) << after;
    EXPECT_EQ(result.gap_reason, "unknown-id") << after;
    EXPECT_TRUE(result.from_start) << after;
    EXPECT_THAT(FrameIds(result.frames), ElementsAre(ids_[2], ids_[3], ids_[4])) << after;
  }
}

TEST_F(EmbeddedBrokerReplayTest, ReplayOnUnknownChannelStillHonoursTheRules) {
  ReplayResult ok = Replay(broker_.get(), {"nobody"}, Id(4));
  EXPECT_FALSE(ok.gap) << ok.gap_reason;
  EXPECT_THAT(ok.frames, IsEmpty());
  EXPECT_EQ(ok.oldest_id, 0u);
  ReplayResult bad = Replay(broker_.get(), {"nobody"}, "nope");
  EXPECT_TRUE(bad.gap);
  EXPECT_EQ(bad.gap_reason, "unknown-id");
}

TEST_F(EmbeddedBrokerTest, IdOlderThanBrokerStartIsUnknown) {
  auto broker = MakeBroker(MakeLimits(100));  // recording_since = kStart.
  PublishAt(broker.get(), kStart + 10, {"a"});
  PublishAt(broker.get(), kStart + 20, {"a"});
  for (const std::string& after : {std::to_string(kStart - 2), std::to_string(kStart - 1'000'000), std::string("1"),
                                   std::string("0")}) {
    ReplayResult result = Replay(broker.get(), {"a"}, after);
    EXPECT_TRUE(result.gap) << after;
    EXPECT_EQ(result.gap_reason, "unknown-id") << after;
    EXPECT_TRUE(result.from_start) << after;
    EXPECT_THAT(FrameIds(result.frames), ElementsAre(kStart + 10, kStart + 20)) << after;
    EXPECT_EQ(result.oldest_id, kStart + 10);
  }
  // From just before the first id this process could issue, nothing is missing.
  ReplayResult complete = Replay(broker.get(), {"a"}, std::to_string(kStart - 1));
  EXPECT_FALSE(complete.gap) << complete.gap_reason;
  EXPECT_THAT(FrameIds(complete.frames), ElementsAre(kStart + 10, kStart + 20));
  // And from an id issued here, just the rest.
  ReplayResult rest = Replay(broker.get(), {"a"}, std::to_string(kStart + 10));
  EXPECT_FALSE(rest.gap) << rest.gap_reason;
  EXPECT_THAT(FrameIds(rest.frames), ElementsAre(kStart + 20));
}

TEST_F(EmbeddedBrokerTest, RecordingSinceIsTheClockAtConstructionNotAtFirstPublish) {
  g_micros = kStart;
  auto broker = MakeBroker(MakeLimits(100));
  // A quiet hour, then the first message.
  PublishAt(broker.get(), kStart + 3'600'000'000, {"a"});
  // An id from the quiet period was never issued by anyone here but nothing
  // was missed after it; the resume is complete.
  ReplayResult result = Replay(broker.get(), {"a"}, std::to_string(kStart + 1'000'000));
  EXPECT_FALSE(result.gap) << result.gap_reason;
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(kStart + 3'600'000'000));
}

// Regression: recording_since is the clock at construction, but
// last_id_ starts at 0, so if the wall clock steps back between construction
// and the first publish (NTP at boot), NextId() issues ids *below*
// recording_since. A client resuming from such an id, which this process
// issued and still retains, is then told "unknown-id" and replayed everything
// again (duplicates). history.h says recording_since is "the first id this
// process issues"; ids must never go below it.
TEST_F(EmbeddedBrokerTest, IdsIssuedAfterClockStepsBackAtStartupAreResumable) {
  g_micros = kStart;
  auto broker = MakeBroker(MakeLimits(100));  // recording_since = kStart.
  const uint64_t first = std::stoull(PublishAt(broker.get(), kStart - 1000, {"a"}).id);
  const uint64_t second = std::stoull(PublishAt(broker.get(), kStart - 990, {"a"}).id);
  ASSERT_LT(first, second);
  ReplayResult result = Replay(broker.get(), {"a"}, std::to_string(first));
  EXPECT_FALSE(result.gap) << "resume from issued id " << first << ": " << result.gap_reason;
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(second));
}

TEST_F(EmbeddedBrokerTest, ReplayBeforeAnyPublishIsUnknown) {
  auto broker = MakeBroker(MakeLimits(100));
  ReplayResult result = Replay(broker.get(), {"a"}, std::to_string(kStart + 5));
  EXPECT_TRUE(result.gap);
  EXPECT_EQ(result.gap_reason, "unknown-id");
  EXPECT_THAT(result.frames, IsEmpty());
  EXPECT_EQ(result.oldest_id, 0u);
}

TEST_F(EmbeddedBrokerTest, HistoryDisabledReportsGapAndStillDelivers) {
  auto broker = MakeBroker(MakeLimits(0));
  RecordingSink sink;
  Sub(&sink, {"a"});
  PublishOutcome outcome = PublishAt(broker.get(), kStart + 1, {"a"});
  EXPECT_EQ(outcome.status, 200);
  EXPECT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(broker->history_messages(), 0u);
  EXPECT_EQ(broker->history_bytes(), 0u);
  for (const std::string& after : {outcome.id, std::string("garbage"), std::string("1")}) {
    ReplayResult result = Replay(broker.get(), {"a"}, after);
    EXPECT_TRUE(result.gap) << after;
    EXPECT_EQ(result.gap_reason, "history-disabled") << after;
    EXPECT_THAT(result.frames, IsEmpty()) << after;
  }
  EXPECT_EQ(counters_.replays, 3u);
  EXPECT_EQ(counters_.replay_gaps, 3u);
}

TEST_F(EmbeddedBrokerTest, ReplayAcrossChannelsAndPatternsIsAscendingAndUnique) {
  auto broker = MakeBroker(MakeLimits(100));
  PublishAt(broker.get(), kStart + 1, {"room.1", "room.2"});
  PublishAt(broker.get(), kStart + 2, {"room.2"});
  PublishAt(broker.get(), kStart + 3, {"lobby"});
  PublishAt(broker.get(), kStart + 4, {"room.1", "lobby"});
  ReplayResult result = Replay(broker.get(), {"room.*", "lobby"}, std::to_string(kStart));
  EXPECT_FALSE(result.gap) << result.gap_reason;
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(kStart + 1, kStart + 2, kStart + 3, kStart + 4));
  EXPECT_EQ(result.oldest_id, kStart + 1);
  ReplayResult tail = Replay(broker.get(), {"room.1", "room.2"}, std::to_string(kStart + 1));
  EXPECT_THAT(FrameIds(tail.frames), ElementsAre(kStart + 2, kStart + 4));
}

TEST_F(EmbeddedBrokerTest, MaintainExpiresAndReplayReportsTheLoss) {
  auto broker = MakeBroker(MakeLimits(100, /*ttl_ms=*/1000));
  g_millis = 10'000;
  PublishAt(broker.get(), kStart + 1, {"a"});
  g_millis = 10'500;
  PublishAt(broker.get(), kStart + 2, {"a"});
  broker->Maintain(10'999);
  EXPECT_EQ(broker->history_messages(), 2u);
  broker->Maintain(11'200);  // The first (1200 ms old) expires, the second (700 ms) stays.
  EXPECT_EQ(broker->history_messages(), 1u);

  ReplayResult result = Replay(broker.get(), {"a"}, std::to_string(kStart));
  EXPECT_TRUE(result.gap);
  EXPECT_TRUE(result.gap_reason == "trimmed" || result.gap_reason == "expired") << result.gap_reason;
  EXPECT_THAT(FrameIds(result.frames), ElementsAre(kStart + 2));
  EXPECT_EQ(result.oldest_id, kStart + 2);
  ReplayResult fine = Replay(broker.get(), {"a"}, std::to_string(kStart + 1));
  EXPECT_FALSE(fine.gap) << fine.gap_reason;

  broker->Maintain(20'000);  // Everything expired; the channel is forgotten.
  EXPECT_EQ(broker->history_messages(), 0u);
  EXPECT_EQ(broker->history_bytes(), 0u);
  ReplayResult gone = Replay(broker.get(), {"a"}, std::to_string(kStart + 1));
  EXPECT_TRUE(gone.gap);
  EXPECT_THAT(gone.frames, IsEmpty());
  EXPECT_EQ(gone.oldest_id, 0u);
}

}  // namespace
}  // namespace ssebridge

namespace ssebridge {
namespace {

// --- Per-user messages: the offline queue -------------------------------------------

class EmbeddedBrokerUserQueueTest : public EmbeddedBrokerTest {
 protected:
  std::unique_ptr<EmbeddedBroker> MakeQueueingBroker(size_t per_user, uint64_t ttl_ms = 1000 * 1000) {
    UserQueue::Limits limits;
    limits.per_user = per_user;
    limits.ttl_ms = ttl_ms;
    auto broker = std::make_unique<EmbeddedBroker>(&completions_, &registry_, &counters_, MakeLimits(0), FakeMicros,
                                                   FakeMillis, limits);
    registry_.set_listener(broker.get());
    return broker;
  }
  // The broker is gone by now: unsubscribing must not reach it.
  void TearDown() override {
    registry_.set_listener(nullptr);
    EmbeddedBrokerTest::TearDown();
  }
};

std::vector<std::string> Events(const std::vector<FrameRef>& frames) {
  std::vector<std::string> texts;
  for (const FrameRef& frame : frames) texts.emplace_back(frame->raw());
  return texts;
}

TEST_F(EmbeddedBrokerUserQueueTest, AMessageToAnAbsentUserWaitsForItsNextStreamAndComesOnce) {
  auto broker = MakeQueueingBroker(10);
  RecordingSink everything;
  Sub(&everything, {"*"});
  PublishAt(broker.get(), kStart + 1, {"user:alice"}, "while away");
  EXPECT_TRUE(everything.frames.empty());  // "*" never sees a user channel.
  EXPECT_EQ(counters_.user_messages_queued, 1u);

  RecordingSink alice;
  Sub(&alice, {"user:alice"});
  EXPECT_TRUE(alice.frames.empty());  // Delivered from the completion queue, not inside Subscribe.
  completions_.RunAll();
  ASSERT_EQ(alice.frames.size(), 1u);
  EXPECT_EQ(alice.frames[0]->id(), kStart + 1);
  EXPECT_EQ(counters_.user_messages_delivered, 1u);
  // A second stream of the same user does not get it again.
  RecordingSink alice_again;
  Sub(&alice_again, {"user:alice"});
  completions_.RunAll();
  EXPECT_TRUE(alice_again.frames.empty());
  // Live messages go straight to her streams and are not queued.
  PublishAt(broker.get(), kStart + 2, {"user:alice"}, "live");
  EXPECT_EQ(alice.frames.size(), 2u);
  EXPECT_EQ(alice_again.frames.size(), 1u);
  EXPECT_EQ(counters_.user_messages_queued, 1u);
}

TEST_F(EmbeddedBrokerUserQueueTest, OverTheBoundTheOldestGoFirstAndAGapSaysHowMany) {
  auto broker = MakeQueueingBroker(2);
  for (uint64_t i = 1; i <= 5; ++i) PublishAt(broker.get(), kStart + i, {"user:bob"}, "m" + std::to_string(i));
  EXPECT_EQ(counters_.user_messages_dropped, 3u);
  RecordingSink bob;
  Sub(&bob, {"user:bob"});
  completions_.RunAll();
  std::vector<std::string> events = Events(bob.frames);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_NE(events[0].find("event: gap"), std::string::npos) << events[0];
  EXPECT_NE(events[0].find("\"dropped\":3"), std::string::npos) << events[0];
  EXPECT_EQ(FrameIds({bob.frames[1], bob.frames[2]}), (std::vector<uint64_t>{kStart + 4, kStart + 5}));
}

TEST_F(EmbeddedBrokerUserQueueTest, QueuedMessagesExpire) {
  auto broker = MakeQueueingBroker(10, 1000);
  PublishAt(broker.get(), kStart + 1, {"user:carol"}, "soon stale");
  g_millis += 1000;
  broker->Maintain(g_millis);
  EXPECT_EQ(counters_.user_messages_dropped, 1u);
  RecordingSink carol;
  Sub(&carol, {"user:carol"});
  completions_.RunAll();
  EXPECT_TRUE(carol.frames.empty());
}

TEST_F(EmbeddedBrokerUserQueueTest, APatternSubscriberIsNotTheUserComingBack) {
  auto broker = MakeQueueingBroker(10);
  RecordingSink support;
  Sub(&support, {"user:*"});
  PublishAt(broker.get(), kStart + 1, {"user:dave"}, "hello");
  EXPECT_EQ(support.frames.size(), 1u);  // A granted user:* sees it live...
  RecordingSink dave;
  Sub(&dave, {"user:dave"});
  completions_.RunAll();
  EXPECT_EQ(dave.frames.size(), 1u);    // ...and dave still gets it when he comes,
  EXPECT_EQ(support.frames.size(), 1u); // without a second copy to the pattern.
}

}  // namespace
}  // namespace ssebridge
