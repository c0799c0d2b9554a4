#include "ssebridge/metrics.h"

#include <cstdio>

namespace ssebridge {
namespace {

void Append(std::string* out, const char* name, const char* type, const char* help, uint64_t value) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out->append(name).append(" ").append(std::to_string(value)).append("\n");
}

void AppendHead(std::string* out, const char* name, const char* type, const char* help) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void AppendLabelled(std::string* out, const char* name, const char* label, const char* value_of_label,
                    uint64_t value) {
  out->append(name).append("{").append(label).append("=\"").append(value_of_label).append("\"} ");
  out->append(std::to_string(value)).append("\n");
}

void AppendTwoLabels(std::string* out, const char* name, const char* label, const char* value_of_label,
                     const char* second_label, const char* value_of_second, uint64_t value) {
  out->append(name).append("{").append(label).append("=\"").append(value_of_label).append("\",");
  out->append(second_label).append("=\"").append(value_of_second).append("\"} ");
  out->append(std::to_string(value)).append("\n");
}

// Seconds with six decimals, from microseconds (Prometheus wants seconds).
std::string Seconds(uint64_t microseconds) {
  std::string text = std::to_string(microseconds / 1000000) + ".";
  std::string fraction = std::to_string(microseconds % 1000000);
  text.append(6 - fraction.size(), '0').append(fraction);
  return text;
}

// The families added for running many processes in production (issue 13),
// kept in one block: bytes, the publish-to-write histogram, replays by
// source, gaps by reason and the build.
void AppendFleetMetrics(std::string* out, const Counters& c) {
  Append(out, "ssebridge_bytes_written_total", "counter",
         "Bytes written to client sockets (event streams, long polls and responses).", c.bytes_written);
  const char* kLatency = "ssebridge_publish_to_write_seconds";
  AppendHead(out, kLatency, "histogram",
             "Time from a message entering fan-out to the socket write to an event stream that carried it "
             "(one observation per write, for its oldest message).");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kLatencyBoundCount; ++i) {
    cumulative += c.publish_to_write.buckets[i];
    out->append(kLatency).append("_bucket{le=\"");
    out->append(i < kLatencyBoundCount ? Seconds(LatencyBoundUs(i)) : std::string("+Inf"));
    out->append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  out->append(kLatency).append("_sum ").append(Seconds(c.publish_to_write.sum_us)).append("\n");
  out->append(kLatency).append("_count ").append(std::to_string(c.publish_to_write.count)).append("\n");
  AppendHead(out, "ssebridge_replays_served_total", "counter",
             "Resumes answered with history, by source: this process's memory or Redis's streams.");
  AppendLabelled(out, "ssebridge_replays_served_total", "source", "memory", c.replays_from_memory);
  AppendLabelled(out, "ssebridge_replays_served_total", "source", "redis", c.replays_from_redis);
  AppendHead(out, "ssebridge_replay_gaps_by_reason_total", "counter",
             "Gap events sent to resumes, by the reason the event names.");
  for (size_t i = 0; i < kGapReasonCount; ++i) {
    AppendLabelled(out, "ssebridge_replay_gaps_by_reason_total", "reason", kGapReasons[i],
                   c.replay_gaps_by_reason[i]);
  }
  AppendHead(out, "ssebridge_build_info", "gauge", "Always 1; the labels name the running build.");
  AppendLabelled(out, "ssebridge_build_info", "version", SSEBRIDGE_VERSION, 1);
}

}  // namespace

void CountLongPoll(Counters* counters, std::string_view outcome) {
  size_t index = 0;  // "events"
  for (size_t i = 0; i < kLongPollOutcomeCount; ++i) {
    if (outcome == kLongPollOutcomes[i]) index = i;
  }
  ++counters->long_polls[index];
}

void CountControlLine(Counters* counters, LineSource source, bool accepted) {
  const size_t index = static_cast<size_t>(source);
  ++(accepted ? counters->control_lines_accepted : counters->control_lines_refused)[index];
}

