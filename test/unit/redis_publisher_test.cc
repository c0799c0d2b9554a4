// Unit tests for RedisPublisher (include/ssebridge/redis_publisher.h): one
// script call per turn (at most kMaxBatch publishes), its reply turned into
// one outcome per publish in order, per-element errors, a lost connection,
// and callbacks never inside the call that asked.

#include "ssebridge/redis_publisher.h"

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

PublishRequest Request(std::vector<std::string> channels, std::string data) {
  PublishRequest request;
  request.channels = std::move(channels);
  request.data = std::move(data);
  return request;
}

History::Limits Retention() {
  History::Limits limits;
  limits.messages_per_channel = 100;
  limits.ttl_ms = 60000;
  return limits;
}

class RedisPublisherTest : public testing::Test {
 protected:

  void Publish(std::vector<std::string> channels, std::string data) {
    publisher_.Publish(Request(std::move(channels), std::move(data)),
                       [this](const PublishOutcome& outcome) { outcomes_.push_back(outcome); });
  }

  FakeRedis redis_;
  CompletionQueue completions_;
  Counters counters_;
  RedisPublisher publisher_{&redis_, &completions_, &counters_, Retention()};
  std::vector<PublishOutcome> outcomes_;
};

TEST_F(RedisPublisherTest, ATurnIsOneScriptCallAndEachPublishGetsItsOutcomeInOrder) {
  Publish({"a"}, "one");
  Publish({"b", "c"}, "two");
  Publish({"d"}, "three");
  EXPECT_TRUE(redis_.sent.empty());  // Nothing before the turn ends.
  publisher_.Flush();
  ASSERT_EQ(redis_.sent.size(), 1u);
  const std::vector<std::string>& args = redis_.sent.front().args;
  ASSERT_EQ(args.size(), 8u + 3 + 4 + 3);
  EXPECT_EQ(args[0], "EVAL");
  EXPECT_EQ(args[1], kPublishScript);
  // The clock key, the retention, then the user queue (off by default).
  EXPECT_THAT(std::vector<std::string>(args.begin() + 2, args.begin() + 8),
              ElementsAre("1", kClockKey, "100", "60000", "0", "0"));
  EXPECT_THAT(std::vector<std::string>(args.begin() + 9, args.begin() + 11), ElementsAre("1", "a"));
  EXPECT_THAT(std::vector<std::string>(args.begin() + 12, args.begin() + 15), ElementsAre("2", "b", "c"));
  EXPECT_NE(args[11].find("two"), std::string::npos);

  redis_.Answer(Array({Bulk("11"), Error("ERR OOM command not allowed"), Bulk("13"), Array({Integer(2), Integer(1)})}));
  ASSERT_EQ(outcomes_.size(), 3u);
  EXPECT_EQ(outcomes_[0].status, 200);
  EXPECT_EQ(outcomes_[0].id, "11");
  EXPECT_EQ(outcomes_[1].status, 503);
  EXPECT_EQ(outcomes_[1].error, "Redis error: ERR OOM command not allowed");
  EXPECT_EQ(outcomes_[2].status, 200);
  EXPECT_EQ(outcomes_[2].id, "13");
  EXPECT_EQ(counters_.messages_published, 2u);  // "a" and "d"; the two-channel one failed.
  EXPECT_EQ(counters_.publish_failures, 1u);
  EXPECT_EQ(counters_.user_messages_queued, 2u);
  EXPECT_EQ(counters_.user_messages_dropped, 1u);
}

TEST_F(RedisPublisherTest, TheUserQueueSettingsGoWithEveryBatch) {
  publisher_.set_user_queue(1000000, 100);
  Publish({"user:alice"}, "one");
  publisher_.Flush();
  ASSERT_EQ(redis_.sent.size(), 1u);
  const std::vector<std::string>& args = redis_.sent.front().args;
  EXPECT_THAT(std::vector<std::string>(args.begin() + 6, args.begin() + 8), ElementsAre("1000000", "100"));
  // Without the { queued, dropped } tail the reply is not the script's.
  redis_.Answer(Array({Bulk("7")}));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].error, "unexpected reply from the publish script");
}

TEST_F(RedisPublisherTest, ALostConnectionFailsTheWholeBatch) {
  Publish({"a"}, "one");
  Publish({"b"}, "two");
  publisher_.Flush();
  redis_.AnswerLost();
  ASSERT_EQ(outcomes_.size(), 2u);
  for (const PublishOutcome& outcome : outcomes_) {
    EXPECT_EQ(outcome.status, 503);
    EXPECT_EQ(outcome.error, "connection to Redis lost before the publish was confirmed");
  }
  EXPECT_EQ(counters_.publish_failures, 2u);
}

TEST_F(RedisPublisherTest, AnErrorOrAnotherShapeFailsTheWholeBatch) {
  Publish({"a"}, "one");
  publisher_.Flush();
  redis_.Answer(Error("ERR script killed"));
  Publish({"a"}, "two");
  publisher_.Flush();
  redis_.Answer(Array({Bulk("1"), Bulk("2")}));  // Two ids for one publish.
  ASSERT_EQ(outcomes_.size(), 2u);
  EXPECT_EQ(outcomes_[0].error, "Redis error: ERR script killed");
  EXPECT_EQ(outcomes_[1].error, "unexpected reply from the publish script");
}

