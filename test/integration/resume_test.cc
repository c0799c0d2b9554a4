// Resuming streams with Last-Event-ID: no loss, no duplicates, explicit gaps,
// with either broker, and across processes sharing Redis.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "broker_test_fixture.h"
#include "harness.h"
#include "redis_test_fixture.h"

using harness::Bridge;
using harness::Eventually;
using harness::HttpResponse;
using harness::MetricValue;
using harness::Millis;
using harness::NextData;
using harness::PublishJson;
using harness::RedisCommand;
using harness::RedisServer;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(10000);

std::string NumberedBody(const std::string& channel, int i) {
  return R"({"channel":")" + channel + R"(","data":")" + std::to_string(i) + "\"}";
}

// Reads events until `want` messages with data "0".."N" are collected or an
// event is missing. Records every data value in order.
struct Sequence {
  std::vector<int> values;
  std::string last_id;
  int gaps = 0;
  std::string last_gap;
};

bool ReadNumbers(SseClient& client, Sequence* out, int until_count, Millis timeout = kWait) {
  while (static_cast<int>(out->values.size()) < until_count) {
    std::optional<SseEvent> event = client.Next(timeout);
    if (!event) return false;
    if (event->event == "gap") {
      ++out->gaps;
      out->last_gap = event->data;
      continue;
    }
    out->values.push_back(std::stoi(event->data));
    out->last_id = event->id;
  }
  return true;
}

void ExpectExactly(const std::vector<int>& values, int count) {
  ASSERT_EQ(static_cast<int>(values.size()), count);
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(values[i], i) << "position " << i << " (a gap, a duplicate or reordering)";
  }
}

// Cuts a client off in the middle of `total` messages published as fast as
// possible, then reconnects it (to `resume_port`) with its Last-Event-ID.
void CutOffAndResume(int publish_port, int first_port, int resume_port, int total, const std::string& channel,
                     const std::function<void()>& await_subscribed) {
  SseClient first;
  ASSERT_TRUE(first.Open(first_port, "/events/" + channel));
  await_subscribed();
  std::atomic<int> published{0};
  std::thread publisher([&] {
    published = harness::PublishMany(publish_port, total, [&](int i) { return NumberedBody(channel, i); });
  });
  Sequence sequence;
  bool read_ok = ReadNumbers(first, &sequence, total / 2);
  first.socket().Close();  // Cut off mid-stream, while publishing goes on.
  ASSERT_TRUE(read_ok);
  SseClient second;
  ASSERT_TRUE(second.Open(resume_port, "/events/" + channel, {{"Last-Event-ID", sequence.last_id}}));
  EXPECT_TRUE(ReadNumbers(second, &sequence, total));
  publisher.join();
  EXPECT_EQ(published.load(), total);
  EXPECT_EQ(sequence.gaps, 0) << sequence.last_gap;
  ExpectExactly(sequence.values, total);
  // Nothing more may follow (a duplicate would show up here).
  std::optional<SseEvent> extra = second.Next(Millis(300));
  EXPECT_FALSE(extra) << "unexpected extra event: " << extra->data;
}

// ------------------------------------------------------------ both brokers

class ResumeTest : public harness::BrokerTest {};

TEST_P(ResumeTest, CutOffMidStreamResumesWithoutLossOrDuplicates) {
  Bridge bridge;
  StartBridge(bridge, {"--history-size", "20000"});
  // A second subscriber keeps the channel subscribed (and, in Redis mode, the
  // local history complete) while the first one is away: the resume is
  // answered from memory.
  SseClient keeper;
  ASSERT_TRUE(keeper.Open(bridge.port(), "/events/seq"));
  AwaitSubscriptions({"seq"});
  ASSERT_TRUE(Eventually([&] { return MetricValue(bridge.port(), "ssebridge_history_messages") == 0; }, kWait));
  CutOffAndResume(bridge.port(), bridge.port(), bridge.port(), 10000, "seq", [] {});
  EXPECT_EQ(MetricValue(bridge.port(), "ssebridge_replays_total"), 1);
  EXPECT_EQ(MetricValue(bridge.port(), "ssebridge_replays_from_redis_total"), 0);
}

