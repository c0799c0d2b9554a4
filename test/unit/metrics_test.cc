// Unit tests for the Prometheus rendering (include/ssebridge/metrics.h).

#include "ssebridge/metrics.h"

#include <map>
#include <sstream>
#include <tuple>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

struct Sample {
  std::string help;
  std::string type;
  std::string value;
  bool has_value = false;
};

// Parses the text exposition format into name -> HELP/TYPE/value.
std::map<std::string, Sample> ParseExposition(const std::string& text) {
  std::map<std::string, Sample> samples;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      samples[rest.substr(0, space)].help = space == std::string::npos ? "" : rest.substr(space + 1);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      samples[rest.substr(0, space)].type = space == std::string::npos ? "" : rest.substr(space + 1);
    } else if (!line.empty() && line[0] != '#') {
      size_t space = line.find(' ');
      Sample& s = samples[line.substr(0, space)];
      EXPECT_FALSE(s.has_value) << "duplicate sample " << line;
      s.value = space == std::string::npos ? "" : line.substr(space + 1);
      s.has_value = true;
    }
  }
  return samples;
}

// Distinct values so a swapped field shows up as a wrong number.
Counters DistinctCounters() {
  Counters c;
  c.connections_accepted = 101;
  c.rejected_max_connections = 102;
  c.rejected_out_of_descriptors = 119;
  c.rejected_per_ip_streams = 120;
  c.publish_rate_limited = 121;
  c.unread_answer_disconnects = 122;
  c.requests = 103;
  c.http_errors = 104;
  c.streams_opened = 105;
  c.messages_published = 106;
  c.messages_received = 107;
  c.deliveries = 108;
  c.slow_consumer_disconnects = 109;
  c.header_timeouts = 110;
  c.publish_failures = 112;
  c.replays = 113;
  c.replays_from_redis = 114;
  c.replay_gaps = 115;
  c.replayed_messages = 116;
  c.redis_history_reads = 117;
  c.stream_writes = 118;
  c.envelopes_rejected = 119;
  c.messages_too_large = 120;
  c.replays_truncated = 121;
  c.redis_catch_up_overflows = 122;
  c.redis_catch_up_cutoffs = 123;
  c.streams_aged = 124;
  c.user_messages_queued = 125;
  c.user_messages_dropped = 126;
  c.user_messages_delivered = 127;
  for (size_t i = 0; i < kAuthFailureReasonCount; ++i) c.auth_failures[i] = 130 + i;
  c.streams_token_expired = 140;
  c.tls_handshakes = 180;
  c.tls_handshake_failures = 181;
  c.tls_reloads = 182;
  c.tls_reload_failures = 183;
  for (size_t i = 0; i < kAuthRequestOutcomeCount; ++i) c.auth_requests[i] = 200 + i;
  c.auth_request_nanos = 2500000000;
  c.auth_cache_hits = 210;
  for (size_t i = 0; i < kLongPollOutcomeCount; ++i) c.long_polls[i] = 150 + i;
  for (size_t i = 0; i < kLineSourceCount; ++i) {
    c.control_lines_accepted[i] = 160 + i;
    c.control_lines_refused[i] = 170 + i;
  }
  return c;
}

Gauges DistinctGauges() {
  Gauges g;
  g.open_connections = 201;
  g.open_streams = 202;
  g.subscriptions = 203;
  g.channels = 204;
  g.patterns = 205;
  g.queued_bytes = 206;
  g.history_messages = 207;
  g.history_bytes = 208;
  g.history_channels = 209;
  g.history_channels_evicted = 210;
  g.redis_mode = true;
  g.redis_connected = true;
  g.poll_holds = 211;
  g.redis[0] = UpstreamConnection{"subscriber", true, 111, 212, 213};
  g.redis[1] = UpstreamConnection{"commands", false, 214, 215, 216};
  g.redis_failovers = 217;
  return g;
}

