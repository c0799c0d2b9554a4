// Hostile input against history (issue 9): many one-off channels must not
// grow memory beyond --history-max-bytes, the channel cap must turn lost
// history into gap events, Redis keys must expire and the channel registry
// stay bounded, and a topic subscribed before Redis's id clock existed must
// not lose messages when the subscriber connection drops. Every test keeps a
// bystander stream open across the attack and checks it lost nothing.
#include <gtest/gtest.h>

#include <signal.h>

#include <string>

#include "harness.h"
#include "redis_test_fixture.h"

using harness::Bridge;
using harness::Bystander;
using harness::Eventually;
using harness::Healthy;
using harness::MetricValue;
using harness::Millis;
using harness::PublishJson;
using harness::RedisCommand;
using harness::RedisServer;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(10000);


std::string OneOffBody(const std::string& prefix, int i) {
  return R"({"channel":")" + prefix + std::to_string(i) + R"(","data":"x"})";
}

long long RedisUsedMemory(int redis_port) {
  harness::RedisReply info = RedisCommand(redis_port, {"INFO", "memory"});
  const std::string key = "used_memory:";
  size_t at = info.text.find(key);
  return at == std::string::npos ? -1 : std::stoll(info.text.substr(at + key.size()));
}

// ------------------------------------------------------------------ embedded

TEST(HostileHistoryTest, ManyOneOffChannelsKeepRssWithinTheByteCapAndTheGaugeHonest) {
  constexpr long long kCap = 8 << 20;
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--history-max-bytes", std::to_string(kCap)}));
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());
  // Warm up: code paths, the allocator's first arenas.
  ASSERT_EQ(harness::PublishMany(bridge.port(), 1000, [](int i) { return OneOffBody("warm-", i); }), 1000);
  const long before_kib = harness::ResidentKiB(bridge.process().pid());
  ASSERT_GT(before_kib, 0);

  constexpr int kChannels = 200000;
  ASSERT_EQ(harness::PublishMany(bridge.port(), kChannels, [](int i) { return OneOffBody("oneoff-", i); }), kChannels);

  const long long gauge = MetricValue(bridge.port(), "ssebridge_history_bytes");
  const long long messages = MetricValue(bridge.port(), "ssebridge_history_messages");
  const long long channels = MetricValue(bridge.port(), "ssebridge_history_channels");
  const long grown_kib = harness::ResidentKiB(bridge.process().pid()) - before_kib;
  EXPECT_LE(gauge, kCap);
  EXPECT_GT(gauge, kCap - (1 << 20)) << "the cap should be in use";
  // One message per channel, and each channel's bookkeeping is counted: a
  // retained one-off channel costs some hundreds of bytes, not ~92.
  EXPECT_EQ(channels, messages);
  EXPECT_GT(gauge / std::max(messages, 1LL), 250) << messages << " messages";
  // The process grew by about what the gauge says (before the fix: 86 MiB
  // for a gauge of 8 MiB). A sanitizer's allocator adds redzones and
  // quarantine, so only the gauge is checked there.
  if (harness::kResidentSizeIsMeaningful) {
    EXPECT_LT(grown_kib * 1024, kCap + (8 << 20)) << "RSS grew " << grown_kib << " KiB, gauge " << gauge;
  }

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Healthy(bridge.port()));
}

TEST(HostileHistoryTest, ChannelCapEvictsTheOldestChannelAndAResumeThereGetsAGap) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--history-max-channels", "100"}));
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());

  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto response = PublishJson(bridge.port(), R"({"channel":"first","data":")" + std::to_string(i) + "\"}");
    ASSERT_TRUE(response && response->status == 200);
    ids.push_back(harness::PublishedId(*response));
  }
  ASSERT_EQ(harness::PublishMany(bridge.port(), 300, [](int i) { return OneOffBody("flood-", i); }), 300);
  EXPECT_EQ(MetricValue(bridge.port(), "ssebridge_history_channels"), 100);
  EXPECT_GE(MetricValue(bridge.port(), "ssebridge_history_channels_evicted_total"), 200);

  // "first" was the least recently published channel: its second message is
  // gone, and a client that saw only the first one is told so.
  SseClient resumed;
  ASSERT_TRUE(resumed.Open(bridge.port(), "/events/first", {{"Last-Event-ID", ids[0]}}));
  std::optional<SseEvent> gap = resumed.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("\"reason\":\"trimmed\""), std::string::npos) << gap->data;
  // A client that had seen everything on it lost nothing: no gap.
  SseClient current;
  ASSERT_TRUE(current.Open(bridge.port(), "/events/first", {{"Last-Event-ID", ids[1]}}));
  auto live = PublishJson(bridge.port(), R"({"channel":"first","data":"after"})");
  ASSERT_TRUE(live && live->status == 200);
  std::optional<SseEvent> next = current.Next(kWait);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->event, "message");
  EXPECT_EQ(next->data, "after");

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Healthy(bridge.port()));
}