TEST_P(ResumeTest, IdOlderThanRetentionGetsGapEventThenRetainedRest) {
  Bridge bridge;
  StartBridge(bridge, {"--history-size", "5"});
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto response = PublishJson(bridge.port(), NumberedBody("short", i));
    ASSERT_TRUE(response && response->status == 200) << (response ? response->body : "");
    ids.push_back(harness::PublishedId(*response));
  }
  if (redis_mode()) {
    EXPECT_EQ(RedisCommand(redis_.port(), {"XLEN", "ssebridge:stream:short"}).integer, 5);
  }
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/short", {{"Last-Event-ID", ids[1]}}));
  std::optional<SseEvent> gap = client.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("\"reason\":\"trimmed\""), std::string::npos) << gap->data;
  EXPECT_NE(gap->data.find("\"oldestId\":\"" + ids[5] + "\""), std::string::npos) << gap->data;
  EXPECT_NE(gap->data.find("\"lastEventId\":\"" + ids[1] + "\""), std::string::npos) << gap->data;
  for (int i = 5; i < 10; ++i) {
    std::optional<SseEvent> event = client.Next(kWait);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->data, std::to_string(i));
    EXPECT_EQ(event->id, ids[i]);
  }
  // Resuming from the newest dropped id itself is not a gap, nor is a resume
  // inside the retained window.
  for (int last_seen : {4, 7}) {
    SseClient resumed;
    ASSERT_TRUE(resumed.Open(bridge.port(), "/events/short", {{"Last-Event-ID", ids[last_seen]}}));
    std::optional<SseEvent> next = resumed.Next(kWait);
    ASSERT_TRUE(next) << "after " << last_seen;
    EXPECT_EQ(next->event, "message") << "after " << last_seen << ": " << next->data;
    EXPECT_EQ(next->data, std::to_string(last_seen + 1));
  }
}

TEST_P(ResumeTest, QueryParametersResumeLikeTheHeaderAndTheHeaderWins) {
  Bridge bridge;
  StartBridge(bridge);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto response = PublishJson(bridge.port(), NumberedBody("q", i));
    ASSERT_TRUE(response && response->status == 200);
    ids.push_back(harness::PublishedId(*response));
  }
  for (const char* parameter : {"lastEventId", "last_event_id"}) {
    SseClient client;
    ASSERT_TRUE(client.Open(bridge.port(), "/events?channel=q&" + std::string(parameter) + "=" + ids[1]));
    std::optional<SseEvent> event = client.Next(kWait);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->data, "2") << parameter;
  }
  SseClient both;
  ASSERT_TRUE(both.Open(bridge.port(), "/events?channel=q&lastEventId=" + ids[0], {{"Last-Event-ID", ids[2]}}));
  EXPECT_EQ(NextData(both, kWait), "3");
}

TEST_P(ResumeTest, UnknownIdGetsGapThenEverythingRetainedAcrossChannelsAndPatterns) {
  Bridge bridge;
  StartBridge(bridge);
  PublishJson(bridge.port(), R"({"channel":"room.a","data":"0"})");
  PublishJson(bridge.port(), R"({"channel":"other","data":"skip"})");
  PublishJson(bridge.port(), R"({"channels":["room.b","lobby"],"data":"1"})");
  PublishJson(bridge.port(), R"({"channel":"lobby","data":"2"})");
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events?channel=room.*&channel=lobby", {{"Last-Event-ID", "not-an-id"}}));
  std::optional<SseEvent> gap = client.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("unknown-id"), std::string::npos);
  Sequence sequence;
  ASSERT_TRUE(ReadNumbers(client, &sequence, 3));
  ExpectExactly(sequence.values, 3);
}

TEST_P(ResumeTest, HistoryIsKeptWithoutSubscribersAndDisabledWithSizeZero) {
  Bridge bridge;
  StartBridge(bridge);
  auto first = PublishJson(bridge.port(), NumberedBody("nobody", 0));
  ASSERT_TRUE(first && first->status == 200);
  std::string first_id = harness::PublishedId(*first);
  PublishJson(bridge.port(), NumberedBody("nobody", 1));
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/nobody", {{"Last-Event-ID", first_id}}));
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "1");

  Bridge disabled;
  StartBridge(disabled, {"--history-size", "0"});
  SseClient resumed;
  ASSERT_TRUE(resumed.Open(disabled.port(), "/events/x", {{"Last-Event-ID", first_id}}));
  std::optional<SseEvent> gap = resumed.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("history-disabled"), std::string::npos);
}