TEST(MetricsTest, EveryMetricHasHelpTypeAndItsValue) {
  const std::vector<std::tuple<const char*, const char*, const char*>> expected = {
      {"ssebridge_open_connections", "gauge", "201"},
      {"ssebridge_open_streams", "gauge", "202"},
      {"ssebridge_subscriptions", "gauge", "203"},
      {"ssebridge_channels", "gauge", "204"},
      {"ssebridge_patterns", "gauge", "205"},
      {"ssebridge_queued_bytes", "gauge", "206"},
      {"ssebridge_redis_connected", "gauge", "1"},
      {"ssebridge_connections_accepted_total", "counter", "101"},
      {"ssebridge_connections_rejected_total{reason=\"max_connections\"}", "", "102"},
      {"ssebridge_connections_rejected_total{reason=\"out_of_descriptors\"}", "", "119"},
      {"ssebridge_connections_rejected_total{reason=\"per_ip_streams\"}", "", "120"},
      {"ssebridge_publish_rate_limited_total", "counter", "121"},
      {"ssebridge_unread_answer_disconnects_total", "counter", "122"},
      {"ssebridge_requests_total", "counter", "103"},
      {"ssebridge_http_errors_total", "counter", "104"},
      {"ssebridge_streams_opened_total", "counter", "105"},
      {"ssebridge_messages_published_total", "counter", "106"},
      {"ssebridge_messages_received_total", "counter", "107"},
      {"ssebridge_deliveries_total", "counter", "108"},
      {"ssebridge_slow_consumer_disconnects_total", "counter", "109"},
      {"ssebridge_streams_aged_total", "counter", "124"},
      {"ssebridge_header_timeouts_total", "counter", "110"},
      {"ssebridge_redis_up{connection=\"subscriber\"}", "gauge", "1"},
      {"ssebridge_redis_up{connection=\"commands\"}", "gauge", "0"},
      {"ssebridge_redis_reconnects_total{connection=\"subscriber\"}", "", "111"},
      {"ssebridge_redis_reconnects_total{connection=\"commands\"}", "", "214"},
      {"ssebridge_redis_timeouts_total{connection=\"subscriber\",kind=\"connect\"}", "", "212"},
      {"ssebridge_redis_timeouts_total{connection=\"subscriber\",kind=\"command\"}", "", "213"},
      {"ssebridge_redis_timeouts_total{connection=\"commands\",kind=\"connect\"}", "", "215"},
      {"ssebridge_redis_timeouts_total{connection=\"commands\",kind=\"command\"}", "", "216"},
      {"ssebridge_redis_failovers_total", "counter", "217"},
      {"ssebridge_publish_failures_total", "counter", "112"},
      {"ssebridge_replays_total", "counter", "113"},
      {"ssebridge_replays_from_redis_total", "counter", "114"},
      {"ssebridge_replay_gaps_total", "counter", "115"},
      {"ssebridge_replayed_messages_total", "counter", "116"},
      {"ssebridge_redis_history_reads_total", "counter", "117"},
      {"ssebridge_user_messages_queued_total", "counter", "125"},
      {"ssebridge_user_messages_dropped_total", "counter", "126"},
      {"ssebridge_user_messages_delivered_total", "counter", "127"},
      {"ssebridge_stream_writes_total", "counter", "118"},
      {"ssebridge_envelopes_rejected_total", "counter", "119"},
      {"ssebridge_messages_dropped_too_large_total", "counter", "120"},
      {"ssebridge_replays_truncated_total", "counter", "121"},
      {"ssebridge_redis_catch_up_overflows_total", "counter", "122"},
      {"ssebridge_redis_catch_up_cutoffs_total", "counter", "123"},
      {"ssebridge_auth_failures_total{reason=\"missing_token\"}", "", "130"},
      {"ssebridge_auth_failures_total{reason=\"forbidden\"}", "", "131"},
      {"ssebridge_auth_failures_total{reason=\"malformed\"}", "", "132"},
      {"ssebridge_auth_failures_total{reason=\"algorithm\"}", "", "133"},
      {"ssebridge_auth_failures_total{reason=\"signature\"}", "", "134"},
      {"ssebridge_auth_failures_total{reason=\"expired\"}", "", "135"},
      {"ssebridge_auth_failures_total{reason=\"not_yet_valid\"}", "", "136"},
      {"ssebridge_auth_failures_total{reason=\"audience_or_issuer\"}", "", "137"},
      {"ssebridge_streams_token_expired_total", "counter", "140"},
      {"ssebridge_auth_requests_total{outcome=\"allowed\"}", "", "200"},
      {"ssebridge_auth_requests_total{outcome=\"unauthorized\"}", "", "201"},
      {"ssebridge_auth_requests_total{outcome=\"forbidden\"}", "", "202"},
      {"ssebridge_auth_requests_total{outcome=\"timeout\"}", "", "203"},
      {"ssebridge_auth_requests_total{outcome=\"unavailable\"}", "", "204"},
      {"ssebridge_auth_requests_total{outcome=\"invalid\"}", "", "205"},
      {"ssebridge_auth_requests_total{outcome=\"cancelled\"}", "", "206"},
      {"ssebridge_auth_failures_total{reason=\"application\"}", "", "138"},
      {"ssebridge_auth_failures_total{reason=\"application_unavailable\"}", "", "139"},
      {"ssebridge_auth_cache_hits_total", "counter", "210"},
      {"ssebridge_history_messages", "gauge", "207"},
      {"ssebridge_history_bytes", "gauge", "208"},
      {"ssebridge_history_channels", "gauge", "209"},
      {"ssebridge_history_channels_evicted_total", "counter", "210"},
      {"ssebridge_long_polls_total{outcome=\"events\"}", "", "150"},
      {"ssebridge_long_polls_total{outcome=\"timeout\"}", "", "151"},
      {"ssebridge_long_polls_total{outcome=\"shutdown\"}", "", "152"},
      {"ssebridge_poll_holds", "gauge", "211"},
      {"ssebridge_control_lines_total{source=\"control_port\",outcome=\"accepted\"}", "", "160"},
      {"ssebridge_control_lines_total{source=\"control_port\",outcome=\"refused\"}", "", "170"},
      {"ssebridge_control_lines_total{source=\"fifo\",outcome=\"accepted\"}", "", "161"},
      {"ssebridge_control_lines_total{source=\"fifo\",outcome=\"refused\"}", "", "171"},
      {"ssebridge_tls_handshakes_total", "counter", "180"},
      {"ssebridge_tls_handshake_failures_total", "counter", "181"},
      {"ssebridge_tls_certificate_reloads_total", "counter", "182"},
      {"ssebridge_tls_certificate_reload_failures_total", "counter", "183"},
  };
  std::map<std::string, Sample> samples = ParseExposition(RenderPrometheus(DistinctCounters(), DistinctGauges()));
  for (const auto& [name, type, value] : expected) {
    auto it = samples.find(name);
    ASSERT_NE(it, samples.end()) << name;
    // Labelled samples share the HELP and TYPE of their family.
    std::string family = std::string(name).substr(0, std::string(name).find('{'));
    EXPECT_FALSE(samples[family].help.empty()) << name << " has no HELP";
    EXPECT_EQ(samples[family].type, *type ? std::string(type) : "counter") << name;
    EXPECT_TRUE(it->second.has_value) << name;
    EXPECT_EQ(it->second.value, value) << name;
  }
  // The summary of the application's answer times: its family, _sum and _count.
  EXPECT_EQ(samples["ssebridge_auth_request_duration_seconds"].type, "summary");
  EXPECT_EQ(samples["ssebridge_auth_request_duration_seconds_sum"].value, "2.500000");
  EXPECT_EQ(samples["ssebridge_auth_request_duration_seconds_count"].value,
            std::to_string(200 + 201 + 202 + 203 + 204 + 205 + 206));
  // Each of the eight labelled families adds one entry of its own (its HELP
  // and TYPE), the summary of the application's answer times three; so do the families of AppendFleetMetrics, tested below.
  size_t fleet_samples = 0;
  for (const auto& entry : samples) {
    const std::string& name = entry.first;
    if (name.rfind("ssebridge_bytes_written", 0) == 0 || name.rfind("ssebridge_publish_to_write", 0) == 0 ||
        name.rfind("ssebridge_replays_served", 0) == 0 || name.rfind("ssebridge_replay_gaps_by_reason", 0) == 0 ||
        name.rfind("ssebridge_build_info", 0) == 0) {
      ++fleet_samples;
    }
  }
  EXPECT_EQ(samples.size() - fleet_samples, expected.size() + 8 + 3) << "unexpected extra metrics";
}

