// Unit tests for RedisLiveRelay (include/ssebridge/redis_live_relay.h): push
// decoding with envelope recognition, frame reuse for one message arriving on
// several channels, confirmation -> clock read -> covered (and the serial that
// voids a read for an older subscription), catch-up ordering after an outage,
// and the bounds of the catch-up: the hold and the refill read; a resume's
// read waiting for its topics' subscriptions in every order of idle, active,
// confirmation and loss.

#include "ssebridge/redis_live_relay.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_redis.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_scripts.h"

namespace ssebridge {
namespace {

using namespace fake_redis;  // RESP builders and FakeRedis.
using testing::ElementsAre;
using testing::Optional;

uint64_t FakeMillis() { return 1000; }

class RecordingSink : public StreamSink {
 public:
  void SendFrame(const FrameRef& frame) override { frames.push_back(frame); }
  void CutOff(const char* why) override { cut_off.push_back(why); }
  std::vector<uint64_t> Ids() const {
    std::vector<uint64_t> ids;
    for (const FrameRef& frame : frames) ids.push_back(frame->id());
    return ids;
  }
  std::vector<FrameRef> frames;
  std::vector<std::string> cut_off;
};

History::Limits Retention() {
  History::Limits limits;
  limits.messages_per_channel = 100;
  return limits;
}

class RedisLiveRelayTest : public testing::Test {
 protected:
  RedisLiveRelayTest() {
    relay_.subscriptions_settled = [this] { return settled_; };
    relay_.subscriber_ready = [this] { return subscriber_up_; };
  }
  ~RedisLiveRelayTest() override {
    for (PubsubRegistry::Subscriber* subscriber : subscribers_) registry_.Unsubscribe(subscriber);
  }

  void Subscribe(RecordingSink* sink, const std::vector<std::string>& topics) {
    subscribers_.push_back(registry_.Subscribe(sink, topics));
    for (const std::string& topic : topics) relay_.OnTopicActive(topic);
  }
  // The registry forgets subscription i (the test tells the relay).
  void Unsubscribe(size_t i) {
    registry_.Unsubscribe(subscribers_[i]);
    subscribers_.erase(subscribers_.begin() + static_cast<ptrdiff_t>(i));
  }
  // Redis confirms the topic and answers the clock read with `clock`.
  void Confirm(const std::string& topic, uint64_t clock) {
    relay_.OnConfirmed(topic);
    EXPECT_THAT(redis_.Answer(Bulk(std::to_string(clock))), ElementsAre("GET", kClockKey));
  }
  // `sink` on "a", positioned at 5, then the subscriber connection is lost.
  void SubscribeThenLose(RecordingSink* sink) {
    Subscribe(sink, {"a"});
    Confirm("a", 5);
    relay_.OnSubscriberLost();
  }
  void Push(const std::string& channel, uint64_t id, const std::string& data = "x") {
    relay_.OnMessage(channel, false, channel, Envelope(id, data));
  }

  static RedisLiveRelay::Options Options(size_t max_held_bytes) {
    RedisLiveRelay::Options options;
    options.max_held_bytes = max_held_bytes;
    return options;
  }

