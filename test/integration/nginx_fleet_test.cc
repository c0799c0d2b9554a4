// deploy/nginx/ssebridge.conf with two ssebridge processes on Unix sockets
// and one redis-server: a message published through nginx to one process
// reaches, through nginx, a stream held by the other, at once; heartbeats
// pass through; and ssebridge's "X-Accel-Buffering: no" keeps a stream
// unbuffered even where a site buffers and compresses proxied responses.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fleet_fixture.h"
#include "harness.h"

using harness::Clock;
using harness::Millis;
using harness::SseClient;

namespace {

// Which process holds the one open stream, by its own /metrics; -1 if none yet.
int StreamHolder(fleet::Fleet& fleet) {
  for (int i = 0; i < fleet::kProcesses; ++i) {
    if (fleet.Metric(i, "ssebridge_open_streams") == 1) return i;
  }
  return -1;
}

std::optional<harness::HttpResponse> PublishThroughNginx(int port, const std::string& channel,
                                                         const std::string& data) {
  return harness::HttpRequest(port, "POST", "/sse/publish",
                              R"({"channel":")" + channel + R"(","data":")" + data + "\"}",
                              {{"Content-Type", "application/json"}});
}

TEST(NginxFleetTest, PublishedThroughOneProcessArrivesAtOnceThroughTheOther) {
  fleet::Fleet fleet;
  ASSERT_TRUE(fleet.Start({"--heartbeat", "1"}));
  SseClient client;
  ASSERT_TRUE(client.Open(fleet.port(), "/sse/events/fleet"));
  ASSERT_EQ(client.head().status, 200);
  EXPECT_EQ(client.head().headers.at("content-type").substr(0, 17), "text/event-stream");
  int holder = -1;
  ASSERT_TRUE(harness::Eventually([&] { return (holder = StreamHolder(fleet)) >= 0; }, Millis(5000)));
  const int other = 1 - holder;
  ASSERT_TRUE(harness::AwaitSubscribers(fleet.redis().port(), "fleet", 1));

  // least_conn sends each publish to the process without the stream: it has
  // no active connection, the holder has one.
  constexpr int kMessages = 10;
  for (int i = 0; i < kMessages; ++i) {
    const std::string data = "message " + std::to_string(i);
    const Clock::time_point published = Clock::now();
    auto response = PublishThroughNginx(fleet.port(), "fleet", data);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    std::optional<harness::SseEvent> event = client.Next(Millis(3000));
    ASSERT_TRUE(event) << "message " << i << " did not arrive";
    EXPECT_EQ(event->data, data);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - published).count();
    if (i == 0) {
      std::printf("first event through nginx after %.1f ms\n", ms);
      EXPECT_LT(ms, 500) << "the first event took too long";
    }
  }
  EXPECT_EQ(fleet.Metric(other, "ssebridge_messages_published_total"), kMessages)
      << "the publishes did not all go through the process without the stream";
  EXPECT_EQ(fleet.Metric(holder, "ssebridge_messages_published_total"), 0);
  EXPECT_GE(fleet.Metric(holder, "ssebridge_deliveries_total"), kMessages);

  // Heartbeats (--heartbeat 1) pass through nginx as comments, with no event.
  const int comments = client.comments();
  const Clock::time_point deadline = Clock::now() + Millis(3000);
  while (client.comments() == comments && Clock::now() < deadline) {
    EXPECT_FALSE(client.Next(Millis(100))) << "an event arrived while none was published";
  }
  EXPECT_GT(client.comments(), comments) << "no heartbeat came through nginx within 3 s";
}

TEST(NginxFleetTest, XAccelBufferingKeepsStreamsFlowingWhereTheSiteBuffersAndCompresses) {
  fleet::Fleet fleet;
  // The deploy file turns buffering off for /sse/. Turned back on, with
  // compression of event streams added (a common site-wide setting), nginx's
  // gzip filter keeps everything until its buffer fills, unless the response
  // is unbuffered: only the "X-Accel-Buffering: no" that ssebridge sends
  // makes nginx flush each event then.
  ASSERT_TRUE(fleet.Start({}, [](std::string* site) {
    ASSERT_EQ(fleet::ReplaceAll(site, "proxy_buffering off;", "proxy_buffering on;"), 1);
    ASSERT_EQ(fleet::ReplaceAll(site, "proxy_cache off;", "proxy_cache off;\n        gzip on;\n"
                                                          "        gzip_types text/event-stream;"), 1);
  }));
  harness::Socket socket;
  ASSERT_TRUE(socket.Connect(fleet.port()));
  ASSERT_TRUE(socket.SendAll("GET /sse/events/buffered HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Accept: text/event-stream\r\nAccept-Encoding: gzip\r\n\r\n"));
  std::string wire;
  const Clock::time_point head_deadline = Clock::now() + Millis(5000);
  while (wire.find("\r\n\r\n") == std::string::npos && Clock::now() < head_deadline) {
    ASSERT_GT(socket.ReadSome(&wire, Millis(1000)), 0) << "no response head through nginx";
  }
  const std::string head = wire.substr(0, wire.find("\r\n\r\n"));
  ASSERT_NE(head.find(" 200 "), std::string::npos) << head;
  // Otherwise the test would prove nothing: nginx must be compressing.
  ASSERT_NE(head.find("Content-Encoding: gzip"), std::string::npos) << head;
  // nginx takes X-Accel-* headers for itself and does not pass them on.
  EXPECT_EQ(head.find("X-Accel-Buffering"), std::string::npos) << head;
  ASSERT_TRUE(harness::AwaitSubscribers(fleet.redis().port(), "buffered", 1));
  // Drain what came with the head (the preamble, once flushed).
  socket.ReadSome(&wire, Millis(200));
  for (int i = 0; i < 5; ++i) {
    const Clock::time_point published = Clock::now();
    auto response = PublishThroughNginx(fleet.port(), "buffered", "small event " + std::to_string(i));
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    std::string bytes;
    ASSERT_GT(socket.ReadSome(&bytes, Millis(1000)), 0) << "event " << i << " was held by nginx";
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - published).count();
    EXPECT_LT(ms, 500) << "event " << i;
  }
}

}  // namespace
