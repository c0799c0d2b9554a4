// RedisSentinel on a private loop against real processes (redis_server.h):
// a redis-server master, a redis-sentinel monitoring it and, for the switch,
// a replica that Sentinel is told to promote. The sentinels are asked in
// turn (an unreachable one is skipped), an unknown master is "not found",
// answers never run inside Resolve(), Stop() answers what is pending, and a
// +switch-master reaches on_switch once and counts one failover.
#include "ssebridge/redis_sentinel.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loop_runner.h"
#include "redis_server.h"
#include "ssebridge/redis_sentinel_reply.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;
using testing_redis::RedisServer;

constexpr const char kName[] = "unit-master";

// What one Resolve() answered.
struct Answer {
  int calls = 0;
  bool inside_resolve = false;
  std::optional<RedisAddress> master;
};

class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_TRUE(master_.Start()) << master_.log();
    sentinel_.set_sentinel(std::string("sentinel monitor ") + kName + " 127.0.0.1 " + std::to_string(master_.port()) +
                           " 1\nsentinel down-after-milliseconds " + kName + " 60000\n");
    ASSERT_TRUE(sentinel_.Start()) << sentinel_.log();
  }

  void TearDown() override {
    if (sentinel_client_) sentinel_client_->Stop();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
    sentinel_client_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // A client of a closed port first, then of the real sentinel.
  RedisSentinel* MakeSentinel(const std::string& name) {
    RedisSentinel::Options options;
    RedisAddress nobody;
    nobody.host = "127.0.0.1";
    nobody.port = ClosedPort();
    RedisAddress real;
    real.host = "127.0.0.1";
    real.port = sentinel_.port();
    options.sentinels = {nobody, real};
    options.master_name = name;
    options.connect_timeout_ms = 300;
    options.command_timeout_ms = 1000;
    uv_update_time(&loop_);
    sentinel_client_ = std::make_unique<RedisSentinel>(&loop_, options);
    return sentinel_client_.get();
  }

  // Resolve() with its answer recorded; returns what Resolve() returned.
  bool Resolve(RedisSentinel* sentinel, std::shared_ptr<Answer> answer) {
    auto returned = std::make_shared<bool>(false);
    const bool asked = sentinel->Resolve([answer, returned](const RedisAddress* master) {
      ++answer->calls;
      answer->inside_resolve = !*returned;
      if (master != nullptr) answer->master = *master;
    });
    *returned = true;
    return asked;
  }

  static int ClosedPort() {
    RedisServer probe;  // Started and stopped: its port is free again.
    if (!probe.Start()) return 1;
    const int port = probe.port();
    probe.Stop();
    return port;
  }

  uv_loop_t loop_;
  RedisServer master_;
  RedisServer sentinel_;
  std::unique_ptr<RedisSentinel> sentinel_client_;
};

TEST_F(RedisSentinelTest, AsksTheSentinelsInTurnAndAnswersWithTheMaster) {
  RedisSentinel* sentinel = MakeSentinel(kName);
  auto early = std::make_shared<Answer>();
  EXPECT_FALSE(Resolve(sentinel, early));  // Not started: nobody to ask.
  sentinel->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sentinel->sentinels_up() == 1; }));
  auto answer = std::make_shared<Answer>();
  ASSERT_TRUE(Resolve(sentinel, answer));
  EXPECT_EQ(answer->calls, 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return answer->calls > 0; }));
  EXPECT_FALSE(answer->inside_resolve);
  ASSERT_TRUE(answer->master);
  EXPECT_EQ(answer->master->host, "127.0.0.1");
  EXPECT_EQ(answer->master->port, master_.port());
  EXPECT_EQ(sentinel->failovers(), 0u);  // The first answer is no move.
  EXPECT_EQ(early->calls, 0);
}

TEST_F(RedisSentinelTest, AnUnknownMasterNameIsNotFound) {
  RedisSentinel* sentinel = MakeSentinel("no-such-master");
  sentinel->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sentinel->sentinels_up() == 1; }));
  auto answer = std::make_shared<Answer>();
  ASSERT_TRUE(Resolve(sentinel, answer));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return answer->calls > 0; }));
  EXPECT_FALSE(answer->master);
  EXPECT_FALSE(answer->inside_resolve);
}

TEST_F(RedisSentinelTest, StopAnswersAPendingQuestionOnceWithNothing) {
  RedisSentinel* sentinel = MakeSentinel(kName);
  sentinel->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sentinel->sentinels_up() == 1; }));
  auto answer = std::make_shared<Answer>();
  ASSERT_TRUE(Resolve(sentinel, answer));
  sentinel->Stop();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
  EXPECT_EQ(answer->calls, 1);
  EXPECT_FALSE(answer->master);
  EXPECT_FALSE(answer->inside_resolve);
  auto after = std::make_shared<Answer>();
  EXPECT_FALSE(Resolve(sentinel, after));
}

TEST_F(RedisSentinelTest, SwitchMasterReachesOnSwitchOnceAndCountsAFailover) {
  // The replica's first sync starts at once, not after 5 s.
  ASSERT_FALSE(master_.Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}).error());
  RedisServer replica;
  ASSERT_TRUE(replica.Start()) << replica.log();
  ASSERT_FALSE(replica.Command({"REPLICAOF", "127.0.0.1", std::to_string(master_.port())}).error());
  // A sentinel asks its master for replicas every 10 s, and at once when it
  // starts: restarted, it knows the replica now.
  sentinel_.Stop();
  ASSERT_TRUE(sentinel_.Start()) << sentinel_.log();
  RedisSentinel* sentinel = MakeSentinel(kName);
  std::vector<RedisAddress> switches;
  sentinel->on_switch = [&](const RedisAddress& to) { switches.push_back(to); };
  sentinel->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sentinel->sentinels_up() == 1; }));
  auto answer = std::make_shared<Answer>();
  ASSERT_TRUE(Resolve(sentinel, answer));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return answer->calls > 0; }));
  // Sentinel learns of the replica from the master's INFO; then a forced
  // failover promotes it without asking other sentinels.
  ASSERT_TRUE(RunLoopUntil(
      &loop_, [&] { return sentinel_.Command({"SENTINEL", "REPLICAS", kName}).elements.size() == 1; }, 15000));
  std::string refusal;
  ASSERT_TRUE(RunLoopUntil(
      &loop_,
      [&] {
        testing_redis::Reply reply = sentinel_.Command({"SENTINEL", "FAILOVER", kName});
        refusal = reply.str;
        // INPROG: an earlier call started it (its answer was lost to a timeout).
        return !reply.error() || refusal.rfind("INPROG", 0) == 0;
      },
      15000))
      << refusal;
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !switches.empty(); }, 15000)) << sentinel_.log();
  // More turns bring no second switch for the same move.
  auto again = std::make_shared<Answer>();
  ASSERT_TRUE(Resolve(sentinel, again));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return again->calls > 0; }));
  ASSERT_EQ(switches.size(), 1u);
  EXPECT_EQ(switches[0].port, replica.port());
  ASSERT_TRUE(again->master);
  EXPECT_EQ(again->master->port, replica.port());
  EXPECT_EQ(sentinel->failovers(), 1u);
}

}  // namespace
}  // namespace ssebridge