  FakeRedis redis_;
  CompletionQueue completions_;
  Counters counters_;
  History history_{Retention()};
  ReplayLimits limits_;
  PubsubRegistry registry_;
  RedisHistoryReader reader_{&redis_, &completions_, &counters_, &history_, &limits_};
  RedisLiveRelay relay_{Options(4096), &redis_, &reader_, &registry_, &history_, &counters_, FakeMillis};
  bool settled_ = true;
  bool subscriber_up_ = true;
  std::vector<PubsubRegistry::Subscriber*> subscribers_;
};

TEST_F(RedisLiveRelayTest, OurEnvelopesAreDecodedOtherPayloadsAreData) {
  RecordingSink sink;
  Subscribe(&sink, {"a"});
  Push("a", 42, "hello");
  relay_.OnMessage("a", false, "a", "plain text");
  ASSERT_EQ(sink.frames.size(), 2u);
  EXPECT_EQ(sink.frames[0]->id(), 42u);
  EXPECT_EQ(sink.frames[0]->raw(), "id: 42\ndata: hello\n\n");
  EXPECT_EQ(sink.frames[1]->id(), 0u);
  EXPECT_EQ(sink.frames[1]->raw(), "data: plain text\n\n");
  EXPECT_EQ(counters_.messages_received, 2u);
  // Only the resumable one is recorded.
  EXPECT_EQ(history_.message_count(), 1u);
}

TEST_F(RedisLiveRelayTest, OneMessageOnSeveralChannelsReachesAStreamOnce) {
  RecordingSink both;
  Subscribe(&both, {"a", "b"});
  Push("a", 7);
  Push("b", 7);  // The same publish, announced on its second channel.
  EXPECT_THAT(both.Ids(), ElementsAre(7));
  EXPECT_EQ(counters_.messages_received, 1u);
  // Without an id, equal payloads are two messages.
  relay_.OnMessage("a", false, "a", "same");
  relay_.OnMessage("b", false, "b", "same");
  EXPECT_EQ(both.frames.size(), 3u);
}

TEST_F(RedisLiveRelayTest, AConfirmedTopicIsCoveredAfterTheClockReadFollowingIt) {
  RecordingSink sink;
  Subscribe(&sink, {"a"});
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
  EXPECT_TRUE(redis_.sent.empty());  // No clock read before Redis confirms.
  Confirm("a", 42);
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(42u));
  // A topic set is covered after the latest of its topics.
  RecordingSink other;
  Subscribe(&other, {"b"});
  EXPECT_EQ(relay_.LocalAfter({"a", "b"}), std::nullopt);
  relay_.OnConfirmed("b");
  redis_.Answer(fake_redis::kNil);  // No id issued yet: 0 is a position too.
  EXPECT_THAT(relay_.LocalAfter({"a", "b"}), Optional(42u));
}

TEST_F(RedisLiveRelayTest, TheNewestKnownIdFollowsClockReadsAndMessagesAndIsForgottenWithTheConnection) {
  RecordingSink sink;
  Subscribe(&sink, {"a"});
  EXPECT_EQ(relay_.newest_known_id(), 0u);
  Confirm("a", 42);
  EXPECT_EQ(relay_.newest_known_id(), 42u);
  Push("a", 50);
  EXPECT_EQ(relay_.newest_known_id(), 50u);
  relay_.OnMessage("a", false, "a", "plain text");  // No id: nothing learnt.
  EXPECT_EQ(relay_.newest_known_id(), 50u);
  // A Redis that comes back may be another one, its clock behind.
  relay_.OnSubscriberLost();
  EXPECT_EQ(relay_.newest_known_id(), 0u);
}

TEST_F(RedisLiveRelayTest, AClockReadForAnEarlierSubscriptionOfTheNameIsVoid) {
  RecordingSink sink;
  Subscribe(&sink, {"a"});
  relay_.OnConfirmed("a");
  // The topic goes idle and comes back before the read is answered.
  relay_.OnTopicIdle("a");
  relay_.OnTopicActive("a");
  redis_.Answer(Bulk("42"));
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
  // Nor does a read survive the subscriber connection that confirmed it.
  relay_.OnConfirmed("a");
  relay_.OnSubscriberLost();
  redis_.Answer(Bulk("43"));
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
}

// The fetch script's reply for topic 0 ("a") with the given ids.
std::string Refill(uint64_t clock, const std::vector<uint64_t>& ids, uint64_t omitted = 0) {
  std::vector<std::string> flat;
  for (uint64_t id : ids) {
    flat.push_back(Bulk(std::to_string(id)));
    flat.push_back(Bulk(Envelope(id, "r")));
  }
  return Array({Integer(1), Bulk(std::to_string(clock)), Bulk("0"), Bulk(std::to_string(omitted)),
                Array({Bulk("a"), Integer(0), Bulk("0"), Integer(0), Array(flat), Bulk(std::to_string(omitted))})});
}

TEST_F(RedisLiveRelayTest, AfterAnOutageTheRefillIsDeliveredBeforeWhatArrivedMeanwhile) {
  RecordingSink sink;
  SubscribeThenLose(&sink);
  EXPECT_TRUE(relay_.catching_up());
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
  settled_ = false;
  relay_.OnUpstreamReady();
  EXPECT_TRUE(redis_.sent.empty());  // Not every topic is subscribed again yet.
  Push("a", 9);                      // Live, but after the hole: held.
  EXPECT_TRUE(sink.frames.empty());
  settled_ = true;
  relay_.OnConfirmed("a");
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(std::vector<std::string>(redis_.sent.front().args.end() - 2, redis_.sent.front().args.end()),
              ElementsAre("a", "5"));
  redis_.Answer(Refill(9, {6, 7, 8, 9}));
  EXPECT_THAT(sink.Ids(), ElementsAre(6, 7, 8, 9, 9));  // The stream drops the second 9 by id.
  EXPECT_FALSE(relay_.catching_up());
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(5u));
  EXPECT_TRUE(redis_.sent.empty());  // Settled by the refill: no clock read needed.
}

