// RedisSubscriber on a private loop against a real redis-server: SUBSCRIBE
// and PSUBSCRIBE follow the wanted names, pushes reach the handler with their
// source and channel, and a reconnect re-subscribes everything wanted.
#include "ssebridge/redis_subscriber.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "loop_runner.h"
#include "redis_server.h"
#include "ssebridge/redis_address.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;
using testing_redis::RedisServer;

struct Push {
  std::string source;
  bool is_pattern;
  std::string channel;
  std::string payload;
};

class RedisSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_TRUE(redis_.Start()) << "redis-server did not start: " << redis_.log();
    RedisClient::Options options;
    ASSERT_EQ(ParseRedisAddress(redis_.url(), &options.address), "");
    options.name = "unit-subscriber";
    options.command_timeout_ms = 0;
    options.connect_timeout_ms = 300;
    options.backoff_min_ms = 20;
    options.backoff_max_ms = 100;
    subscriber_ = std::make_unique<RedisSubscriber>(
        &loop_, options,
        [this](std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload) {
          pushes_.push_back({std::string(source), is_pattern, std::string(channel), std::string(payload)});
        });
    subscriber_->on_ready = [this] { ++readies_; };
    subscriber_->on_lost = [this] { ++losses_; };
    subscriber_->on_confirmed = [this](const std::string& name, bool is_pattern) {
      confirmed_.push_back((is_pattern ? "p:" : "c:") + name);
    };
  }

  void TearDown() override {
    subscriber_->Stop();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
    subscriber_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void StartReady() {
    subscriber_->Start();
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return subscriber_->ready(); }));
  }

  bool AwaitConfirmed() {
    return RunLoopUntil(&loop_, [&] { return subscriber_->AllConfirmed(); });
  }

  // Waits until Redis itself counts `subscribers` of `channel` and `patterns`
  // patterns (an UNSUBSCRIBE is done when Redis says so; the loop wakes for
  // its confirmation).
  bool AwaitRedisCounts(const std::string& channel, long long subscribers, long long patterns) {
    return RunLoopUntil(&loop_, [&] {
      testing_redis::Reply numsub = redis_.Command({"PUBSUB", "NUMSUB", channel});
      return numsub.elements.size() == 2 && numsub.elements[1].integer == subscribers &&
             redis_.Command({"PUBSUB", "NUMPAT"}).integer == patterns;
    });
  }

  // PUBLISH from another connection; returns how many subscriptions Redis
  // delivered it to (this subscriber is the only one).
  long long Publish(const std::string& channel, const std::string& payload) {
    testing_redis::Reply reply = redis_.Command({"PUBLISH", channel, payload});
    EXPECT_EQ(reply.type, REDIS_REPLY_INTEGER) << reply.str;
    return reply.integer;
  }

  uv_loop_t loop_;
  RedisServer redis_;
  std::unique_ptr<RedisSubscriber> subscriber_;
  std::vector<Push> pushes_;
  std::vector<std::string> confirmed_;
  int readies_ = 0;
  int losses_ = 0;
};

TEST_F(RedisSubscriberTest, SubscribeIsConfirmedOnceAndDeliversMessagesBinarySafe) {
  StartReady();
  subscriber_->Want("news", false);
  EXPECT_FALSE(subscriber_->AllConfirmed());  // Sent, not yet confirmed.
  ASSERT_TRUE(AwaitConfirmed());
  EXPECT_EQ(confirmed_, std::vector<std::string>{"c:news"});
  EXPECT_EQ(subscriber_->confirmed_count(), 1u);

  const std::string payload("he\0llo\r\n", 8);
  EXPECT_EQ(Publish("news", payload), 1);
  EXPECT_EQ(Publish("other", "x"), 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pushes_.empty(); }));
  ASSERT_EQ(pushes_.size(), 1u);
  EXPECT_EQ(pushes_[0].source, "news");
  EXPECT_FALSE(pushes_[0].is_pattern);
  EXPECT_EQ(pushes_[0].channel, "news");
  EXPECT_EQ(pushes_[0].payload, payload);
}

TEST_F(RedisSubscriberTest, PsubscribeDeliversWithThePatternAndThePublishedChannel) {
  StartReady();
  subscriber_->Want("news.*", true);
  ASSERT_TRUE(AwaitConfirmed());
  EXPECT_EQ(confirmed_, std::vector<std::string>{"p:news.*"});
  EXPECT_EQ(Publish("news.sport", "goal"), 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pushes_.empty(); }));
  EXPECT_EQ(pushes_[0].source, "news.*");
  EXPECT_TRUE(pushes_[0].is_pattern);
  EXPECT_EQ(pushes_[0].channel, "news.sport");
  EXPECT_EQ(pushes_[0].payload, "goal");
}

