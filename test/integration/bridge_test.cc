// The bridge driven over real sockets: every scenario here must behave the
// same whichever broker carries the messages, so each runs twice, as
// Brokers/BridgeTest.<Scenario>/Embedded and .../Redis (a redis-server per
// test). What only one broker does lives in redis_bridge_test.cc and
// resume_test.cc; the command line, which needs no broker, is at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <signal.h>
#include <thread>

#include "broker_test_fixture.h"
#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::NextData;
using harness::PublishJson;
using harness::RedisCommand;
using harness::SseClient;
using harness::SseEvent;
using harness::Socket;

namespace {

constexpr Millis kWait(5000);

class BridgeTest : public harness::BrokerTest {
 protected:
  using BrokerTest::StartBridge;
  void StartBridge(const std::vector<std::string>& args = {}) { StartBridge(bridge_, args); }
  int port() { return bridge_.port(); }

  // Publishes and returns the id from the 200 answer.
  std::string Publish(const std::string& json) {
    std::optional<HttpResponse> response = PublishJson(port(), json);
    EXPECT_TRUE(response.has_value());
    if (!response) return "";
    EXPECT_EQ(response->status, 200) << response->body;
    return harness::PublishedId(*response);
  }

  Bridge bridge_;
};

TEST_P(BridgeTest, StreamHasEventStreamHeadersAndRetryPreamble) {
  StartBridge({"--retry", "1234"});
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events?channel=a"));
  AwaitSubscriptions({"a"});
  EXPECT_EQ(client.head().status, 200);
  EXPECT_EQ(client.head().headers.at("content-type").substr(0, 17), "text/event-stream");
  EXPECT_EQ(client.head().headers.at("cache-control"), "no-cache");
  EXPECT_EQ(client.head().headers.at("x-accel-buffering"), "no");
  EXPECT_EQ(client.head().headers.at("transfer-encoding"), "chunked");
  std::string id = Publish(R"({"channel":"a","data":"hello"})");
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "hello");
  EXPECT_EQ(event->event, "message");
  EXPECT_EQ(event->id, id);
  EXPECT_EQ(client.retry_ms, 1234);
  EXPECT_GE(client.comments(), 1);  // The opening comment.
}

TEST_P(BridgeTest, JsonDataKeepsKeyOrderAndNamedEvents) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events?channel=orders"));
  AwaitSubscriptions({"orders"});
  Publish(R"({"channel":"orders","event":"created","data":{"z":1,"a":[1,2],"m":null}})");
  Publish(R"({"channel":"orders","data":null})");
  std::optional<SseEvent> first = client.Next(kWait);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->event, "created");
  EXPECT_EQ(first->data, R"({"z":1,"a":[1,2],"m":null})");
  EXPECT_EQ(NextData(client, kWait), "null");
}

TEST_P(BridgeTest, FormPublishLikeCycloneSse) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/base"));
  AwaitSubscriptions({"base"});
  std::optional<HttpResponse> response =
      harness::HttpRequest(port(), "POST", "/publish", "message=%5B123%2C+124%5D&channel=base",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("\"status\":\"ok\""), std::string::npos);
  EXPECT_EQ(NextData(client, kWait), "[123, 124]");
}

TEST_P(BridgeTest, PayloadLinesCannotInjectFields) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/a"));
  AwaitSubscriptions({"a"});
  Publish(R"({"channel":"a","data":"x\r\nid: 666\rdata: y\n\nevent: evil\n leading space"})");
  Publish(R"({"channel":"a","data":"after"})");
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "message");
  EXPECT_EQ(event->data, "x\nid: 666\ndata: y\n\nevent: evil\n leading space");
  EXPECT_NE(event->id, "666");
  EXPECT_EQ(NextData(client, kWait), "after");
}

TEST_P(BridgeTest, PathSegmentsArePercentDecodedAndUtf8Survives) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/caf%C3%A9/a%2Fb?channel=x"));
  AwaitSubscriptions({"café", "a/b", "x"});
  Publish(R"({"channel":"a/b","data":"slash"})");
  Publish(R"({"channel":"café","data":"héllo wörld ✓"})");
  EXPECT_EQ(NextData(client, kWait), "slash");
  EXPECT_EQ(NextData(client, kWait), "héllo wörld ✓");
}