// An id newer than any issued means nothing here: the gap, then every
// retained message (in Redis mode the read from that id finds nothing, so the
// reader reads again from the start), then live traffic.
TEST_P(ResumeTest, IdNewerThanAnyIssuedDoesNotSilenceTheStream) {
  Bridge bridge;
  StartBridge(bridge);
  PublishJson(bridge.port(), NumberedBody("future", 0));
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/future", {{"Last-Event-ID", "9999999999999999"}}));
  std::optional<SseEvent> gap = client.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("unknown-id"), std::string::npos);
  EXPECT_EQ(NextData(client, kWait), "0");
  AwaitSubscriptions({"future"});
  PublishJson(bridge.port(), NumberedBody("future", 1));
  EXPECT_EQ(NextData(client, kWait), "1");
}

// The same bogus id while another stream keeps the channel live, so that a
// Redis-mode bridge holds the channel's recent history in memory: memory
// cannot vouch for an id newer than any it has seen, so it must not answer
// "nothing after that" and let the de-duplication swallow what follows.
TEST_P(ResumeTest, IdNewerThanAnyIssuedIsFoundOutWhileAnotherStreamKeepsTheChannelLive) {
  Bridge bridge;
  StartBridge(bridge);
  SseClient watcher;
  ASSERT_TRUE(watcher.Open(bridge.port(), "/events/future"));
  AwaitSubscriptions({"future"});
  PublishJson(bridge.port(), NumberedBody("future", 0));
  ASSERT_EQ(NextData(watcher, kWait), "0");
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/future", {{"Last-Event-ID", "9999999999999999"}}));
  std::optional<SseEvent> gap = client.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("unknown-id"), std::string::npos);
  EXPECT_EQ(NextData(client, kWait), "0");
  PublishJson(bridge.port(), NumberedBody("future", 1));
  EXPECT_EQ(NextData(client, kWait), "1");
  EXPECT_EQ(NextData(watcher, kWait), "1");
}

INSTANTIATE_TEST_SUITE_P(Brokers, ResumeTest, harness::BothBrokers(), harness::BrokerName);

// ------------------------------------------------------------------ embedded

// 100,000 messages through one channel with a 4 MiB history cap: memory
// must stay bounded by the cap, not grow with the traffic.
TEST(EmbeddedResumeTest, MemoryStaysWithinTheHistoryCap) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--history-size", "1000000", "--history-max-bytes", "4194304"}));
  const std::string padding(400, 'm');
  ASSERT_EQ(harness::PublishMany(bridge.port(), 5000,
                                 [&](int i) { return R"({"channel":"big","data":")" + std::to_string(i) + padding + "\"}"; }),
            5000);
  long warm_kib = harness::ResidentKiB(bridge.process().pid());
  ASSERT_EQ(harness::PublishMany(bridge.port(), 100000,
                                 [&](int i) { return R"({"channel":"big","data":")" + std::to_string(i) + padding + "\"}"; }),
            100000);
  long after_kib = harness::ResidentKiB(bridge.process().pid());
  long long history_bytes = MetricValue(bridge.port(), "ssebridge_history_bytes");
  EXPECT_GT(history_bytes, 3 * 1024 * 1024);  // The cap was reached...
  EXPECT_LE(history_bytes, 4194304);           // ...and held.
  if (harness::kResidentSizeIsMeaningful) {
    // ~43 MB went through; RSS may grow by the cap plus allocator slack, not by the traffic.
    EXPECT_LT(after_kib - warm_kib, 12 * 1024) << "RSS grew from " << warm_kib << " to " << after_kib << " KiB";
  }
}


// --------------------------------------------------------------------- Redis

class RedisResumeTest : public harness::RedisTest {
 protected:
  std::function<void()> AwaitSubscribers(const std::string& channel, int count) {
    return [this, channel, count] { EXPECT_TRUE(harness::AwaitSubscribers(redis_.port(), channel, count)); };
  }
};

TEST_F(RedisResumeTest, CutOffMidStreamResumesOnAnotherProcessFromRedis) {
  Bridge first;
  Bridge second;
  StartBridge(first, {"--history-size", "20000"});
  StartBridge(second, {"--history-size", "20000"});
  CutOffAndResume(first.port(), first.port(), second.port(), 10000, "cross", AwaitSubscribers("cross", 1));
  EXPECT_EQ(MetricValue(second.port(), "ssebridge_replays_from_redis_total"), 1);
}

