// Connection-level attacks on a real bridge (issue 9): every test opens a
// Bystander first, attacks, and then proves the bystander lost nothing and
// the process still runs. Every load loop is bounded in count and in time.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>

#include "harness.h"

using harness::Bridge;
using harness::Bystander;
using harness::Clock;
using harness::HttpResponse;
using harness::Millis;
using harness::MetricValue;
using harness::Socket;
using harness::SseClient;

namespace {

constexpr Millis kWait(5000);

std::string PublishRequestBytes(const std::string& channel, const std::string& data,
                                const std::string& extra_headers = "") {
  std::string json = "{\"channel\":\"" + channel + "\",\"data\":\"" + data + "\"}";
  return "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json;
}

class HostileConnectionTest : public ::testing::Test {
 protected:
  void StartBridge(const std::vector<std::string>& args = {}) {
    ASSERT_TRUE(bridge_.Start(args)) << bridge_.process().output();
    ASSERT_TRUE(bystander_.Open(bridge_.port(), "bystander"));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(PublishAsBystander());
  }

  // The bystander publishes from 127.0.0.1 like any client, so a tight
  // publish rate limit may ask it to wait: it retries as told.
  bool PublishAsBystander() { return harness::Eventually([&] { return bystander_.Publish(); }, kWait); }

  // After the attack: the process runs, new publishes are answered, and the
  // bystander got every message answered 200, in order, once.
  void ExpectBystanderUnharmed() {
    ASSERT_TRUE(bridge_.process().running());
    ASSERT_EQ(kill(bridge_.process().pid(), 0), 0) << "the bridge process is gone";
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(PublishAsBystander());
    EXPECT_EQ(bystander_.Verify(kWait), "");
    EXPECT_EQ(harness::HttpRequest(bridge_.port(), "GET", "/healthz")->status, 200);
  }

  long long Metric(const std::string& name) { return MetricValue(bridge_.port(), name); }

  // One request on its own connection, from `source`, with the raw bytes given.
  std::optional<HttpResponse> RawRequest(const std::string& bytes, const std::string& source = "") {
    Socket socket;
    if (!socket.Connect(bridge_.port(), 0, source) || !socket.SendAll(bytes)) return std::nullopt;
    std::string buffer;
    return harness::ReadResponse(socket, buffer, kWait);
  }