TEST(MetricsTest, BytesReplaySourcesGapReasonsAndBuildInfo) {
  Counters c;
  c.bytes_written = 12345;
  c.replays_from_memory = 7;
  c.replays_from_redis = 3;
  CountReplayGap(&c, "trimmed");
  CountReplayGap(&c, "trimmed");
  CountReplayGap(&c, "history-disabled");
  CountReplayGap(&c, "no such reason");  // Counts as "unavailable".
  std::map<std::string, Sample> samples = ParseExposition(RenderPrometheus(c, Gauges{}));
  EXPECT_EQ(samples["ssebridge_bytes_written_total"].value, "12345");
  EXPECT_EQ(samples["ssebridge_bytes_written_total"].type, "counter");
  EXPECT_EQ(samples["ssebridge_replays_served_total{source=\"memory\"}"].value, "7");
  EXPECT_EQ(samples["ssebridge_replays_served_total{source=\"redis\"}"].value, "3");
  EXPECT_EQ(samples["ssebridge_replay_gaps_by_reason_total{reason=\"trimmed\"}"].value, "2");
  EXPECT_EQ(samples["ssebridge_replay_gaps_by_reason_total{reason=\"history-disabled\"}"].value, "1");
  EXPECT_EQ(samples["ssebridge_replay_gaps_by_reason_total{reason=\"unavailable\"}"].value, "1");
  EXPECT_EQ(samples["ssebridge_replay_gaps_by_reason_total{reason=\"too-many\"}"].value, "0");
  // The labelled family and the old unlabelled total agree.
  EXPECT_EQ(samples["ssebridge_replay_gaps_total"].value, "4");
  EXPECT_EQ(samples["ssebridge_build_info{version=\"" SSEBRIDGE_VERSION "\"}"].value, "1");
  EXPECT_EQ(samples["ssebridge_build_info"].type, "gauge");
}