TEST_F(RedisLiveRelayTest, AHoldPastItsBoundCutsItsStreamsOffAndIsCounted) {
  RecordingSink held;
  RecordingSink bystander;
  Subscribe(&held, {"a"});
  Subscribe(&bystander, {"b"});
  Confirm("a", 5);
  Confirm("b", 5);
  relay_.OnSubscriberLost();
  settled_ = false;
  size_t pushed = 0;
  while (relay_.held_bytes() != 0 || pushed == 0) {
    Push("a", 10 + pushed, std::string(500, 'x'));
    ++pushed;
    ASSERT_LT(pushed, 100u) << "the hold is not bounded";
  }
  EXPECT_GT(pushed, 2u);
  EXPECT_EQ(held.cut_off.size(), 1u);
  EXPECT_TRUE(bystander.cut_off.empty());  // Nothing of its topic was held.
  EXPECT_EQ(counters_.redis_catch_up_overflows, 1u);
  EXPECT_EQ(counters_.redis_catch_up_cutoffs, 1u);
  EXPECT_TRUE(held.frames.empty());  // Nothing after the hole reached it.

  // The refill then must not claim the topic is whole in memory: the
  // dropped messages are newer than it. A clock read settles it again.
  settled_ = true;
  relay_.OnConfirmed("a");
  relay_.OnConfirmed("b");
  redis_.Answer(Refill(12, {6}));
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(redis_.Answer(Bulk("60")), ElementsAre("GET", kClockKey));
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(60u));
}

TEST_F(RedisLiveRelayTest, ARefillPastTheReplayBoundCutsItsStreamsOffFirst) {
  RecordingSink sink;
  SubscribeThenLose(&sink);
  relay_.OnConfirmed("a");
  // The read left out 6..8: the stream would get 9 after a hole.
  redis_.Answer(Refill(9, {9}, 8));
  EXPECT_EQ(sink.cut_off.size(), 1u);
  EXPECT_EQ(counters_.redis_catch_up_overflows, 1u);
  EXPECT_EQ(counters_.redis_catch_up_cutoffs, 1u);
  // Memory is whole only after the newest id left out.
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(8u));
}

TEST_F(RedisLiveRelayTest, AFailedRefillLeavesNothingCoveredUntilTheClockIsReadAgain) {
  RecordingSink sink;
  SubscribeThenLose(&sink);
  relay_.OnConfirmed("a");
  redis_.AnswerLost();
  EXPECT_FALSE(relay_.catching_up());
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
  redis_.Answer(Bulk("20"));
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(20u));
}

// ------------------------------------------- resumes of topics not yet subscribed

TEST_F(RedisLiveRelayTest, AResumeOfATopicThatWentIdleAndCameBackReadsOnlyOnceTheNewSubscriptionIsConfirmed) {
  RecordingSink old_stream;
  Subscribe(&old_stream, {"a"});
  Confirm("a", 5);
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(5u));
  // The stream ends and its browser is back in the same turn: UNSUBSCRIBE
  // is in flight and the new SUBSCRIBE waits behind it.
  Unsubscribe(0);
  relay_.OnTopicIdle("a");
  RecordingSink stream;
  Subscribe(&stream, {"a"});
  int reads = 0;
  relay_.WhenSubscribed({"a"}, 5, [&] { ++reads; });
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(relay_.waiting_reads(), 1u);
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);  // The old coverage went with the old subscription.
  // A message the old subscription still carried reaches the new stream
  // (which holds it until its replay), and proves nothing about coverage.
  Push("a", 6);
  EXPECT_THAT(stream.Ids(), ElementsAre(6));
  EXPECT_EQ(relay_.LocalAfter({"a"}), std::nullopt);
  EXPECT_EQ(reads, 0);
  // Redis confirms the new subscription: the read runs now, after it took
  // effect, and the clock read for the new subscription is on its way.
  relay_.OnConfirmed("a");
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(relay_.waiting_reads(), 0u);
  EXPECT_THAT(redis_.Answer(Bulk("9")), ElementsAre("GET", kClockKey));
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(9u));
  relay_.OnConfirmed("a");  // A repeated confirmation runs nothing twice.
  EXPECT_EQ(reads, 1);
}

