// The GoogleTest fixture for scenarios that must behave the same whichever
// broker carries the messages: each test runs once per broker, with the
// embedded one and with a real redis-server started for the test.
//
//   TEST_P(MySuite, Scenario) { Bridge bridge; StartBridge(bridge); ... }
//   INSTANTIATE_TEST_SUITE_P(Brokers, MySuite, harness::BothBrokers(), harness::BrokerName);
//
// gives the ctest names `Brokers/MySuite.Scenario/Embedded` and `.../Redis`.
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace harness {

enum class Broker { kEmbedded, kRedis };

inline auto BothBrokers() { return ::testing::Values(Broker::kEmbedded, Broker::kRedis); }

inline std::string BrokerName(const ::testing::TestParamInfo<Broker>& info) {
  return info.param == Broker::kEmbedded ? "Embedded" : "Redis";
}

// So that a failure says "where GetParam() = Redis", not a byte dump.
inline void PrintTo(Broker broker, std::ostream* out) { *out << (broker == Broker::kEmbedded ? "Embedded" : "Redis"); }

class BrokerTest : public ::testing::TestWithParam<Broker> {
 protected:
  void SetUp() override {
    if (redis_mode()) {
      ASSERT_TRUE(redis_.Start()) << "redis-server did not start";
    }
  }

  bool redis_mode() const { return GetParam() == Broker::kRedis; }
  // What /healthz names the broker.
  const char* broker_kind() const { return redis_mode() ? "redis" : "embedded"; }
  // The test's Redis, or 0 with the embedded broker (as Bystander::Open wants it).
  int redis_port() const { return redis_mode() ? redis_.port() : 0; }

  // Starts `bridge` with this test's broker; in Redis mode waits until both of
  // its Redis connections are up.
  void StartBridge(Bridge& bridge, const std::vector<std::string>& extra = {}) {
    if (redis_mode()) {
      ASSERT_TRUE(bridge.StartWithRedis(redis_.url(), extra)) << bridge.process().output();
    } else {
      ASSERT_TRUE(bridge.Start(extra)) << bridge.process().output();
    }
  }

  // The channels Redis has subscribers for, sorted, without the control
  // channel every bridge subscribes to for client commands.
  static std::vector<std::string> BridgeChannels(int redis_port) {
    std::vector<std::string> channels = RedisCommand(redis_port, {"PUBSUB", "CHANNELS"}).elements;
    channels.erase(std::remove(channels.begin(), channels.end(), "ssebridge:control"), channels.end());
    std::sort(channels.begin(), channels.end());
    return channels;
  }

  // Waits until the bridge holds exactly these channel subscriptions and this
  // many pattern subscriptions. Redis confirms a (P)SUBSCRIBE asynchronously
  // and messages published before that are, correctly, not delivered; the
  // embedded broker subscribes before the stream's head is sent, so there is
  // nothing to wait for.
  void AwaitSubscriptions(std::vector<std::string> channels, long long patterns = 0) {
    if (!redis_mode()) return;
    std::sort(channels.begin(), channels.end());
    std::vector<std::string> seen;
    long long seen_patterns = -1;
    bool matched = Eventually(
        [&] {
          seen = BridgeChannels(redis_.port());
          seen_patterns = RedisCommand(redis_.port(), {"PUBSUB", "NUMPAT"}).integer;
          return seen == channels && seen_patterns == patterns;
        },
        Millis(5000));
    EXPECT_TRUE(matched) << "Redis has " << seen.size() << " channel(s) and " << seen_patterns
                         << " pattern(s) subscribed, expected " << channels.size() << " and " << patterns;
  }

  RedisServer redis_;  // Started only in Redis mode.
};

}  // namespace harness