// --------------------------------------------------------------------- Redis

class HostileHistoryRedisTest : public harness::RedisTest {};

TEST_F(HostileHistoryRedisTest, PerChannelKeysExpireAndTheRegistryStaysBounded) {
  Bridge bridge;
  StartBridge(bridge, {"--history-ttl", "3", "--history-size", "2"});
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander", redis_.port()));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());

  // Three messages on a channel that keeps two: both its keys exist.
  for (int i = 0; i < 3; ++i) {
    auto response = PublishJson(bridge.port(), R"({"channel":"trimmed-one","data":"x"})");
    ASSERT_TRUE(response && response->status == 200);
  }
  const long long used_before = RedisUsedMemory(redis_.port());
  constexpr int kChannels = 2000;
  ASSERT_EQ(harness::PublishMany(bridge.port(), kChannels, [](int i) { return OneOffBody("oneoff-", i); }), kChannels);
  const long long used_after = RedisUsedMemory(redis_.port());
  // A one-entry stream used to take a 4 KB node (4.5 KB per one-off channel).
  EXPECT_LT((used_after - used_before) / kChannels, 1500) << used_after - used_before << " bytes";

  for (const char* key : {"ssebridge:stream:trimmed-one", "ssebridge:trimmed:trimmed-one", "ssebridge:stream:oneoff-7"}) {
    const long long ttl = RedisCommand(redis_.port(), {"PTTL", key}).integer;
    EXPECT_GT(ttl, 0) << key;
    EXPECT_LE(ttl, 3000) << key;
  }
  EXPECT_EQ(RedisCommand(redis_.port(), {"TYPE", "ssebridge:channel-expiry"}).text, "zset");
  EXPECT_EQ(RedisCommand(redis_.port(), {"ZCARD", "ssebridge:channel-expiry"}).integer, kChannels + 2);

  // Once the age limit has passed, the keys are gone and new publishes prune
  // the registry, a bounded number of names per call.
  const std::string last = "ssebridge:stream:oneoff-" + std::to_string(kChannels - 1);
  ASSERT_TRUE(Eventually([&] { return RedisCommand(redis_.port(), {"EXISTS", last}).integer == 0; }, Millis(10000)));
  EXPECT_EQ(RedisCommand(redis_.port(), {"EXISTS", "ssebridge:stream:oneoff-7"}).integer, 0);
  EXPECT_EQ(RedisCommand(redis_.port(), {"EXISTS", "ssebridge:trimmed:trimmed-one"}).integer, 0);
  for (int i = 0; i < 100; ++i) {
    auto response = PublishJson(bridge.port(), OneOffBody("later-", i));
    ASSERT_TRUE(response && response->status == 200);
  }
  // Each call removed up to 65 expired names: 100 calls cover the 2,005 old ones.
  EXPECT_EQ(RedisCommand(redis_.port(), {"ZSCORE", "ssebridge:channel-expiry", "oneoff-7"}).text, "");
  EXPECT_LE(RedisCommand(redis_.port(), {"ZCARD", "ssebridge:channel-expiry"}).integer, 100 + 1);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Healthy(bridge.port()));
}

