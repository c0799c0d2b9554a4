// A Redis Sentinel failover under load, with real processes: one master, one
// replica, three redis-sentinel processes (short down-after and failover
// timeouts), two bridges that find the master through the sentinels, four
// subscribers and a publisher POSTing over HTTP while the master is killed
// with SIGKILL. What users need to be true (docs/deployment.md "Redis
// Sentinel"):
//  - the publisher only ever gets 200 or 503;
//  - the subscribers stay connected;
//  - every message answered 200 reaches every subscriber, once, in order
//    (the bridges publish with --redis-wait-replicas 1, so a 200 means the
//    replica that Sentinel promotes has the message).
// Once the new master is in charge, the killed one is restarted (as an
// operator would) and Sentinel makes it the new master's replica, so that
// publishes can be promised again. The test prints the failover's timeline. Labelled "failover" besides
// "integration"; it takes about 10 s.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

using harness::Bridge;
using harness::Clock;
using harness::Eventually;
using harness::HttpResponse;
using harness::Millis;
using harness::RedisCommand;
using harness::SseClient;
using harness::SseEvent;
using harness::Subprocess;
using harness::TempDir;

namespace {

constexpr const char kMaster[] = "ssebridge-test";
constexpr const char kChannel[] = "failover";

// A redis-server or redis-sentinel in its own temp dir on a free port.
class RedisProcess {
 public:
  // `config` is written to redis.conf (Sentinel rewrites its file, so it
  // must be a file) after the common lines.
  bool Start(const std::string& binary, const std::string& config) {
    port_ = harness::FreePort();
    const std::string path = dir_.path() + "/redis.conf";
    std::ofstream out(path);
    out << "port " << port_ << "\nbind 127.0.0.1\ndaemonize no\nlogfile \"\"\n"
        << "dir " << dir_.path() << "\n"
        << config;
    out.close();
    binary_ = binary;
    return Restart();
  }
  // Starts again on the same port with the same configuration plus `more`.
  bool Restart(const std::string& more = "") {
    if (!more.empty()) std::ofstream(dir_.path() + "/redis.conf", std::ios::app) << more;
    if (!process_.Start({binary_, dir_.path() + "/redis.conf"})) return false;
    return process_.WaitForLine(binary_ == "redis-sentinel" ? "Sentinel ID is" : "Ready to accept connections",
                                Millis(10000))
        .has_value();
  }
  void Kill() { process_.Stop(SIGKILL, Millis(5000)); }
  int port() const { return port_; }
  Subprocess& process() { return process_; }