TEST(MetricsTest, PublishToWriteIsACumulativeHistogramInSeconds) {
  Counters c;
  RecordStreamWrite(&c, 1000, 1050);                // 50 us: the first bucket (le 64 us).
  RecordStreamWrite(&c, 1000, 1000 + 64);           // Exactly on a bound: that bucket.
  RecordStreamWrite(&c, 1000, 1000 + 3000);         // 3 ms: le 4.096 ms.
  RecordStreamWrite(&c, 0xFFFFFF00u, 0x00000100u);  // Across the 32-bit wrap: 512 us.
  RecordStreamWrite(&c, 0, 5000);                   // Not a fanned-out message: not observed.
  RecordStreamWrite(&c, 5000, 4000);                // Fanned out after the clock was read: 0.
  RecordStreamWrite(&c, 1, 1 + 60'000'000);         // A minute: only +Inf.
  std::map<std::string, Sample> samples = ParseExposition(RenderPrometheus(c, Gauges{}));
  const std::string family = "ssebridge_publish_to_write_seconds";
  EXPECT_EQ(samples[family].type, "histogram");
  EXPECT_FALSE(samples[family].help.empty());
  EXPECT_EQ(samples[family + "_bucket{le=\"0.000064\"}"].value, "3");
  EXPECT_EQ(samples[family + "_bucket{le=\"0.000256\"}"].value, "3");
  EXPECT_EQ(samples[family + "_bucket{le=\"0.000512\"}"].value, "4");
  EXPECT_EQ(samples[family + "_bucket{le=\"0.002048\"}"].value, "4");
  EXPECT_EQ(samples[family + "_bucket{le=\"0.004096\"}"].value, "5");
  EXPECT_EQ(samples[family + "_bucket{le=\"8.388608\"}"].value, "5");
  EXPECT_EQ(samples[family + "_bucket{le=\"+Inf\"}"].value, "6");
  EXPECT_EQ(samples[family + "_count"].value, "6");
  EXPECT_EQ(samples[family + "_sum"].value, "60.003626");
  // Every bound is rendered, smallest first.
  size_t buckets = 0;
  for (const auto& entry : samples) buckets += entry.first.rfind(family + "_bucket{", 0) == 0 ? 1 : 0;
  EXPECT_EQ(buckets, kLatencyBoundCount + 1);
}

TEST(MetricsTest, AnUnknownAuthFailureReasonCountsAsMalformed) {
  Counters counters;
  CountAuthFailure(&counters, "forbidden");
  CountAuthFailure(&counters, "no such reason");
  EXPECT_EQ(counters.auth_failures[1], 1u);
  EXPECT_EQ(counters.auth_failures[2], 1u);
}

TEST(MetricsTest, AuthRequestsCountUnderTheirOutcomeAndAddTheirTime) {
  Counters counters;
  CountAuthRequest(&counters, "timeout", 2000);
  CountAuthRequest(&counters, "no such outcome", 500);
  EXPECT_EQ(counters.auth_requests[3], 1u);
  EXPECT_EQ(counters.auth_requests[4], 1u);  // "unavailable"
  EXPECT_EQ(counters.auth_request_nanos, 2500u);
}