TEST_F(HostileHistoryRedisTest, AnOlderBridgesChannelSetIsMigratedAndStillServesPatternResumes) {
  // What an older ssebridge left behind: the registry as a plain set, one
  // channel with a live stream and one whose stream expired.
  const std::string id = "1000000000000001";
  ASSERT_TRUE(RedisCommand(redis_.port(), {"SET", "ssebridge:seq", id}).ok);
  ASSERT_TRUE(RedisCommand(redis_.port(), {"SADD", "ssebridge:channels", "legacy-kept", "legacy-gone"}).ok);
  ASSERT_TRUE(RedisCommand(redis_.port(), {"XADD", "ssebridge:stream:legacy-kept", id + "-0", "m",
                                           R"({"event":"message","data":"old","id":")" + id + R"(","resumable":true})"})
                  .ok);
  ASSERT_TRUE(RedisCommand(redis_.port(), {"PEXPIRE", "ssebridge:stream:legacy-kept", "600000"}).ok);
  Bridge bridge;
  StartBridge(bridge);
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander", redis_.port()));

  // Before any publish has migrated anything, a pattern resume reads the old
  // set: the expired channel is reported (the client was away for longer
  // than the age limit), the kept one is replayed.
  SseClient early;
  ASSERT_TRUE(early.Open(bridge.port(), "/events?channel=legacy-*", {{"Last-Event-ID", "1000000000000000"}}));
  std::optional<SseEvent> gap = early.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("\"reason\":\"expired\""), std::string::npos) << gap->data;
  std::optional<SseEvent> old = early.Next(kWait);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->data, "old");
  EXPECT_EQ(RedisCommand(redis_.port(), {"TYPE", "ssebridge:channels"}).text, "set");

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());

  // Publishing works (no WRONGTYPE) and moves the names over.
  auto response = PublishJson(bridge.port(), R"({"channel":"legacy-new","data":"new"})");
  ASSERT_TRUE(response && response->status == 200) << (response ? response->body : "");
  EXPECT_EQ(RedisCommand(redis_.port(), {"EXISTS", "ssebridge:channels"}).integer, 0);
  EXPECT_NE(RedisCommand(redis_.port(), {"ZSCORE", "ssebridge:channel-expiry", "legacy-kept"}).text, "");
  EXPECT_EQ(RedisCommand(redis_.port(), {"ZSCORE", "ssebridge:channel-expiry", "legacy-gone"}).text, "");

  SseClient late;
  ASSERT_TRUE(late.Open(bridge.port(), "/events?channel=legacy-*", {{"Last-Event-ID", "1000000000000000"}}));
  std::optional<SseEvent> first = late.Next(kWait);
  std::optional<SseEvent> second = late.Next(kWait);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->data, "old");
  EXPECT_EQ(second->data, "new");

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Healthy(bridge.port()));
}

TEST_F(HostileHistoryRedisTest, TopicSubscribedBeforeTheClockExistedLosesNothingAcrossASubscriberReconnect) {
  // A fresh Redis: no ssebridge:seq yet.
  ASSERT_EQ(RedisCommand(redis_.port(), {"EXISTS", "ssebridge:seq"}).integer, 0);
  Bridge receiver;
  Bridge publisher;
  StartBridge(receiver, {"--log-level", "debug"});
  StartBridge(publisher);
  SseClient stream;
  ASSERT_TRUE(stream.Open(receiver.port(), "/events/fresh"));
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "fresh", 1));
  // The receiver has read the (missing) clock for the topic.
  EXPECT_TRUE(receiver.process().WaitForLine("redis: 'fresh' is complete in memory after id 0", kWait));
  ASSERT_EQ(RedisCommand(redis_.port(), {"EXISTS", "ssebridge:seq"}).integer, 0);

  Bystander bystander;
  ASSERT_TRUE(bystander.Open(receiver.port(), "bystander", redis_.port()));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());

  // Freeze the receiver, drop its subscriber connection, and publish (over
  // HTTP, on the other process) while it cannot be subscribed.
  ASSERT_EQ(kill(receiver.process().pid(), SIGSTOP), 0);
  EXPECT_GE(RedisCommand(redis_.port(), {"CLIENT", "KILL", "TYPE", "pubsub"}).integer, 1);
  auto during = PublishJson(publisher.port(), R"({"channel":"fresh","data":"during the reconnect"})");
  ASSERT_EQ(kill(receiver.process().pid(), SIGCONT), 0);
  ASSERT_TRUE(during && during->status == 200);

  std::optional<SseEvent> event = stream.Next(kWait);
  ASSERT_TRUE(event) << "a publish answered 200 during the reconnect was never delivered";
  EXPECT_EQ(event->data, "during the reconnect");
  EXPECT_EQ(event->id, harness::PublishedId(*during));
  EXPECT_TRUE(receiver.process().WaitForLine("refilled 1 message", kWait));

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Healthy(receiver.port()));
  EXPECT_TRUE(Healthy(publisher.port()));
}

}  // namespace