 private:
  TempDir dir_;
  Subprocess process_;
  std::string binary_;
  int port_ = 0;
};

struct Publish {
  int index;
  int status;
  std::string id;
  Clock::time_point at;
};

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

TEST(RedisFailoverTest, PublishesAnswered200SurviveAKilledMasterAndReachEverySubscriberOnceInOrder) {
  // The master and its replica.
  RedisProcess master;
  // No persistence, and a replica's full sync starts at once (not after
  // the default 5 s wait for more replicas).
  const std::string no_persistence = "save \"\"\nappendonly no\nrepl-diskless-sync-delay 0\n";
  ASSERT_TRUE(master.Start("redis-server", no_persistence)) << master.process().output();
  RedisProcess replica;
  ASSERT_TRUE(replica.Start("redis-server",
                            no_persistence + "replicaof 127.0.0.1 " + std::to_string(master.port()) + "\n"))
      << replica.process().output();
  ASSERT_TRUE(replica.process().WaitForLine("MASTER <-> REPLICA sync: Finished with success", Millis(10000)))
      << replica.process().output();

  // Three sentinels, quorum 2, a master is down after 1 s without an answer.
  std::vector<std::unique_ptr<RedisProcess>> sentinels;
  std::string sentinel_list;
  for (int i = 0; i < 3; ++i) {
    sentinels.push_back(std::make_unique<RedisProcess>());
    const std::string config = std::string("sentinel monitor ") + kMaster + " 127.0.0.1 " +
                               std::to_string(master.port()) + " 2\n" + "sentinel down-after-milliseconds " +
                               kMaster + " 1000\n" + "sentinel failover-timeout " + kMaster + " 5000\n" +
                               "sentinel parallel-syncs " + kMaster + " 1\n";
    ASSERT_TRUE(sentinels.back()->Start("redis-sentinel", config)) << sentinels.back()->process().output();
    sentinel_list += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(sentinels.back()->port());
  }
  // A failover needs the sentinels to know the replica and each other (they
  // find each other through the master's hello channel, every 2 s).
  for (auto& sentinel : sentinels) {
    EXPECT_TRUE(sentinel->process().WaitForLine("+slave slave 127.0.0.1:" + std::to_string(replica.port()),
                                                Millis(10000)));
  }
  for (auto& sentinel : sentinels) {
    ASSERT_TRUE(Eventually(
        [&] {
          return RedisCommand(sentinel->port(), {"SENTINEL", "SENTINELS", kMaster}).elements.size() == 2;
        },
        Millis(10000)))
        << sentinel->process().output();
  }

  // Two bridges on the sentinels; the publisher uses the first, subscribers both.
  const std::vector<std::string> args = {"--redis-sentinel",      sentinel_list, "--redis-master", kMaster,
                                         "--redis-wait-replicas", "1",           "--redis-connect-timeout", "500",
                                         "--redis-command-timeout", "1000"};
  Bridge publisher_bridge;
  Bridge other_bridge;
  for (Bridge* bridge : {&publisher_bridge, &other_bridge}) {
    ASSERT_TRUE(bridge->Start(args)) << bridge->process().output();
    ASSERT_TRUE(Eventually([&] { return harness::Healthy(bridge->port()); }, Millis(10000)))
        << bridge->process().output();
  }
  std::vector<std::unique_ptr<SseClient>> subscribers;
  for (Bridge* bridge : {&publisher_bridge, &publisher_bridge, &other_bridge, &other_bridge}) {
    subscribers.push_back(std::make_unique<SseClient>());
    ASSERT_TRUE(subscribers.back()->Open(bridge->port(), std::string("/events/") + kChannel));
  }
  ASSERT_TRUE(harness::AwaitSubscribers(master.port(), kChannel, 2));

  // The publisher: one POST after another until told to stop (bounded).
  std::mutex mutex;
  std::vector<Publish> publishes;
  std::atomic<bool> stop{false};
  std::atomic<int> ok_count{0};
  std::thread publisher([&] {
    for (int i = 0; i < 20000 && !stop; ++i) {
      std::optional<HttpResponse> response = harness::PublishJson(
          publisher_bridge.port(), std::string(R"({"channel":")") + kChannel + R"(","data":"m)" + std::to_string(i) +
                                       R"("})");
      Publish publish{i, response ? response->status : 0, response ? harness::PublishedId(*response) : "",
                      Clock::now()};
      if (publish.status == 200) ++ok_count;
      std::lock_guard<std::mutex> lock(mutex);
      publishes.push_back(publish);
      // About 200 messages a second: a steady stream, not a benchmark.
      std::this_thread::sleep_for(Millis(5));
    }
  });

  ASSERT_TRUE(Eventually([&] { return ok_count >= 100; }, Millis(10000)));
  const int ok_before_kill = ok_count;
  const Clock::time_point killed = Clock::now();
  master.Kill();
  // Every bridge learns of the switch from the sentinels (or by asking them).
  std::optional<std::string> switched = publisher_bridge.process().WaitForLine("moved from", Millis(15000));
  const Clock::time_point switch_seen = Clock::now();
  EXPECT_TRUE(switched) << publisher_bridge.process().output();
  // The new master has no replica left, so no publish can be promised
  // (--redis-wait-replicas 1) until the old one is back: an operator
  // restarts it as a replica of the new master. (Sentinel would demote it
  // too, but only after it has reported itself a master for 8 s.)
  // The bridge may have heard of the switch from another sentinel: the one
  // asked here learns the new configuration from its peers' hello messages a
  // moment later, so ask until it names a master other than the killed one.
  std::vector<std::string> now_master;
  const bool sentinel_agrees = Eventually(
      [&] {
        now_master = RedisCommand(sentinels[0]->port(), {"SENTINEL", "get-master-addr-by-name", kMaster}).elements;
        return now_master.size() == 2u && now_master[1] != std::to_string(master.port());
      },
      Millis(10000));
  ASSERT_TRUE(sentinel_agrees) << "sentinel 0 still names the killed master";
  ASSERT_TRUE(master.Restart("replicaof " + now_master[0] + " " + now_master[1] + "\n"))
      << master.process().output();
  const bool resynced =
      master.process().WaitForLine("MASTER <-> REPLICA sync: Finished with success", Millis(15000)).has_value();
  const Clock::time_point replica_back = Clock::now();
  EXPECT_TRUE(resynced) << master.process().output();
  const bool recovered = Eventually([&] { return ok_count >= ok_before_kill + 100; }, Millis(10000));
  stop = true;
  publisher.join();
  ASSERT_TRUE(recovered) << publisher_bridge.process().output();
  const Clock::time_point ready_again = Clock::now();
  EXPECT_TRUE(harness::Healthy(publisher_bridge.port()));
  EXPECT_TRUE(Eventually([&] { return harness::Healthy(other_bridge.port()); }, Millis(5000)));