TEST_F(RedisLiveRelayTest, AResumeReadsAtOnceWhenItsTopicsAreConfirmedElseWhenTheLastOfThemIs) {
  RecordingSink stream;
  Subscribe(&stream, {"a", "b"});
  Confirm("a", 5);
  int reads = 0;
  relay_.WhenSubscribed({"a", "b"}, 5, [&] { ++reads; });
  EXPECT_EQ(reads, 0);
  relay_.OnConfirmed("b");
  EXPECT_EQ(reads, 1);
  redis_.Answer(Bulk("7"));
  relay_.WhenSubscribed({"a", "b"}, 5, [&] { ++reads; });
  EXPECT_EQ(reads, 2);
  // A name the relay does not track (the control channel) delivers nothing
  // to streams: nothing to wait for.
  relay_.WhenSubscribed({"ssebridge:control"}, std::nullopt, [&] { ++reads; });
  EXPECT_EQ(reads, 3);
  EXPECT_EQ(relay_.waiting_reads(), 0u);
}

TEST_F(RedisLiveRelayTest, AResumeWhoseTopicGoesIdleWhileItWaitsReadsThen) {
  RecordingSink stream;
  Subscribe(&stream, {"a"});
  int reads = 0;
  relay_.WhenSubscribed({"a"}, 5, [&] { ++reads; });
  EXPECT_EQ(reads, 0);
  Unsubscribe(0);
  relay_.OnTopicIdle("a");
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(relay_.waiting_reads(), 0u);
}

TEST_F(RedisLiveRelayTest, AResumeWhileTheSubscriberIsDownReadsAtOnceAndTheRefillReachesBackToItsId) {
  subscriber_up_ = false;
  settled_ = false;
  RecordingSink stream;
  Subscribe(&stream, {"a"});  // New: no position, no confirmation coming yet.
  int reads = 0;
  relay_.WhenSubscribed({"a"}, 5, [&] { ++reads; });
  EXPECT_EQ(reads, 1);  // It must not wait for Redis to come back.
  EXPECT_TRUE(relay_.catching_up());
  // Back and subscribed: what was published between the read and the
  // subscription is refilled from the resume's id.
  subscriber_up_ = true;
  settled_ = true;
  relay_.OnConfirmed("a");
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(std::vector<std::string>(redis_.sent.front().args.end() - 2, redis_.sent.front().args.end()),
              ElementsAre("a", "5"));
  redis_.Answer(Refill(9, {6, 7}));
  EXPECT_THAT(stream.Ids(), ElementsAre(6, 7));
  EXPECT_FALSE(relay_.catching_up());
  EXPECT_THAT(relay_.LocalAfter({"a"}), Optional(9u));
}

TEST_F(RedisLiveRelayTest, AResumeWaitingWhenTheSubscriberIsLostReadsThenAndTheRefillReachesBackToItsId) {
  RecordingSink stream;
  Subscribe(&stream, {"a"});
  int reads = 0;
  relay_.WhenSubscribed({"a"}, 5, [&] { ++reads; });
  EXPECT_EQ(reads, 0);
  subscriber_up_ = false;
  relay_.OnSubscriberLost();
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(relay_.waiting_reads(), 0u);
  subscriber_up_ = true;
  relay_.OnConfirmed("a");
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(std::vector<std::string>(redis_.sent.front().args.end() - 2, redis_.sent.front().args.end()),
              ElementsAre("a", "5"));
  redis_.Answer(Refill(8, {6}));
  EXPECT_THAT(stream.Ids(), ElementsAre(6));
  EXPECT_EQ(reads, 1);
}

TEST_F(RedisLiveRelayTest, WaitingReadsRunOnceWhenTheOwnerShutsDown) {
  RecordingSink stream;
  Subscribe(&stream, {"a"});
  int reads = 0;
  relay_.WhenSubscribed({"a"}, 5, [&] { ++reads; });
  relay_.RunWaitingReads();
  EXPECT_EQ(reads, 1);
  relay_.OnConfirmed("a");
  EXPECT_EQ(reads, 1);
}

}  // namespace
}  // namespace ssebridge