  Bridge bridge_;
  Bystander bystander_;
};

// Issue 9, item 3: 200,000 pipelined publishes, answers never read.
TEST_F(HostileConnectionTest, PipelinedPublishesWithoutReadingAreThrottledThenCutOff) {
  StartBridge({"--header-timeout", "2"});
  const long rss_before = harness::ResidentKiB(bridge_.process().pid());
  std::string requests;
  const std::string one = PublishRequestBytes("flood", "x");
  requests.reserve(one.size() * 200000);
  for (int i = 0; i < 200000; ++i) requests += one;
  Socket attacker;
  ASSERT_TRUE(attacker.Connect(bridge_.port(), 4096));
  // The bridge stops reading once the unread answers pass its high-water
  // mark, so the send stalls long before 22 MB are through.
  const size_t sent = attacker.SendUntilStalled(requests, Millis(1000));
  const long rss_after = harness::ResidentKiB(bridge_.process().pid());
  printf("pipelining attack: %zu of %zu bytes taken, bridge RSS %ld -> %ld KiB\n", sent, requests.size(), rss_before,
         rss_after);
  EXPECT_LT(sent, requests.size()) << "the bridge read every request although no answer was read";
  if (harness::kResidentSizeIsMeaningful) {
    EXPECT_LT(rss_after - rss_before, 8 * 1024) << "RSS grew from " << rss_before << " to " << rss_after << " KiB";
  }
  // Not reading for --header-timeout gets it cut off, logged and counted.
  EXPECT_TRUE(bridge_.process().WaitForLine("bytes of answers unread for 2 s", Millis(10000)));
  EXPECT_TRUE(harness::Eventually([&] { return Metric("ssebridge_unread_answer_disconnects_total") == 1; }, kWait));
  ExpectBystanderUnharmed();
}

// A client that pipelines fast but reads its answers is throttled, not cut off.
TEST_F(HostileConnectionTest, PipeliningClientThatReadsGetsEveryAnswer) {
  StartBridge();
  EXPECT_EQ(harness::PublishMany(bridge_.port(), 20000, [](int i) {
              return "{\"channel\":\"many\",\"data\":\"" + std::to_string(i) + "\"}";
            }, /*window=*/4000), 20000);
  EXPECT_EQ(Metric("ssebridge_unread_answer_disconnects_total"), 0);
  ExpectBystanderUnharmed();
}

// Issue 9, item 7: out of file descriptors with --max-connections above the limit.
TEST_F(HostileConnectionTest, OutOfDescriptorsAnswers503LogsCountsAndDoesNotSpin) {
  bridge_.process().set_open_file_limit(64);
  StartBridge({"--max-connections", "1000", "--header-timeout", "30"});
  // Hold keep-alive connections until the bridge runs out of descriptors.
  std::vector<Socket> held;
  int answered_ok = 0;
  int answered_503 = 0;
  for (int i = 0; i < 120 && answered_503 == 0; ++i) {
    Socket socket;
    ASSERT_TRUE(socket.Connect(bridge_.port()));
    ASSERT_TRUE(socket.SendAll("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string buffer;
    std::optional<HttpResponse> response = harness::ReadResponse(socket, buffer, kWait);
    ASSERT_TRUE(response) << "connection " << i << " was closed without an answer, or not answered in time";
    if (response->status == 200) {
      ++answered_ok;
      held.push_back(std::move(socket));
    } else {
      EXPECT_EQ(response->status, 503);
      EXPECT_NE(response->body.find("out of file descriptors"), std::string::npos) << response->body;
      EXPECT_EQ(response->headers["content-type"], "application/json");
      ++answered_503;
    }
  }
  EXPECT_GT(answered_ok, 20);
  ASSERT_EQ(answered_503, 1) << "never ran out of descriptors";
  EXPECT_TRUE(bridge_.process().WaitForLine("out of file descriptors", kWait));

  // A bounded flood of connects at the limit: each is answered or closed,
  // and the bridge's CPU time stays a small share of the elapsed time.
  const long cpu_before = harness::CpuMillis(bridge_.process().pid());
  const auto flood_start = Clock::now();
  int flood_answered = 0;
  for (int i = 0; i < 1000 && Clock::now() - flood_start < Millis(20000); ++i) {
    Socket socket;
    ASSERT_TRUE(socket.Connect(bridge_.port()));
    socket.SendAll("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string buffer;
    if (std::optional<HttpResponse> response = harness::ReadResponse(socket, buffer, kWait)) {
      EXPECT_EQ(response->status, 503);
      ++flood_answered;
    } else {
      EXPECT_TRUE(socket.WaitClosed(kWait)) << "flood connection " << i << " left hanging";
    }
  }
  const long elapsed_ms =
      std::chrono::duration_cast<Millis>(Clock::now() - flood_start).count() + 1;
  const long cpu_ms = harness::CpuMillis(bridge_.process().pid()) - cpu_before;
  printf("descriptor-limit flood: %d of 1000 connections answered 503, bridge CPU %ld ms in %ld ms\n",
         flood_answered, cpu_ms, elapsed_ms);
  EXPECT_GT(flood_answered, 900);
  // Each refusal costs an accept, a send and a close: well under a
  // millisecond. (The client connects as fast as it can, so the share of
  // wall time says little; the idle check below is what catches a spin.)
  EXPECT_LT(cpu_ms, flood_answered / 2 + 100) << cpu_ms << " ms CPU in " << elapsed_ms << " ms";
  // Idle for a second at the limit: next to no CPU (no busy loop, no
  // timer storm).
  const long idle_before = harness::CpuMillis(bridge_.process().pid());
  EXPECT_FALSE(held.front().WaitClosed(Millis(1000)));
  EXPECT_LE(harness::CpuMillis(bridge_.process().pid()) - idle_before, 50);
  // The log is rate-limited: far fewer lines than rejections.
  std::string output = bridge_.process().output();
  size_t lines = 0;
  for (size_t at = output.find("out of file descriptors"); at != std::string::npos;
       at = output.find("out of file descriptors", at + 1)) {
    ++lines;
  }
  EXPECT_LT(lines, 50u);

  held.clear();  // Frees descriptors; the bridge notices the closes.
  EXPECT_TRUE(harness::Eventually(
      [&] {
        return Metric("ssebridge_connections_rejected_total{reason=\"out_of_descriptors\"}") == 1 + flood_answered;
      },
      kWait));
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, MaxConnectionsStillAnswers503AndIsCountedByReason) {
  StartBridge({"--max-connections", "3"});
  SseClient second;
  ASSERT_TRUE(second.Open(bridge_.port(), "/events/a"));
  SseClient third;
  ASSERT_TRUE(third.Open(bridge_.port(), "/events/a"));
  SseClient refused;
  ASSERT_TRUE(refused.Open(bridge_.port(), "/events/a"));
  EXPECT_EQ(refused.head().status, 503);
  third.socket().Close();
  second.socket().Close();
  EXPECT_TRUE(harness::Eventually(
      [&] { return Metric("ssebridge_connections_rejected_total{reason=\"max_connections\"}") >= 1; }, kWait));
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, StreamsPerAddressAreLimited) {
  StartBridge({"--max-streams-per-ip", "2"});
  SseClient first;
  SseClient second;
  SseClient third;
  ASSERT_TRUE(first.Open(bridge_.port(), "/events/a", {}, false, 0, "127.0.0.9"));
  ASSERT_TRUE(second.Open(bridge_.port(), "/events/a", {}, false, 0, "127.0.0.9"));
  ASSERT_TRUE(third.Open(bridge_.port(), "/events/a", {}, false, 0, "127.0.0.9"));
  EXPECT_EQ(first.head().status, 200);
  EXPECT_EQ(second.head().status, 200);
  EXPECT_EQ(third.head().status, 429);
  EXPECT_NE(third.head().body.find("too many event streams"), std::string::npos) << third.head().body;
  // Another address has its own count.
  SseClient other;
  ASSERT_TRUE(other.Open(bridge_.port(), "/events/a", {}, false, 0, "127.0.0.10"));
  EXPECT_EQ(other.head().status, 200);
  // A closed stream frees its place.
  first.socket().Close();
  EXPECT_TRUE(harness::Eventually(
      [&] {
        SseClient again;
        return again.Open(bridge_.port(), "/events/a", {}, false, 0, "127.0.0.9") && again.head().status == 200;
      },
      kWait));
  EXPECT_GE(Metric("ssebridge_connections_rejected_total{reason=\"per_ip_streams\"}"), 1);
  EXPECT_TRUE(bridge_.process().WaitForLine("refusing stream from 127.0.0.9", kWait));
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, PublishRatePerAddressAnswers429WithRetryAfter) {
  StartBridge({"--max-publish-rate-per-ip", "5"});
  Socket attacker;
  ASSERT_TRUE(attacker.Connect(bridge_.port(), 0, "127.0.0.9"));
  std::string requests;
  for (int i = 0; i < 50; ++i) requests += PublishRequestBytes("spam", "s" + std::to_string(i));
  ASSERT_TRUE(attacker.SendAll(requests));
  std::string buffer;
  int ok = 0;
  int limited = 0;
  for (int i = 0; i < 50; ++i) {
    std::optional<HttpResponse> response = harness::ReadResponse(attacker, buffer, kWait);
    ASSERT_TRUE(response) << "answer " << i;
    if (response->status == 200) {
      ++ok;
    } else {
      ASSERT_EQ(response->status, 429);
      EXPECT_EQ(response->headers["retry-after"], "1");
      EXPECT_NE(response->body.find("\"error\":\"publish rate limit exceeded"), std::string::npos);
      ++limited;
    }
  }
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 7);  // The burst, plus what refilled while the batch was parsed.
  EXPECT_EQ(ok + limited, 50);
  EXPECT_EQ(Metric("ssebridge_publish_rate_limited_total"), limited);
  // The bystander publishes from another address, with its own bucket.
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, ForwardedForIsBelievedOnlyFromATrustedProxy) {
  // The forwarded clients are remote, so anonymous publishing must be on for
  // them (by default only local clients publish without a token); the rate
  // limit is what is tested here.
  StartBridge({"--max-publish-rate-per-ip", "1", "--publish-burst-per-ip", "2", "--trusted-proxy", "127.0.0.2",
               "--trusted-proxy", "10.0.0.0/8", "--anonymous-publish", "on"});
  auto publish = [&](const std::string& source, const std::string& forwarded_for) {
    std::optional<HttpResponse> response =
        RawRequest(PublishRequestBytes("xff", "m", "X-Forwarded-For: " + forwarded_for + "\r\n"), source);
    return response ? response->status : 0;
  };
  // Through the proxy, each forwarded client has its own bucket...
  EXPECT_EQ(publish("127.0.0.2", "198.51.100.1"), 200);
  EXPECT_EQ(publish("127.0.0.2", "198.51.100.1"), 200);
  EXPECT_EQ(publish("127.0.0.2", "198.51.100.1"), 429);
  EXPECT_EQ(publish("127.0.0.2", "198.51.100.2"), 200);
  // ...found behind a chain of trusted proxies, and a forged left part does not help.
  EXPECT_EQ(publish("127.0.0.2", "203.0.113.9, 198.51.100.1, 10.1.2.3"), 429);
  // A client talking directly cannot pick its address by sending the header.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(publish("127.0.0.3", "192.0.2." + std::to_string(i)), 200) << i;
  EXPECT_EQ(publish("127.0.0.3", "192.0.2.77"), 429);
  ExpectBystanderUnharmed();
}

// Issue 9, item 8.
TEST_F(HostileConnectionTest, AbsoluteFormTargetsAreRouted) {
  StartBridge();
  Socket socket;
  ASSERT_TRUE(socket.Connect(bridge_.port()));
  ASSERT_TRUE(socket.SendAll("GET http://bridge.example/events/absolute HTTP/1.1\r\nHost: bridge.example\r\n"
                             "Accept: text/event-stream\r\n\r\n"));
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) ASSERT_GT(socket.ReadSome(&head, kWait), 0);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  std::optional<HttpResponse> published =
      RawRequest("POST http://bridge.example:80/publish HTTP/1.1\r\nHost: bridge.example\r\n"
                 "Content-Type: application/json\r\nContent-Length: 36\r\n\r\n"
                 "{\"channel\":\"absolute\",\"data\":\"here\"}");
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200) << published->body;
  while (head.find("data: here") == std::string::npos) ASSERT_GT(socket.ReadSome(&head, kWait), 0);
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, AmbiguousFramingGets400AndTheConnectionIsClosed) {
  StartBridge();
  const std::string json = "{\"channel\":\"bystander\",\"data\":\"smuggled\"}";
  const std::string length = std::to_string(json.size());
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::vector<std::string> shapes = {
      // Folded Content-Length.
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length:\r\n " + length +
          "\r\n\r\n" + json,
      // Duplicated Content-Length, equal and different.
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + length +
          "\r\nContent-Length: " + length + "\r\n\r\n" + json,
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + length +
          "\r\nContent-Length: 0\r\n\r\n" + json,
      // Transfer-Encoding other than chunked, or with Content-Length (CL.TE / TE.CL smuggling).
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "0\r\n\r\n" + smuggled,
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n" + smuggled,
      "POST /publish HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n" + smuggled,
      // Two Host headers; a space before the colon.
      "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + smuggled,
      "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n" + smuggled,
  };
  for (const std::string& shape : shapes) {
    Socket socket;
    ASSERT_TRUE(socket.Connect(bridge_.port()));
    ASSERT_TRUE(socket.SendAll(shape));
    std::string buffer;
    std::optional<HttpResponse> response = harness::ReadResponse(socket, buffer, kWait);
    ASSERT_TRUE(response) << shape;
    EXPECT_EQ(response->status, 400) << shape << "\n" << response->body;
    EXPECT_EQ(response->headers["connection"], "close") << shape;
    // Nothing after the refused request is answered: the connection ends.
    EXPECT_TRUE(socket.WaitClosed(kWait)) << shape;
    EXPECT_EQ(buffer.find("HTTP/1.1"), std::string::npos) << "a smuggled request was answered: " << buffer;
  }
  ExpectBystanderUnharmed();  // And "smuggled" never reached it.
}

TEST_F(HostileConnectionTest, HeaderInjectionThroughTargetsAndHeadersIsInert) {
  StartBridge({"--cors-origin", "https://app.example"});
  // A CR LF in the target is percent-encoded; echoed in a JSON body, it stays text.
  std::optional<HttpResponse> response =
      RawRequest("GET /nope%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->headers.count("set-cookie"), 0u);
  // A raw CR inside a header value is refused before anything is echoed.
  response = RawRequest("GET /healthz HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\rSet-Cookie: x=1\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->headers.count("set-cookie"), 0u);
  // Requested preflight headers are echoed only when they are plain tokens.
  response = RawRequest(
      "OPTIONS /publish HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nConnection: close\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-a: b\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers["access-control-allow-headers"], "Content-Type, Last-Event-ID, Cache-Control");
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, CorsProbingIsAnsweredOnlyForListedOrigins) {
  StartBridge({"--cors-origin", "https://app.example"});
  for (const char* origin : {"https://evil.example", "https://app.example.evil.example", "null",
                             "https://APP.example", "http://app.example"}) {
    std::optional<HttpResponse> response =
        harness::HttpRequest(bridge_.port(), "OPTIONS", "/publish", "",
                             {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}});
    ASSERT_TRUE(response) << origin;
    EXPECT_EQ(response->headers.count("access-control-allow-origin"), 0u) << origin;
    EXPECT_EQ(response->headers.count("access-control-allow-credentials"), 0u) << origin;
  }
  std::optional<HttpResponse> allowed = harness::HttpRequest(
      bridge_.port(), "OPTIONS", "/publish", "", {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->headers["access-control-allow-origin"], "https://app.example");
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, SlowlorisIsClosedByTheHeaderTimeout) {
  StartBridge({"--header-timeout", "2"});
  Socket slow;
  ASSERT_TRUE(slow.Connect(bridge_.port()));
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100, 'p') + "\r\n\r\n";
  std::string answer;
  const auto start = Clock::now();
  // One byte a second; the wait for an answer paces the bytes.
  size_t sent = 0;
  for (; sent < request.size() && answer.empty(); ++sent) {
    if (!slow.SendAll(request.substr(sent, 1))) break;
    if (slow.ReadSome(&answer, Millis(1000)) == 0) break;
  }
  while (answer.find("\r\n\r\n") == std::string::npos && slow.ReadSome(&answer, kWait) > 0) {
  }
  const auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_LT(elapsed, 5000);
  EXPECT_LT(sent, 6u);
  EXPECT_TRUE(slow.WaitClosed(kWait));
  EXPECT_GE(Metric("ssebridge_header_timeouts_total"), 1);
  ExpectBystanderUnharmed();
}

TEST_F(HostileConnectionTest, NeverReadingSubscriberIsCutOff) {
  StartBridge({"--client-buffer-bytes", "65536"});
  SseClient sluggard;  // Reads the head, then never again; tiny receive buffer.
  ASSERT_TRUE(sluggard.Open(bridge_.port(), "/events/firehose", {}, false, 4096));
  const std::string big(2000, 'z');
  int published = 0;
  for (; published < 2000 && Metric("ssebridge_slow_consumer_disconnects_total") == 0; published += 100) {
    ASSERT_EQ(harness::PublishMany(bridge_.port(), 100,
                                   [&](int) { return "{\"channel\":\"firehose\",\"data\":\"" + big + "\"}"; }),
              100);
  }
  EXPECT_EQ(Metric("ssebridge_slow_consumer_disconnects_total"), 1);
  EXPECT_TRUE(bridge_.process().WaitForLine("cut off as a slow consumer", kWait));
  EXPECT_LT(Metric("ssebridge_queued_bytes"), 200000);
  ExpectBystanderUnharmed();
}

}  // namespace