// A browser whose stream ends (at a stream-age limit, say) reconnects at once
// with Last-Event-ID while another process publishes: the channel's only
// stream on the receiving process goes and comes back, again and again, each
// time sending UNSUBSCRIBE and then SUBSCRIBE. Every message must reach the
// client once, in order, with no gap. Stops at the first loss.
TEST_F(RedisResumeTest, AStreamEndedAndResumedAtOnceUnderTrafficLosesNothing) {
  Bridge receiver;
  Bridge publisher;
  StartBridge(receiver, {"--history-size", "20000"});
  StartBridge(publisher, {"--history-size", "20000"});
  constexpr int kTotal = 4000;
  constexpr int kMaxCycles = 200;
  constexpr int kPerCycle = kTotal / kMaxCycles;
  auto client = std::make_unique<SseClient>();
  ASSERT_TRUE(client->Open(receiver.port(), "/events/cycle"));
  AwaitSubscribers("cycle", 1)();
  std::atomic<int> published{0};
  // One publish in flight at a time, so the traffic spans the cycles.
  std::thread traffic([&] {
    published = harness::PublishMany(publisher.port(), kTotal, [](int i) { return NumberedBody("cycle", i); }, 1);
  });
  Sequence sequence;
  auto in_order = [&] {
    return sequence.values.empty() || sequence.values.back() + 1 == static_cast<int>(sequence.values.size());
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int cycles = 0;
  for (; cycles < kMaxCycles && std::chrono::steady_clock::now() < deadline; ++cycles) {
    const int until = std::min(kTotal, static_cast<int>(sequence.values.size()) + kPerCycle);
    if (!ReadNumbers(*client, &sequence, until) || sequence.gaps != 0 || !in_order()) break;
    if (until == kTotal) break;
    // The stream ends and the browser is back at once.
    client->socket().Close();
    client = std::make_unique<SseClient>();
    ASSERT_TRUE(client->Open(receiver.port(), "/events/cycle", {{"Last-Event-ID", sequence.last_id}}));
  }
  const bool lost = sequence.gaps != 0 || !in_order();
  if (!lost) {
    EXPECT_TRUE(ReadNumbers(*client, &sequence, kTotal));
  }
  traffic.join();
  EXPECT_EQ(published.load(), kTotal);
  ASSERT_FALSE(lost) << "after reconnect " << cycles << ": expected message " << sequence.values.size() - 1
                     << ", got " << sequence.values.back() << " (gaps: " << sequence.gaps << " " << sequence.last_gap
                     << ")";
  EXPECT_GE(cycles, 20) << "too few reconnects to mean anything";
  ExpectExactly(sequence.values, kTotal);
}

TEST_F(RedisResumeTest, SubscriberConnectionKilledMidTrafficLosesNothing) {
  Bridge receiver;
  Bridge publisher;
  StartBridge(receiver, {"--history-size", "20000"});
  StartBridge(publisher, {"--history-size", "20000"});
  SseClient a;
  SseClient b;
  ASSERT_TRUE(a.Open(receiver.port(), "/events?channel=kill"));
  ASSERT_TRUE(b.Open(receiver.port(), "/events?channel=ki*&channel=kill"));
  AwaitSubscribers("kill", 1)();
  constexpr int kTotal = 6000;
  std::atomic<int> published{0};
  std::thread traffic([&] {
    published = harness::PublishMany(publisher.port(), kTotal, [](int i) { return NumberedBody("kill", i); }, 16);
  });
  Sequence seen_a;
  Sequence seen_b;
  ASSERT_TRUE(ReadNumbers(a, &seen_a, 1500));
  // Kill every pub/sub connection (ours) while messages keep flowing.
  EXPECT_GE(RedisCommand(redis_.port(), {"CLIENT", "KILL", "TYPE", "pubsub"}).integer, 1);
  EXPECT_TRUE(ReadNumbers(a, &seen_a, kTotal, Millis(20000)));
  EXPECT_TRUE(ReadNumbers(b, &seen_b, kTotal, Millis(20000)));
  traffic.join();
  EXPECT_EQ(published.load(), kTotal);
  ExpectExactly(seen_a.values, kTotal);
  ExpectExactly(seen_b.values, kTotal);
  EXPECT_TRUE(receiver.process().WaitForLine("refilled", kWait)) << receiver.process().output();
  EXPECT_FALSE(a.Next(Millis(300)));
}

TEST_F(RedisResumeTest, ApplicationsCanPublishResumableMessagesWithTheLuaScript) {
  Bridge bridge;
  StartBridge(bridge);
  std::string script_path = std::string(SSEBRIDGE_SOURCE_DIR) + "/deploy/redis/publish.lua";
  FILE* file = fopen(script_path.c_str(), "r");
  ASSERT_NE(file, nullptr);
  std::string script;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) script.append(chunk, n);
  fclose(file);
  auto first = RedisCommand(redis_.port(), {"EVAL", script, "1", "ssebridge:seq", R"({"event":"app","data":{"n":1})",
                                            "100", "60000", "orders"});
  ASSERT_TRUE(first.ok) << first.text;
  RedisCommand(redis_.port(), {"EVAL", script, "1", "ssebridge:seq", R"({"event":"app","data":{"n":2})", "100",
                               "60000", "orders"});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/orders", {{"Last-Event-ID", first.text}}));
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "app");
  EXPECT_EQ(event->data, R"({"n":2})");
}