TEST_F(RedisPublisherTest, AFullBatchIsSentAtOnceAndTheRestWaitsForTheTurn) {
  for (size_t i = 0; i < RedisPublisher::kMaxBatch + 1; ++i) Publish({"a"}, std::to_string(i));
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_EQ(redis_.sent.front().args.size(), 8u + 3 * RedisPublisher::kMaxBatch);
  publisher_.Flush();
  ASSERT_EQ(redis_.sent.size(), 2u);
  EXPECT_EQ(redis_.sent.back().args.size(), 8u + 3);
  publisher_.Flush();  // Nothing queued: nothing sent.
  EXPECT_EQ(redis_.sent.size(), 2u);
}

TEST_F(RedisPublisherTest, RefusedWhileDisconnectedFromTheCompletionQueue) {
  redis_.connected = false;
  Publish({"a"}, "one");
  EXPECT_TRUE(outcomes_.empty());
  completions_.RunAll();
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].status, 503);
  EXPECT_EQ(outcomes_[0].error, "Redis is not connected; the message was not published");
  EXPECT_EQ(counters_.publish_failures, 1u);
  publisher_.Flush();
  EXPECT_TRUE(redis_.sent.empty());
}

TEST_F(RedisPublisherTest, TheLoadedHashIsUsedAfterTheConnectionIsReady) {
  publisher_.OnConnected();
  EXPECT_THAT(redis_.Answer(Bulk("abc")), ElementsAre("SCRIPT", "LOAD", kPublishScript));
  Publish({"a"}, "one");
  publisher_.Flush();
  EXPECT_EQ(redis_.sent.front().args[0], "EVALSHA");
  EXPECT_EQ(redis_.sent.front().args[1], "abc");
}

// --redis-wait-replicas: a batch the script accepted is answered only after
// WAIT, and 200 only when enough replicas acknowledged it.
class RedisPublisherDurabilityTest : public testing::Test {
 protected:
  void Publish(std::string data) {
    publisher_.Publish(Request({"a"}, std::move(data)),
                       [this](const PublishOutcome& outcome) { outcomes_.push_back(outcome); });
  }

  FakeRedis redis_;
  CompletionQueue completions_;
  Counters counters_;
  RedisPublisher publisher_{&redis_, &completions_, &counters_, Retention(), PublishDurability{2, 750}};
  std::vector<PublishOutcome> outcomes_;
};

TEST_F(RedisPublisherDurabilityTest, TwoHundredOnlyOnceEnoughReplicasAcknowledged) {
  Publish("one");
  Publish("two");
  publisher_.Flush();
  redis_.Answer(Array({Bulk("21"), Error("WRONGTYPE not a stream"), Array({Integer(0), Integer(0)})}));
  // The script ran; nothing is promised before the replicas answer.
  EXPECT_TRUE(outcomes_.empty());
  ASSERT_EQ(redis_.sent.size(), 1u);
  EXPECT_THAT(redis_.Answer(Integer(2)), ElementsAre("WAIT", "2", "750"));
  ASSERT_EQ(outcomes_.size(), 2u);
  EXPECT_EQ(outcomes_[0].status, 200);
  EXPECT_EQ(outcomes_[0].id, "21");
  EXPECT_EQ(outcomes_[1].status, 503);
  EXPECT_EQ(outcomes_[1].error, "Redis error: WRONGTYPE not a stream");
  EXPECT_EQ(counters_.messages_published, 1u);
  EXPECT_EQ(counters_.publish_failures, 1u);
}

TEST_F(RedisPublisherDurabilityTest, TooFewReplicasOrALostConnectionIsA503) {
  Publish("one");
  publisher_.Flush();
  redis_.Answer(Array({Bulk("31"), Array({Integer(0), Integer(0)})}));
  redis_.Answer(Integer(1));  // One of two replicas within the timeout.
  Publish("two");
  publisher_.Flush();
  redis_.Answer(Array({Bulk("32"), Array({Integer(0), Integer(0)})}));
  redis_.AnswerLost();  // The master died before the replicas answered.
  Publish("three");
  publisher_.Flush();
  redis_.Answer(Array({Bulk("33"), Array({Integer(0), Integer(0)})}));
  redis_.Answer(Error("ERR WAIT cannot be used with replica instances"));
  ASSERT_EQ(outcomes_.size(), 3u);
  for (const PublishOutcome& outcome : outcomes_) {
    EXPECT_EQ(outcome.status, 503);
    EXPECT_TRUE(outcome.id.empty());
  }
  EXPECT_EQ(outcomes_[0].error, "1 of 2 replica(s) confirmed the publish within 750 ms; it may or may not be delivered");
  EXPECT_NE(outcomes_[1].error.find("connection to Redis lost"), std::string::npos) << outcomes_[1].error;
  EXPECT_NE(outcomes_[2].error.find("ERR WAIT"), std::string::npos) << outcomes_[2].error;
  EXPECT_EQ(counters_.messages_published, 0u);
  EXPECT_EQ(counters_.publish_failures, 3u);
}

TEST_F(RedisPublisherDurabilityTest, ABatchThatFailedWholeSendsNoWait) {
  Publish("one");
  publisher_.Flush();
  redis_.Answer(Error("ERR OOM command not allowed"));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].status, 503);
  EXPECT_TRUE(redis_.sent.empty());
}

TEST_F(RedisPublisherDurabilityTest, AConnectionDownAtWaitTimeIsA503) {
  Publish("one");
  publisher_.Flush();
  redis_.connected = false;  // WAIT cannot be sent.
  redis_.Answer(Array({Bulk("41"), Array({Integer(0), Integer(0)})}));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].status, 503);
}

}  // namespace
}  // namespace ssebridge