TEST_F(RedisSubscriberTest, NamesWantedBeforeTheConnectionAreSubscribedOnceItIsReady) {
  subscriber_->Want("a", false);
  subscriber_->Want("b*", true);
  subscriber_->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return subscriber_->ready() && subscriber_->AllConfirmed(); }));
  EXPECT_EQ(subscriber_->confirmed_count(), 2u);
  EXPECT_EQ(readies_, 1);
  EXPECT_EQ(Publish("a", "1"), 1);
  EXPECT_EQ(Publish("bb", "2"), 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return pushes_.size() == 2; }));
  EXPECT_EQ(pushes_[0].payload, "1");
  EXPECT_EQ(pushes_[1].payload, "2");
}

TEST_F(RedisSubscriberTest, UnwantUnsubscribesAndTheServerStopsDelivering) {
  StartReady();
  subscriber_->Want("a", false);
  subscriber_->Want("p*", true);
  ASSERT_TRUE(AwaitConfirmed());
  subscriber_->Unwant("a", false);
  subscriber_->Unwant("p*", true);
  EXPECT_EQ(subscriber_->confirmed_count(), 0u);
  ASSERT_TRUE(AwaitRedisCounts("a", 0, 0));
  // Redis itself has forgotten both: nobody receives these.
  EXPECT_EQ(Publish("a", "1"), 0);
  EXPECT_EQ(Publish("pq", "2"), 0);
  // Wanted again afterwards: subscribed anew.
  subscriber_->Want("a", false);
  ASSERT_TRUE(AwaitConfirmed());
  EXPECT_EQ(Publish("a", "3"), 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return pushes_.size() == 1; }));
  EXPECT_EQ(pushes_[0].payload, "3");
  subscriber_->Unwant("never-wanted", false);  // Nothing to do.
  EXPECT_EQ(pushes_.size(), 1u);
}

TEST_F(RedisSubscriberTest, WantedAgainWhileItsUnsubscribeIsInFlightEndsSubscribedOnce) {
  StartReady();
  subscriber_->Want("a", false);
  ASSERT_TRUE(AwaitConfirmed());
  // The UNSUBSCRIBE is sent; the new SUBSCRIBE must wait for its confirmation.
  subscriber_->Unwant("a", false);
  subscriber_->Want("a", false);
  EXPECT_FALSE(subscriber_->AllConfirmed());
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return confirmed_.size() == 2; }));
  EXPECT_TRUE(subscriber_->AllConfirmed());
  EXPECT_EQ(Publish("a", "still-here"), 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pushes_.empty(); }));
  EXPECT_EQ(pushes_[0].payload, "still-here");
  // And later messages keep coming (hiredis still has the callback).
  EXPECT_EQ(Publish("a", "and-later"), 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return pushes_.size() == 2; }));
  EXPECT_EQ(pushes_[1].payload, "and-later");
}

TEST_F(RedisSubscriberTest, AfterTheServerRestartsEveryWantedNameIsSubscribedAgain) {
  StartReady();
  subscriber_->Want("a", false);
  subscriber_->Want("p*", true);
  subscriber_->Want("gone", false);
  ASSERT_TRUE(AwaitConfirmed());
  subscriber_->Unwant("gone", false);
  ASSERT_TRUE(AwaitRedisCounts("gone", 0, 1));
  EXPECT_EQ(subscriber_->confirmed_count(), 2u);
  confirmed_.clear();

  redis_.Kill();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return losses_ == 1; }));
  EXPECT_FALSE(subscriber_->ready());
  EXPECT_EQ(subscriber_->confirmed_count(), 0u);  // Redis forgot them with the connection.
  EXPECT_FALSE(subscriber_->AllConfirmed());

  ASSERT_TRUE(redis_.Start()) << redis_.log();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return subscriber_->ready() && subscriber_->AllConfirmed(); }));
  EXPECT_EQ(readies_, 2);
  EXPECT_EQ(subscriber_->reconnects(), 1u);
  EXPECT_EQ(subscriber_->confirmed_count(), 2u);
  std::vector<std::string> confirmed = confirmed_;
  std::sort(confirmed.begin(), confirmed.end());
  EXPECT_EQ(confirmed, (std::vector<std::string>{"c:a", "p:p*"}));
  EXPECT_EQ(Publish("a", "1"), 1);
  EXPECT_EQ(Publish("pz", "2"), 1);
  EXPECT_EQ(Publish("gone", "3"), 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return pushes_.size() == 2; }));
  EXPECT_EQ(pushes_[0].payload, "1");
  EXPECT_EQ(pushes_[1].payload, "2");
  EXPECT_EQ(losses_, 1);
}

}  // namespace
}  // namespace ssebridge