TEST_F(RedisResumeTest, RedisThatLostItsDataReportsAGap) {
  Bridge bridge;
  StartBridge(bridge);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto response = PublishJson(bridge.port(), NumberedBody("wiped", i));
    ASSERT_TRUE(response && response->status == 200);
    ids.push_back(harness::PublishedId(*response));
  }
  // A restart without persistence: every stream and the id clock are gone.
  redis_.Stop();
  ASSERT_TRUE(redis_.Start());
  ASSERT_TRUE(Eventually(
      [&] {
        auto published = PublishJson(bridge.port(), NumberedBody("wiped", 3));
        return published && published->status == 200;
      },
      kWait));
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/wiped", {{"Last-Event-ID", ids[0]}}));
  std::optional<SseEvent> gap = client.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("history-reset"), std::string::npos) << gap->data;
  EXPECT_EQ(NextData(client, kWait), "3");
}

TEST_F(RedisResumeTest, EnvelopeRecognitionOffStillDecodesOurOwnMessages) {
  Bridge bridge;
  StartBridge(bridge, {"--redis-envelope", "off"});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events?channel=e1&channel=e2"));
  AwaitSubscribers("e1", 1)();
  AwaitSubscribers("e2", 1)();
  auto response = PublishJson(bridge.port(), R"({"channels":["e1","e2"],"event":"named","data":{"k":1}})");
  ASSERT_TRUE(response && response->status == 200);
  RedisCommand(redis_.port(), {"PUBLISH", "e1", R"({"event":"app","data":2})"});
  std::optional<SseEvent> ours = client.Next(kWait);
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->event, "named");
  EXPECT_EQ(ours->data, R"({"k":1})");
  EXPECT_FALSE(ours->id.empty());
  // Delivered once although the stream has both channels; the application's
  // envelope stays raw as configured.
  std::optional<SseEvent> app = client.Next(kWait);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->event, "message");
  EXPECT_EQ(app->data, R"({"event":"app","data":2})");
}

TEST_F(RedisResumeTest, ReconnectStormSharesHistoryReads) {
  Bridge publisher;
  Bridge storm;
  StartBridge(publisher);
  StartBridge(storm);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto response = PublishJson(publisher.port(), NumberedBody("storm", i));
    ASSERT_TRUE(response && response->status == 200);
    ids.push_back(harness::PublishedId(*response));
  }
  constexpr int kClients = 300;
  std::vector<harness::Socket> sockets(kClients);
  std::string request = "GET /events/storm HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " + ids[9] + "\r\n\r\n";
  // A storm is every client asking at once (as after a restart). Sending 300
  // requests one after another from this thread takes longer than a Redis
  // read on a busy machine, which would turn one storm into a series of small
  // ones; so the bridge is paused while the kernel queues the connections and
  // requests, and resumed to find them all waiting.
  const pid_t storm_pid = storm.process().pid();
  ASSERT_EQ(kill(storm_pid, SIGSTOP), 0);
  bool all_sent = true;
  for (auto& socket : sockets) all_sent = all_sent && socket.Connect(storm.port());
  for (auto& socket : sockets) all_sent = all_sent && socket.SendAll(request);
  ASSERT_EQ(kill(storm_pid, SIGCONT), 0);  // Before any assertion can end the test.
  ASSERT_TRUE(all_sent);
  for (auto& socket : sockets) {
    std::string received;
    // Each client must get the 10 messages after its id.
    while (received.find("data: 19\n") == std::string::npos) {
      ASSERT_GT(socket.ReadSome(&received, kWait), 0) << received;
    }
    EXPECT_EQ(received.find("data: 9\n"), std::string::npos);
    EXPECT_NE(received.find("data: 10\n"), std::string::npos);
  }
  long long reads = MetricValue(storm.port(), "ssebridge_redis_history_reads_total");
  EXPECT_GE(reads, 1);
  EXPECT_LE(reads, 10) << "one Redis read per client would be " << kClients;
  EXPECT_EQ(MetricValue(storm.port(), "ssebridge_replays_total"), kClients);
}

}  // namespace