TEST(MetricsTest, LongPollsCountUnderTheirOutcomeAndAnUnknownOneAsEvents) {
  Counters counters;
  CountLongPoll(&counters, "timeout");
  CountLongPoll(&counters, "timeout");
  CountLongPoll(&counters, "shutdown");
  CountLongPoll(&counters, "no such outcome");
  EXPECT_EQ(counters.long_polls[0], 1u);
  EXPECT_EQ(counters.long_polls[1], 2u);
  EXPECT_EQ(counters.long_polls[2], 1u);
}

TEST(MetricsTest, ControlLinesCountBySourceAndOutcome) {
  Counters counters;
  CountControlLine(&counters, LineSource::kControlPort, true);
  CountControlLine(&counters, LineSource::kFifo, false);
  CountControlLine(&counters, LineSource::kFifo, false);
  EXPECT_EQ(counters.control_lines_accepted[0], 1u);
  EXPECT_EQ(counters.control_lines_refused[0], 0u);
  EXPECT_EQ(counters.control_lines_accepted[1], 0u);
  EXPECT_EQ(counters.control_lines_refused[1], 2u);
  const std::string text = RenderPrometheus(counters, Gauges{});
  EXPECT_NE(text.find("ssebridge_control_lines_total{source=\"fifo\",outcome=\"refused\"} 2\n"), std::string::npos);
}

TEST(MetricsTest, HelpAndTypePrecedeTheSample) {
  std::string text = RenderPrometheus(Counters{}, Gauges{});
  size_t help = text.find("# HELP ssebridge_deliveries_total ");
  size_t type = text.find("# TYPE ssebridge_deliveries_total counter\n");
  size_t sample = text.find("\nssebridge_deliveries_total 0\n");
  ASSERT_NE(help, std::string::npos);
  ASSERT_NE(type, std::string::npos);
  ASSERT_NE(sample, std::string::npos);
  EXPECT_LT(help, type);
  EXPECT_LT(type, sample);
}

TEST(MetricsTest, LargeCounterValuesAreExact) {
  Counters c;
  c.deliveries = 18446744073709551615ull;
  std::map<std::string, Sample> samples = ParseExposition(RenderPrometheus(c, Gauges{}));
  EXPECT_EQ(samples["ssebridge_deliveries_total"].value, "18446744073709551615");
}

TEST(MetricsTest, RedisConnectedGauge) {
  Gauges g;
  g.redis_mode = true;
  g.redis_connected = false;
  EXPECT_EQ(ParseExposition(RenderPrometheus(Counters{}, g))["ssebridge_redis_connected"].value, "0");
  g.redis_connected = true;
  EXPECT_EQ(ParseExposition(RenderPrometheus(Counters{}, g))["ssebridge_redis_connected"].value, "1");
  // Embedded mode has nothing to be disconnected from.
  g.redis_mode = false;
  g.redis_connected = false;
  EXPECT_EQ(ParseExposition(RenderPrometheus(Counters{}, g))["ssebridge_redis_connected"].value, "1");
}

TEST(MetricsTest, RedisConnectionsAreLabelledAndUpOnlyInRedisMode) {
  Gauges g;
  std::map<std::string, Sample> embedded = ParseExposition(RenderPrometheus(Counters{}, g));
  // Embedded mode has no connections to be up, but the counters keep their
  // names (at zero) so dashboards and alerts need no mode switch.
  EXPECT_EQ(embedded.count("ssebridge_redis_up{connection=\"subscriber\"}"), 0u);
  EXPECT_EQ(embedded["ssebridge_redis_reconnects_total{connection=\"commands\"}"].value, "0");
  EXPECT_EQ(embedded["ssebridge_redis_failovers_total"].value, "0");
  g.redis_mode = true;
  g.redis[1].up = true;
  std::map<std::string, Sample> redis = ParseExposition(RenderPrometheus(Counters{}, g));
  EXPECT_EQ(redis["ssebridge_redis_up{connection=\"subscriber\"}"].value, "0");
  EXPECT_EQ(redis["ssebridge_redis_up{connection=\"commands\"}"].value, "1");
}

TEST(MetricsTest, OutputEndsWithNewline) {
  std::string text = RenderPrometheus(Counters{}, Gauges{});
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace ssebridge