// A message reaches a stream once however many of its channels and patterns
// it matches, and a multi-channel publish is one message.
TEST_P(BridgeTest, OverlappingChannelsAndPatternsDeliverOnce) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events?channel=news.uk&channels=news.*&channel=*&channel=sport"));
  AwaitSubscriptions({"news.uk", "sport"}, 2);
  std::vector<std::string> expected = {"1", "2", "3"};
  Publish(R"({"channel":"news.uk","data":"1"})");
  Publish(R"({"channels":["news.uk","news.de","sport","other"],"data":"2"})");
  Publish(R"({"channel":"unrelated","data":"3"})");
  if (redis_mode()) {
    // Published by another application straight to Redis: one Redis message
    // per channel and pattern the bridge subscribed to arrives.
    for (const char* channel : {"news.uk", "news.fr", "weather"}) {
      std::string data = std::string("from redis to ") + channel;
      EXPECT_GE(RedisCommand(redis_.port(), {"PUBLISH", channel, data}).integer, 1);
      expected.push_back(data);
    }
  }
  // Matched only by "*": once it has arrived, nothing before it can still be duplicated.
  Publish(R"({"channel":"end","data":"end"})");
  expected.push_back("end");
  for (const std::string& data : expected) {
    std::optional<SseEvent> event = client.Next(kWait);
    ASSERT_TRUE(event) << data;
    EXPECT_EQ(event->data, data);  // A duplicate would show up here instead.
  }
}

TEST_P(BridgeTest, PatternSubscriptionUsesGlobSyntax) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events?channel=room.%5Bab%5D.?"));
  AwaitSubscriptions({}, 1);
  Publish(R"({"channel":"room.c.1","data":"no"})");
  Publish(R"({"channel":"room.a.12","data":"no"})");
  Publish(R"({"channel":"room.b.7","data":"yes"})");
  EXPECT_EQ(NextData(client, kWait), "yes");
}

struct ErrorCase {
  const char* name;
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int status;
};

TEST_P(BridgeTest, EveryErrorHasJsonBodyAndServerKeepsServing) {
  StartBridge({"--max-body-bytes", "1024", "--max-header-bytes", "2048"});
  SseClient watcher;
  ASSERT_TRUE(watcher.Open(port(), "/events/ok"));
  AwaitSubscriptions({"ok"});
  const std::vector<std::pair<std::string, std::string>> json = {{"Content-Type", "application/json"}};
  std::vector<ErrorCase> cases = {
      {"bad json", "POST", "/publish", "{nope", json, 400},
      {"not an object", "POST", "/publish", "[1]", json, 400},
      {"no channel", "POST", "/publish", R"({"data":1})", json, 400},
      {"bad channel", "POST", "/publish", R"({"channel":"a\u0001b","data":1})", json, 400},
      {"pattern channel", "POST", "/publish", R"({"channel":"a*","data":1})", json, 400},
      {"empty event", "POST", "/publish", R"({"channel":"a","event":"","data":1})", json, 400},
      {"event with newline", "POST", "/publish", R"({"channel":"a","event":"x\ny","data":1})", json, 400},
      {"missing data", "POST", "/publish", R"({"channel":"a"})", json, 400},
      {"form without message", "POST", "/publish", "channel=a", {{"Content-Type", "application/x-www-form-urlencoded"}}, 400},
      {"unknown path", "GET", "/nothing-here", "", {}, 404},
      {"wrong method on publish", "GET", "/publish", "", {}, 405},
      {"wrong method on events", "POST", "/events/a", "x", json, 405},
      {"body too large", "POST", "/publish", std::string(2000, 'x'), json, 413},
      {"unsupported type", "POST", "/publish", "hello", {{"Content-Type", "text/plain"}}, 415},
      {"no content type", "POST", "/publish", "hello", {}, 415},
      {"headers too large", "GET", "/healthz", "", {{"X-Big", std::string(3000, 'h')}}, 431},
      {"stream without channel", "GET", "/events", "", {}, 400},
      {"stream with control char", "GET", "/events?channel=a%0Ab", "", {}, 400},
      {"stream with long channel", "GET", "/events/" + std::string(300, 'c'), "", {}, 400},
  };
  for (const ErrorCase& error : cases) {
    std::optional<HttpResponse> response = harness::HttpRequest(port(), error.method, error.target, error.body, error.headers);
    ASSERT_TRUE(response) << error.name;
    EXPECT_EQ(response->status, error.status) << error.name << ": " << response->body;
    EXPECT_EQ(response->headers["content-type"], "application/json") << error.name;
    EXPECT_EQ(response->body.rfind("{\"error\":\"", 0), 0u) << error.name << ": " << response->body;
  }
  // Malformed HTTP is a 400 too.
  Socket raw;
  ASSERT_TRUE(raw.Connect(port()));
  ASSERT_TRUE(raw.SendAll("THIS IS NOT HTTP\r\n\r\n"));
  std::string buffer;
  std::optional<HttpResponse> malformed = harness::ReadResponse(raw, buffer, kWait);
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);

  Publish(R"({"channel":"ok","data":"still here"})");
  EXPECT_EQ(NextData(watcher, kWait), "still here");
}