void CountReplayGap(Counters* counters, std::string_view reason) {
  size_t index = 5;  // "unavailable"
  for (size_t i = 0; i < kGapReasonCount; ++i) {
    if (reason == kGapReasons[i]) index = i;
  }
  ++counters->replay_gaps_by_reason[index];
  ++counters->replay_gaps;
}

void CountAuthFailure(Counters* counters, std::string_view reason) {
  size_t index = 2;  // "malformed"
  for (size_t i = 0; i < kAuthFailureReasonCount; ++i) {
    if (reason == kAuthFailureReasons[i]) index = i;
  }
  ++counters->auth_failures[index];
}

void CountAuthRequest(Counters* counters, std::string_view outcome, uint64_t nanos) {
  size_t index = 4;  // "unavailable"
  for (size_t i = 0; i < kAuthRequestOutcomeCount; ++i) {
    if (outcome == kAuthRequestOutcomes[i]) index = i;
  }
  ++counters->auth_requests[index];
  counters->auth_request_nanos += nanos;
}

std::string RenderPrometheus(const Counters& c, const Gauges& g) {
  std::string out;
  out.reserve(4096);
  Append(&out, "ssebridge_open_connections", "gauge", "Open client connections.", g.open_connections);
  Append(&out, "ssebridge_open_streams", "gauge", "Open event streams.", g.open_streams);
  Append(&out, "ssebridge_subscriptions", "gauge", "Stream-to-channel subscriptions.", g.subscriptions);
  Append(&out, "ssebridge_channels", "gauge", "Channels with at least one local subscriber.", g.channels);
  Append(&out, "ssebridge_patterns", "gauge", "Patterns with at least one local subscriber.", g.patterns);
  Append(&out, "ssebridge_queued_bytes", "gauge", "Bytes waiting in stream write queues.", g.queued_bytes);
  Append(&out, "ssebridge_redis_connected", "gauge", "1 when every Redis connection is up (always 1 in embedded mode).",
         g.redis_mode ? (g.redis_connected ? 1 : 0) : 1);
  Append(&out, "ssebridge_connections_accepted_total", "counter", "Accepted client connections.", c.connections_accepted);
  // One family with a reason label; sum() over it gives the old unlabelled total.
  AppendHead(&out, "ssebridge_connections_rejected_total", "counter", "Connections or streams refused, by reason.");
  AppendLabelled(&out, "ssebridge_connections_rejected_total", "reason", "max_connections", c.rejected_max_connections);
  AppendLabelled(&out, "ssebridge_connections_rejected_total", "reason", "out_of_descriptors",
                 c.rejected_out_of_descriptors);
  AppendLabelled(&out, "ssebridge_connections_rejected_total", "reason", "per_ip_streams", c.rejected_per_ip_streams);
  Append(&out, "ssebridge_publish_rate_limited_total", "counter",
         "Publish requests answered 429 over --max-publish-rate-per-ip.", c.publish_rate_limited);
  Append(&out, "ssebridge_unread_answer_disconnects_total", "counter",
         "Connections closed because they did not read the answers to their requests.",
         c.unread_answer_disconnects);
  Append(&out, "ssebridge_requests_total", "counter", "HTTP requests parsed.", c.requests);
  Append(&out, "ssebridge_http_errors_total", "counter", "HTTP error responses sent.", c.http_errors);
  Append(&out, "ssebridge_streams_opened_total", "counter", "Event streams opened.", c.streams_opened);
  Append(&out, "ssebridge_messages_published_total", "counter", "Messages accepted by POST /publish (per channel).",
         c.messages_published);
  Append(&out, "ssebridge_messages_received_total", "counter", "Messages that entered fan-out.", c.messages_received);
  Append(&out, "ssebridge_deliveries_total", "counter", "Messages queued to streams.", c.deliveries);
  Append(&out, "ssebridge_stream_writes_total", "counter",
         "Socket writes to event streams; deliveries per write show how much batching happens.", c.stream_writes);
  AppendHead(&out, "ssebridge_auth_failures_total", "counter",
             "Requests refused by the access policy (401 or 403), by reason.");
  for (size_t i = 0; i < kAuthFailureReasonCount; ++i) {
    AppendLabelled(&out, "ssebridge_auth_failures_total", "reason", kAuthFailureReasons[i], c.auth_failures[i]);
  }
  AppendHead(&out, "ssebridge_auth_requests_total", "counter",
             "Access checks sent to the application (--auth-url), by outcome.");
  uint64_t auth_requests = 0;
  for (size_t i = 0; i < kAuthRequestOutcomeCount; ++i) {
    AppendLabelled(&out, "ssebridge_auth_requests_total", "outcome", kAuthRequestOutcomes[i], c.auth_requests[i]);
    auth_requests += c.auth_requests[i];
  }
  AppendHead(&out, "ssebridge_auth_request_duration_seconds", "summary",
             "Time the application took to answer access checks.");
  {
    char seconds[64];
    snprintf(seconds, sizeof(seconds), "%.6f", static_cast<double>(c.auth_request_nanos) / 1e9);
    out.append("ssebridge_auth_request_duration_seconds_sum ").append(seconds).append("\n");
    out.append("ssebridge_auth_request_duration_seconds_count ").append(std::to_string(auth_requests)).append("\n");
  }
  Append(&out, "ssebridge_auth_cache_hits_total", "counter",
         "Access checks answered from the --auth-cache-seconds cache instead of the application.", c.auth_cache_hits);
  Append(&out, "ssebridge_streams_token_expired_total", "counter",
         "Streams ended with a token-expired event because their token expired.", c.streams_token_expired);
  Append(&out, "ssebridge_tls_handshakes_total", "counter", "TLS handshakes completed on tls: listeners.",
         c.tls_handshakes);
  Append(&out, "ssebridge_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed (garbage, TLS 1.1 or older, no common cipher or ALPN); each was closed.",
         c.tls_handshake_failures);
  Append(&out, "ssebridge_tls_certificate_reloads_total", "counter",
         "Certificate reloads on SIGHUP that took effect.", c.tls_reloads);
  Append(&out, "ssebridge_tls_certificate_reload_failures_total", "counter",
         "Certificate reloads on SIGHUP that failed; the previous certificate stayed in use.", c.tls_reload_failures);
  Append(&out, "ssebridge_slow_consumer_disconnects_total", "counter",
         "Streams closed because their queue exceeded --client-buffer-bytes.", c.slow_consumer_disconnects);
  Append(&out, "ssebridge_streams_aged_total", "counter",
         "Streams ended by --max-stream-age (their clients reconnect).", c.streams_aged);
  Append(&out, "ssebridge_header_timeouts_total", "counter", "Connections closed by --header-timeout.",
         c.header_timeouts);
  // Redis connections, one labelled block (docs/operations.md). The
  // reconnect family kept its name and gained the label: sum() over it is
  // the old unlabelled total.
  if (g.redis_mode) {
    AppendHead(&out, "ssebridge_redis_up", "gauge", "1 while the Redis connection is up, by connection.");
    for (const UpstreamConnection& connection : g.redis) {
      AppendLabelled(&out, "ssebridge_redis_up", "connection", connection.name, connection.up ? 1 : 0);
    }
  }
  AppendHead(&out, "ssebridge_redis_reconnects_total", "counter", "Redis connections re-established, by connection.");
  for (const UpstreamConnection& connection : g.redis) {
    AppendLabelled(&out, "ssebridge_redis_reconnects_total", "connection", connection.name, connection.reconnects);
  }
  AppendHead(&out, "ssebridge_redis_timeouts_total", "counter",
             "Redis connections dropped by --redis-connect-timeout or --redis-command-timeout, by connection and "
             "kind.");
  for (const UpstreamConnection& connection : g.redis) {
    AppendTwoLabels(&out, "ssebridge_redis_timeouts_total", "connection", connection.name, "kind", "connect",
                    connection.connect_timeouts);
    AppendTwoLabels(&out, "ssebridge_redis_timeouts_total", "connection", connection.name, "kind", "command",
                    connection.command_timeouts);
  }
  Append(&out, "ssebridge_redis_failovers_total", "counter", "Times Redis Sentinel moved the master.",
         g.redis_failovers);
  Append(&out, "ssebridge_publish_failures_total", "counter", "Publishes answered 503 (not handed to Redis).",
         c.publish_failures);
  Append(&out, "ssebridge_envelopes_rejected_total", "counter",
         "Redis payloads shaped like envelopes but nesting deeper than 64 levels, delivered as plain data.",
         c.envelopes_rejected);
  Append(&out, "ssebridge_messages_dropped_too_large_total", "counter",
         "Redis messages dropped because their event exceeds --client-buffer-bytes.", c.messages_too_large);
  AppendHead(&out, "ssebridge_long_polls_total", "counter",
             "Long polls answered, by outcome: events, timeout (only the closing heartbeat), shutdown.");
  for (size_t i = 0; i < kLongPollOutcomeCount; ++i) {
    AppendLabelled(&out, "ssebridge_long_polls_total", "outcome", kLongPollOutcomes[i], c.long_polls[i]);
  }
  Append(&out, "ssebridge_poll_holds", "gauge", "Holds keeping events for a long poller's next poll (--poll-hold).",
         g.poll_holds);
  AppendHead(&out, "ssebridge_control_lines_total", "counter",
             "Lines from the control port and the FIFO, by source and outcome (accepted or refused).");
  for (size_t i = 0; i < kLineSourceCount; ++i) {
    AppendTwoLabels(&out, "ssebridge_control_lines_total", "source", kLineSources[i], "outcome", "accepted",
                    c.control_lines_accepted[i]);
    AppendTwoLabels(&out, "ssebridge_control_lines_total", "source", kLineSources[i], "outcome", "refused",
                    c.control_lines_refused[i]);
  }
  Append(&out, "ssebridge_history_messages", "gauge", "Messages retained in local history.", g.history_messages);
  Append(&out, "ssebridge_history_bytes", "gauge", "Bytes retained in local history.", g.history_bytes);
  Append(&out, "ssebridge_history_channels", "gauge", "Channels with messages in local history.",
         g.history_channels);
  Append(&out, "ssebridge_history_channels_evicted_total", "counter",
         "Channels dropped from local history by --history-max-channels.", g.history_channels_evicted);
  Append(&out, "ssebridge_replays_total", "counter", "Streams resumed from a Last-Event-ID.", c.replays);
  Append(&out, "ssebridge_replays_from_redis_total", "counter", "Resumes that read history from Redis.",
         c.replays_from_redis);
  Append(&out, "ssebridge_replay_gaps_total", "counter", "Resumes that were sent a gap event.", c.replay_gaps);
  Append(&out, "ssebridge_replayed_messages_total", "counter", "Messages sent by resumes.", c.replayed_messages);
  Append(&out, "ssebridge_replays_truncated_total", "counter",
         "Resumes that missed more than a replay may hold and got only the newest (gap reason too-many).",
         c.replays_truncated);
  Append(&out, "ssebridge_redis_catch_up_overflows_total", "counter",
         "Refills after a Redis subscriber reconnect whose held or read messages passed their bound.",
         c.redis_catch_up_overflows);
  Append(&out, "ssebridge_redis_catch_up_cutoffs_total", "counter",
         "Streams cut off (to resume from Redis) because a refill passed its bound.", c.redis_catch_up_cutoffs);
  Append(&out, "ssebridge_redis_history_reads_total", "counter", "History reads sent to Redis.",
         c.redis_history_reads);
  AppendFleetMetrics(&out, c);
  // Per-user messages and the offline queue.
  Append(&out, "ssebridge_user_messages_queued_total", "counter",
         "Messages to a user with no open stream, kept for --user-queue-ttl seconds.", c.user_messages_queued);
  Append(&out, "ssebridge_user_messages_dropped_total", "counter",
         "Queued user messages lost: over --user-queue-size (oldest first) or the global bound, or expired.",
         c.user_messages_dropped);
  Append(&out, "ssebridge_user_messages_delivered_total", "counter",
         "Queued user messages delivered when their user connected.", c.user_messages_delivered);
  return out;
}

}  // namespace ssebridge
