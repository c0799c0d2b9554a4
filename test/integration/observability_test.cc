// The metrics and /stats figures added for operating many processes, read
// from a live bridge after real traffic: the publish-to-write histogram
// observes each write of a fanned-out message, bytes written grow by what
// the client read, resumes count by source, gaps by reason, and /stats
// counts messages per channel.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.h"

using harness::Bridge;
using harness::Millis;
using harness::SseClient;

namespace {

constexpr const char* kCount = "ssebridge_publish_to_write_seconds_count";
constexpr const char* kInf = "ssebridge_publish_to_write_seconds_bucket{le=\"+Inf\"}";

TEST(ObservabilityTest, LatencyBytesResumesGapsAndChannelRatesFollowRealTraffic) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--heartbeat", "60"}));
  const int port = bridge.port();
  SseClient client;
  ASSERT_TRUE(client.Open(port, "/events/obs"));
  ASSERT_EQ(client.head().status, 200);
  ASSERT_EQ(harness::MetricValue(port, kCount), 0);
  const long long bytes_before = harness::MetricValue(port, "ssebridge_bytes_written_total");
  ASSERT_GT(bytes_before, 0);  // The stream's head, at least.

  // One message at a time: each leaves in a write of its own.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto response = harness::PublishJson(port, R"({"channel":"obs","data":"m)" + std::to_string(i) + "\"}");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    ids.push_back(harness::PublishedId(*response));
    EXPECT_EQ(harness::NextData(client, Millis(3000)), "m" + std::to_string(i));
  }
  EXPECT_EQ(harness::MetricValue(port, kCount), 5);
  EXPECT_EQ(harness::MetricValue(port, kInf), 5);
  // On loopback, with nothing else to do, a write follows its publish within
  // a second (the 8.4 s bucket holds them all, so this cannot be a wrap-around).
  EXPECT_EQ(harness::MetricValue(port, "ssebridge_publish_to_write_seconds_bucket{le=\"1.048576\"}"), 5);
  // Five events of at least "id: N\ndata: mN\n\n" each, plus every answer since.
  EXPECT_GE(harness::MetricValue(port, "ssebridge_bytes_written_total") - bytes_before, 5 * 15);

  auto stats = harness::HttpRequest(port, "GET", "/stats");
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->body.find(R"("channel_messages":{"obs":{"total":5,)"), std::string::npos) << stats->body;

  // A resume from memory, and one with an id this process never issued (a gap).
  SseClient resumed;
  ASSERT_TRUE(resumed.Open(port, "/events/obs", {{"Last-Event-ID", ids[2]}}));
  EXPECT_EQ(harness::NextData(resumed, Millis(3000)), "m3");
  EXPECT_EQ(harness::NextData(resumed, Millis(3000)), "m4");
  SseClient unknown;
  ASSERT_TRUE(unknown.Open(port, "/events/obs", {{"Last-Event-ID", "not-an-id"}}));
  std::optional<harness::SseEvent> gap = unknown.Next(Millis(3000));
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_EQ(harness::MetricValue(port, "ssebridge_replays_served_total{source=\"memory\"}"), 2);
  EXPECT_EQ(harness::MetricValue(port, "ssebridge_replays_served_total{source=\"redis\"}"), 0);
  EXPECT_EQ(harness::MetricValue(port, "ssebridge_replay_gaps_by_reason_total{reason=\"unknown-id\"}"), 1);
  EXPECT_EQ(harness::MetricValue(port, "ssebridge_replay_gaps_total"), 1);
  EXPECT_EQ(harness::MetricValue(port, "ssebridge_build_info{version=\"" SSEBRIDGE_VERSION "\"}"), 1);
}

}  // namespace