// 200 publishes with a health check and a 404 between them, sent in one
// write on one keep-alive connection: a broker may complete publishes
// concurrently (Redis batches them), but the answers come back in request
// order, ids ascending, and a stream request behind them starts after them.
TEST_P(BridgeTest, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/pipe"));
  AwaitSubscriptions({"pipe"});
  Socket socket;
  ASSERT_TRUE(socket.Connect(port()));
  auto publish = [](int i) {
    std::string body = R"({"channel":"pipe","data":")" + std::to_string(i) + "\"}";
    return "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  constexpr int kPublishes = 200;
  std::string batch;
  for (int i = 0; i < kPublishes / 2; ++i) batch += publish(i);
  batch += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  batch += "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = kPublishes / 2; i < kPublishes; ++i) batch += publish(i);
  batch += "GET /events/pipe HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(socket.SendAll(batch));
  std::string buffer;
  uint64_t previous_id = 0;
  for (int i = 0; i < kPublishes + 2; ++i) {
    std::optional<HttpResponse> response = harness::ReadResponse(socket, buffer, kWait);
    ASSERT_TRUE(response) << "response " << i;
    if (i == kPublishes / 2) {
      EXPECT_EQ(response->status, 200) << "health check: " << response->body;
      EXPECT_NE(response->body.find("\"broker\":\"" + std::string(broker_kind()) + "\""), std::string::npos)
          << response->body;
      continue;
    }
    if (i == kPublishes / 2 + 1) {
      EXPECT_EQ(response->status, 404) << "unknown path: " << response->body;
      continue;
    }
    ASSERT_EQ(response->status, 200) << "response " << i << ": " << response->body;
    std::string id_text = harness::PublishedId(*response);
    ASSERT_FALSE(id_text.empty()) << response->body;
    uint64_t id = std::stoull(id_text);
    EXPECT_GT(id, previous_id) << "answers out of order at " << i;
    previous_id = id;
  }
  // The stream request that followed them starts after every answer, on the
  // same connection.
  while (buffer.find("\r\n\r\n") == std::string::npos) ASSERT_GT(socket.ReadSome(&buffer, kWait), 0);
  EXPECT_EQ(buffer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << buffer;
  EXPECT_NE(buffer.find("text/event-stream"), std::string::npos);
  for (int i = 0; i < kPublishes; ++i) {
    std::optional<SseEvent> event = client.Next(kWait);
    ASSERT_TRUE(event) << "event " << i;
    EXPECT_EQ(event->data, std::to_string(i));
  }
  // That stream is live: the next message reaches it too.
  Publish(R"({"channel":"pipe","data":"after the pipeline"})");
  while (buffer.find("data: after the pipeline\n") == std::string::npos) {
    ASSERT_GT(socket.ReadSome(&buffer, kWait), 0) << buffer;
  }
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_messages_published_total"), kPublishes + 1);
}

TEST_P(BridgeTest, ExpectContinueIsAnswered) {
  StartBridge();
  Socket socket;
  ASSERT_TRUE(socket.Connect(port()));
  std::string body = R"({"channel":"c","data":"x"})";
  ASSERT_TRUE(socket.SendAll("POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  std::string buffer;
  while (buffer.find("\r\n\r\n") == std::string::npos) ASSERT_GT(socket.ReadSome(&buffer, kWait), 0);
  EXPECT_EQ(buffer.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u);
  buffer.clear();
  ASSERT_TRUE(socket.SendAll(body));
  std::optional<HttpResponse> response = harness::ReadResponse(socket, buffer, kWait);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_P(BridgeTest, SilentAndSlowClientsAreClosedAfterHeaderTimeout) {
  StartBridge({"--header-timeout", "1"});
  Socket silent;
  ASSERT_TRUE(silent.Connect(port()));
  Socket slow;
  ASSERT_TRUE(slow.Connect(port()));
  ASSERT_TRUE(slow.SendAll("GET /healthz HTTP/1.1\r\nHost: exa"));
  EXPECT_TRUE(silent.WaitClosed(Millis(5000)));
  std::string buffer;
  std::optional<HttpResponse> response = harness::ReadResponse(slow, buffer, Millis(5000));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(slow.WaitClosed(Millis(5000)));
  // A stream is not subject to the header timeout.
  SseClient stream;
  ASSERT_TRUE(stream.Open(port(), "/events/t"));
  EXPECT_FALSE(stream.Next(Millis(2000)));
  EXPECT_FALSE(stream.closed());
}

TEST_P(BridgeTest, Http10GetsCloseDelimitedStream) {
  StartBridge();
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/old", {}, /*http10=*/true));
  AwaitSubscriptions({"old"});
  EXPECT_EQ(client.head().raw_head.rfind("HTTP/1.0 200", 0), 0u);
  EXPECT_EQ(client.head().headers.count("transfer-encoding"), 0u);
  Publish(R"({"channel":"old","data":"line1\nline2"})");
  EXPECT_EQ(NextData(client, kWait), "line1\nline2");
}

TEST_P(BridgeTest, CorsHeadersOnlyForAllowedOrigins) {
  StartBridge({"--cors-origin", "https://app.example", "--cors-origin", "https://other.example"});
  auto allowed = harness::HttpRequest(port(), "GET", "/healthz", "", {{"Origin", "https://app.example"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->headers["access-control-allow-origin"], "https://app.example");
  auto denied = harness::HttpRequest(port(), "GET", "/healthz", "", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->headers.count("access-control-allow-origin"), 0u);
  auto preflight = harness::HttpRequest(port(), "OPTIONS", "/publish", "",
                                        {{"Origin", "https://other.example"},
                                         {"Access-Control-Request-Method", "POST"},
                                         {"Access-Control-Request-Headers", "content-type"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->headers["access-control-allow-origin"], "https://other.example");
  EXPECT_NE(preflight->headers["access-control-allow-methods"].find("POST"), std::string::npos);
  EXPECT_EQ(preflight->headers["access-control-allow-headers"], "content-type");
  // Each CORS header exactly once: browsers reject a preflight with two Allow-Origin values.
  auto occurrences = [](const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
  };
  EXPECT_EQ(occurrences(preflight->raw_head, "Access-Control-Allow-Origin:"), 1u) << preflight->raw_head;
  EXPECT_EQ(occurrences(preflight->raw_head, "Access-Control-Allow-Credentials:"), 1u) << preflight->raw_head;
  EXPECT_EQ(occurrences(preflight->raw_head, "Vary:"), 1u) << preflight->raw_head;
  SseClient stream;
  ASSERT_TRUE(stream.Open(port(), "/events/c", {{"Origin", "https://app.example"}}));
  EXPECT_EQ(stream.head().headers.at("access-control-allow-origin"), "https://app.example");
}

TEST_P(BridgeTest, BasePathMovesEveryRoute) {
  StartBridge({"--base-path", "/sse/"});
  for (const char* path : {"/sse/healthz", "/sse/metrics", "/sse/", "/sse"}) {
    auto response = harness::HttpRequest(port(), "GET", path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 200) << path;
  }
  for (const char* path : {"/healthz", "/metrics", "/", "/events/a"}) {
    auto response = harness::HttpRequest(port(), "GET", path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
  }
  auto page = harness::HttpRequest(port(), "GET", "/sse/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->headers["content-type"].substr(0, 9), "text/html");
  EXPECT_NE(page->body.find("EventSource"), std::string::npos);
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/sse/events/x"));
  AwaitSubscriptions({"x"});
  auto published = harness::HttpRequest(port(), "POST", "/sse/publish", R"({"channel":"x","data":"moved"})",
                                        {{"Content-Type", "application/json"}});
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200);
  EXPECT_EQ(NextData(client, kWait), "moved");
}

TEST_P(BridgeTest, HeartbeatCommentsFlowOnIdleStreams) {
  StartBridge({"--heartbeat", "1"});
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/quiet"));
  int before = client.comments();
  // No event will come; the read returns when bytes (heartbeats) arrive and
  // finally times out. At one per second (swept every 250 ms), at least two
  // heartbeats must have been seen by then, even on a loaded machine.
  EXPECT_FALSE(client.Next(Millis(3600)));
  EXPECT_GE(client.comments() - before, 2);
  EXPECT_FALSE(client.closed());
}

TEST_P(BridgeTest, MetricsAndHealth) {
  StartBridge();
  SseClient a;
  SseClient b;
  ASSERT_TRUE(a.Open(port(), "/events?channel=m1&channel=m*"));
  ASSERT_TRUE(b.Open(port(), "/events/m1"));
  AwaitSubscriptions({"m1"}, 1);
  Publish(R"({"channel":"m1","data":"x"})");
  ASSERT_TRUE(a.Next(kWait));
  ASSERT_TRUE(b.Next(kWait));
  auto health = harness::HttpRequest(port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->headers["content-type"], "application/json");
  EXPECT_EQ(health->body, redis_mode() ? R"({"status":"ok","broker":"redis"})" : R"({"status":"ok","broker":"embedded"})");
  auto ready = harness::HttpRequest(port(), "GET", "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, redis_mode()
                             ? R"({"status":"ready","broker":"redis","redis":{"subscriber":"up","commands":"up"}})"
                             : R"({"status":"ready","broker":"embedded"})");
  auto metrics = harness::HttpRequest(port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("\nssebridge_open_streams 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nssebridge_subscriptions 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nssebridge_channels 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nssebridge_patterns 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nssebridge_deliveries_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nssebridge_messages_published_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nssebridge_redis_connected 1\n"), std::string::npos) << text;  // 1 in embedded mode too.
}

TEST_P(BridgeTest, MaxConnectionsAnswers503) {
  StartBridge({"--max-connections", "2"});
  SseClient first;
  SseClient second;
  ASSERT_TRUE(first.Open(port(), "/events/a"));
  ASSERT_TRUE(second.Open(port(), "/events/a"));
  SseClient third;
  ASSERT_TRUE(third.Open(port(), "/events/a"));
  EXPECT_EQ(third.head().status, 503);
  EXPECT_NE(third.head().body.find("too many connections"), std::string::npos);
}

TEST_P(BridgeTest, SlowConsumerIsCutOffWhileFastOneGetsEverything) {
  StartBridge({"--client-buffer-bytes", "65536"});
  SseClient fast;
  ASSERT_TRUE(fast.Open(port(), "/events/firehose"));
  SseClient slow;  // Never reads after the head; tiny receive buffer.
  ASSERT_TRUE(slow.Open(port(), "/events/firehose", {}, false, 4096));
  AwaitSubscriptions({"firehose"});

  // Enough bytes to fill the kernel buffers on both ends and then the queue.
  constexpr int kMessages = 1500;
  const std::string padding(8000, 'p');
  // The fast client must really be fast: on a busy machine its reader thread
  // can stall for longer than 64 KiB of messages takes to publish. So the
  // publisher never gets more than kAhead messages (32 KB) ahead of what it
  // has read, while the slow client, which never reads, falls behind freely.
  constexpr int kAhead = 4;
  std::mutex mutex;
  std::condition_variable progress;
  int received = 0;  // Guarded by mutex.
  bool reader_done = false;
  std::atomic<bool> in_order{true};
  std::thread reader([&] {
    for (int i = 0; i < kMessages; ++i) {
      std::optional<SseEvent> event = fast.Next(Millis(20000));
      if (!event) break;
      if (event->data.rfind(std::to_string(i) + ":", 0) != 0) in_order = false;
      std::lock_guard<std::mutex> lock(mutex);
      ++received;
      progress.notify_all();
    }
    std::lock_guard<std::mutex> lock(mutex);
    reader_done = true;
    progress.notify_all();
  });
  Socket publisher;
  ASSERT_TRUE(publisher.Connect(port()));
  std::string buffer;
  for (int i = 0; i < kMessages; ++i) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      progress.wait_for(lock, Millis(20000), [&] { return received >= i - kAhead || reader_done; });
    }
    std::string body = R"({"channel":"firehose","data":")" + std::to_string(i) + ":" + padding + "\"}";
    ASSERT_TRUE(publisher.SendAll("POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    std::optional<HttpResponse> response = harness::ReadResponse(publisher, buffer, kWait);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
  }
  reader.join();
  EXPECT_EQ(received, kMessages);
  EXPECT_TRUE(in_order.load());
  // The slow client's connection was closed by the server.
  EXPECT_TRUE(slow.socket().WaitClosed(Millis(20000)));
  auto metrics = harness::HttpRequest(port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nssebridge_slow_consumer_disconnects_total 1\n"), std::string::npos);
  EXPECT_NE(bridge_.process().output().find("slow consumer"), std::string::npos);
}

TEST_P(BridgeTest, SigtermEndsStreamsCleanlyAndExitsZero) {
  StartBridge();
  SseClient chunked;
  SseClient old;
  ASSERT_TRUE(chunked.Open(port(), "/events/bye"));
  ASSERT_TRUE(old.Open(port(), "/events/bye", {}, /*http10=*/true));
  auto started = harness::Clock::now();
  kill(bridge_.process().pid(), SIGTERM);
  EXPECT_TRUE(chunked.WaitEnd(Millis(5000)));
  EXPECT_TRUE(chunked.saw_final_chunk());
  EXPECT_TRUE(old.WaitEnd(Millis(5000)));
  std::optional<int> status = bridge_.process().WaitExit(Millis(5000));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
  EXPECT_LT(harness::Clock::now() - started, Millis(5000));
}

// Messages published one at a time arrive in separate loop turns: by default
// each gets its own socket write; with --write-delay they share writes, and
// every message still arrives, once, in order.
TEST_P(BridgeTest, MessagesShareSocketWritesOnlyWhenAsked) {
  for (bool delayed : {false, true}) {
    SCOPED_TRACE(delayed ? "--write-delay 1000" : "no write delay");
    Bridge bridge;
    std::vector<std::string> args;
    if (delayed) args = {"--write-delay", "1000"};
    StartBridge(bridge, args);
    if (HasFatalFailure()) return;
    SseClient client;
    ASSERT_TRUE(client.Open(bridge.port(), "/events/batched"));
    AwaitSubscriptions({"batched"});
    const long long writes_before = harness::MetricValue(bridge.port(), "ssebridge_stream_writes_total");
    ASSERT_GE(writes_before, 0);
    constexpr int kMessages = 20;
    for (int i = 0; i < kMessages; ++i) {
      std::optional<HttpResponse> response =
          PublishJson(bridge.port(), R"({"channel":"batched","data":"m)" + std::to_string(i) + "\"}");
      ASSERT_TRUE(response);
      ASSERT_EQ(response->status, 200) << response->body;
    }
    for (int i = 0; i < kMessages; ++i) {
      std::optional<SseEvent> event = client.Next(Millis(5000));
      ASSERT_TRUE(event) << "event " << i;
      EXPECT_EQ(event->data, "m" + std::to_string(i));
    }
    const long long writes = harness::MetricValue(bridge.port(), "ssebridge_stream_writes_total") - writes_before;
    if (delayed) {
      // Twenty publishes take far less than a second: one window, maybe two.
      EXPECT_LE(writes, 3) << "writes for " << kMessages << " messages";
    } else {
      EXPECT_GE(writes, kMessages / 2) << "writes for " << kMessages << " messages";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Brokers, BridgeTest, harness::BothBrokers(), harness::BrokerName);

// ------------------------------------------------------------ command line

TEST(BridgeCommandLine, InvalidConfigurationExitsWithStatus2NamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string mention;
  };
  std::vector<Case> cases = {
      {{"--no-such-option"}, "--no-such-option"},
      {{"--heartbeat", "soon"}, "--heartbeat"},
      {{"--listen", "127.0.0.1:99999"}, "--listen"},
      {{"--redis", "http://x"}, "--redis"},
      {{"--config", "/nonexistent/ssebridge.json"}, "--config"},
  };
  for (const Case& c : cases) {
    harness::Subprocess process;
    std::vector<std::string> argv = {SSEBRIDGE_BINARY};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ASSERT_TRUE(process.Start(argv));
    std::optional<int> status = process.WaitExit(Millis(5000));
    ASSERT_TRUE(status) << c.mention;
    EXPECT_EQ(*status, 2) << c.mention;
    EXPECT_NE(process.output().find(c.mention), std::string::npos) << process.output();
  }
}

TEST(BridgeCommandLine, EnvironmentAndConfigFileAreApplied) {
  harness::TempDir dir;
  std::string file = dir.path() + "/config.json";
  FILE* out = fopen(file.c_str(), "w");
  ASSERT_NE(out, nullptr);
  fputs(R"({"base-path": "/fromfile", "heartbeat": 30})", out);
  fclose(out);
  harness::Subprocess process;
  ASSERT_TRUE(process.Start({SSEBRIDGE_BINARY, "--config", file, "--listen", "127.0.0.1:0"},
                            {"SSEBRIDGE_BASE_PATH=/fromenv"}));
  std::optional<std::string> line = process.WaitForLine("listening on", Millis(5000));
  ASSERT_TRUE(line);
  // The environment beats the file.
  EXPECT_NE(line->find("base path '/fromenv'"), std::string::npos) << *line;
  EXPECT_EQ(process.Stop(SIGTERM, Millis(5000)), 0);
}

}  // namespace
