// --max-stream-age (Alfresco SSE's session lifetime, docs/compat.md) against
// the real binary, on both brokers: a stream ends after its jittered age with
// a short retry and a clean end, and a client that reconnects with
// Last-Event-ID, as EventSource does, gets every message of a publisher that
// keeps publishing across the age boundaries once and in order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker_test_fixture.h"
#include "harness.h"

using harness::Bridge;
using harness::Clock;
using harness::HttpResponse;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

std::string Message(int n) { return "m" + std::to_string(n); }

long long ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<Millis>(Clock::now() - since).count();
}

class MaxStreamAgeTest : public harness::BrokerTest {
 protected:
  Bridge bridge_;
};

TEST_P(MaxStreamAgeTest, AStreamEndsAfterItsAgeWithAShortRetryAndTheFinalChunk) {
  // --retry 3000 for the stream's start; the end asks for a prompt reconnect.
  StartBridge(bridge_, {"--max-stream-age", "1", "--retry", "3000"});
  const Clock::time_point opened = Clock::now();
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/news"));
  ASSERT_EQ(client.head().status, 200);
  ASSERT_TRUE(client.WaitEnd(Millis(5000))) << "the stream did not end within 5 s";
  const long long lived = ElapsedMs(opened);
  EXPECT_TRUE(client.saw_final_chunk());  // A clean end, not a reset.
  // What came before the end: no event, only the retry field.
  EXPECT_FALSE(client.Next(Millis(100)).has_value());
  ASSERT_TRUE(client.retry_ms.has_value());
  EXPECT_EQ(*client.retry_ms, 250);
  // 90-110% of the age, rounded up to a 250 ms bucket, swept every 250 ms.
  EXPECT_GE(lived, 900);
  EXPECT_LE(lived, 1100 + 250 + 250 + 400) << "a margin of 400 ms for a loaded machine";
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_streams_aged_total"), 1);
}

TEST_P(MaxStreamAgeTest, WithoutTheOptionAStreamStaysOpen) {
  StartBridge(bridge_, {"--heartbeat", "1"});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/news"));
  // Two heartbeats later it is still open: heartbeats are awaited, not slept.
  while (client.comments() < 3) {
    ASSERT_FALSE(client.Next(Millis(1500)).has_value());
    ASSERT_FALSE(client.closed() || client.saw_final_chunk()) << "the stream ended";
  }
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_streams_aged_total"), 0);
}

// A publisher paced at about 40 messages a second for about 3.5 s, while the
// client's streams end every second or so: each time the client reconnects
// at once with the last id it saw (EventSource would wait the 250 ms retry;
// reconnecting at once is the harder case for the seam).
TEST_P(MaxStreamAgeTest, AReconnectingClientGetsEveryMessageOnceInOrder) {
  StartBridge(bridge_, {"--max-stream-age", "1"});
  constexpr int kMessages = 140;
  SseClient first;
  ASSERT_TRUE(first.Open(bridge_.port(), "/events/orders"));
  AwaitSubscriptions({"orders"});

  std::atomic<int> published{0};
  std::atomic<bool> publish_failed{false};
  std::thread publisher([&] {
    for (int n = 0; n < kMessages; ++n) {
      std::optional<HttpResponse> answer =
          harness::PublishJson(bridge_.port(), R"({"channel":"orders","data":")" + Message(n) + R"("})");
      if (!answer || answer->status != 200) {
        publish_failed = true;
        return;
      }
      ++published;
      // Pacing, not synchronisation: the load must span several ages.
      std::this_thread::sleep_for(Millis(25));
    }
  });

  std::vector<std::string> received;
  int streams = 1;
  std::string last_event_id;
  SseClient* client = &first;
  std::unique_ptr<SseClient> reconnected;
  const Clock::time_point deadline = Clock::now() + Millis(20000);
  while (static_cast<int>(received.size()) < kMessages && Clock::now() < deadline && !publish_failed) {
    std::optional<SseEvent> event = client->Next(Millis(2000));
    if (event) {
      received.push_back(event->data);
      last_event_id = client->last_event_id;
      continue;
    }
    if (!client->closed() && !client->saw_final_chunk()) continue;  // Nothing yet: keep waiting.
    // The stream ended: reconnect from the last id, as EventSource does.
    EXPECT_TRUE(client->saw_final_chunk()) << "stream " << streams << " was not ended cleanly";
    reconnected = std::make_unique<SseClient>();
    std::vector<std::pair<std::string, std::string>> headers;
    if (!last_event_id.empty()) headers.emplace_back("Last-Event-ID", last_event_id);
    ASSERT_TRUE(reconnected->Open(bridge_.port(), "/events/orders", headers));
    ASSERT_EQ(reconnected->head().status, 200);
    client = reconnected.get();
    ++streams;
  }
  publisher.join();
  ASSERT_FALSE(publish_failed);
  ASSERT_EQ(published.load(), kMessages);

  std::vector<std::string> expected;
  for (int n = 0; n < kMessages; ++n) expected.push_back(Message(n));
  // Every message once, in order: the first difference says what went wrong.
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_LT(i, received.size()) << "lost everything from " << expected[i] << " on (" << streams << " streams)";
    ASSERT_EQ(received[i], expected[i]) << "at position " << i << " of " << received.size() << " (" << streams
                                        << " streams)";
  }
  EXPECT_EQ(received.size(), expected.size());
  // The publisher ran for more than three ages: the seam was crossed.
  EXPECT_GE(streams, 3);
  EXPECT_GE(harness::MetricValue(bridge_.port(), "ssebridge_streams_aged_total"), streams - 1);
}

INSTANTIATE_TEST_SUITE_P(Brokers, MaxStreamAgeTest, harness::BothBrokers(), harness::BrokerName);

}  // namespace