  // Only 200s and 503s; which ids were promised.
  std::vector<uint64_t> promised;
  std::map<int, int> statuses;
  Clock::time_point first_503{};
  Clock::time_point last_503{};
  Clock::time_point first_200_after{};
  for (const Publish& publish : publishes) {
    ++statuses[publish.status];
    if (publish.status == 200) {
      promised.push_back(std::strtoull(publish.id.c_str(), nullptr, 10));
      if (publish.at > killed && first_200_after == Clock::time_point{}) first_200_after = publish.at;
    } else if (publish.status == 503) {
      if (first_503 == Clock::time_point{}) first_503 = publish.at;
      last_503 = publish.at;
    }
  }
  EXPECT_EQ(statuses[200] + statuses[503], static_cast<int>(publishes.size()))
      << "statuses other than 200 and 503 (0: no answer): " << testing::PrintToString(statuses);
  EXPECT_GT(statuses[503], 0) << "the failover should have refused some publishes";
  EXPECT_TRUE(std::is_sorted(promised.begin(), promised.end()));

  // Every subscriber: every promised id, once, in order; nothing unknown.
  const uint64_t last_promised = promised.back();
  std::set<uint64_t> promised_set(promised.begin(), promised.end());
  for (size_t s = 0; s < subscribers.size(); ++s) {
    SseClient& client = *subscribers[s];
    std::vector<uint64_t> received;
    while (received.empty() || received.back() < last_promised) {
      std::optional<SseEvent> event = client.Next(Millis(10000));
      if (!event) break;
      received.push_back(std::strtoull(event->id.c_str(), nullptr, 10));
    }
    EXPECT_FALSE(client.closed()) << "subscriber " << s << " was disconnected";
    EXPECT_TRUE(std::adjacent_find(received.begin(), received.end(), std::greater_equal<uint64_t>()) ==
                received.end())
        << "subscriber " << s << " got an id twice or out of order";
    std::vector<uint64_t> got_promised;
    for (uint64_t id : received) {
      if (promised_set.count(id)) got_promised.push_back(id);
    }
    EXPECT_EQ(got_promised, promised) << "subscriber " << s << " missed " << promised.size() - got_promised.size()
                                      << " message(s) answered 200";
  }
  for (Bridge* bridge : {&publisher_bridge, &other_bridge}) {
    EXPECT_GE(harness::MetricValue(bridge->port(), "ssebridge_redis_failovers_total"), 1);
  }

  std::printf("failover timeline (s after SIGKILL of the master):\n");
  std::printf("  %d publishes: %d answered 200, %d answered 503\n", static_cast<int>(publishes.size()), statuses[200],
              statuses[503]);
  if (first_503 != Clock::time_point{}) {
    std::printf("  first 503 %+.2f, last 503 %+.2f\n", Seconds(killed, first_503), Seconds(killed, last_503));
  }
  std::printf("  bridge saw the switch %+.2f: %s\n", Seconds(killed, switch_seen),
              switched ? switched->c_str() : "(not seen)");
  std::printf("  old master restarted, back as a replica of the new one %+.2f\n", Seconds(killed, replica_back));
  if (first_200_after != Clock::time_point{}) {
    std::printf("  first 200 from the new master %+.2f\n", Seconds(killed, first_200_after));
  }
  std::printf("  100 more 200s by %+.2f; every subscriber got all %zu promised messages\n",
              Seconds(killed, ready_again), promised.size());
}

}  // namespace
