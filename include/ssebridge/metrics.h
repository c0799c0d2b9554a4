// Metrics: process-wide counters and the Prometheus text rendering of them
// together with gauges read from the live objects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ssebridge {

// The reasons a request is refused by the access policy, as the labels of
// ssebridge_auth_failures_total (authorizer.h and jwt_verifier.h produce them).
inline constexpr const char* kAuthFailureReasons[] = {
    "missing_token", "forbidden", "malformed", "algorithm", "signature", "expired", "not_yet_valid",
    "audience_or_issuer",
    // --auth-url: the application refused (401/403), or could not be asked (503).
    "application", "application_unavailable"};
inline constexpr size_t kAuthFailureReasonCount = sizeof(kAuthFailureReasons) / sizeof(kAuthFailureReasons[0]);

// How a check at the application (--auth-url) ended, as the labels of
// ssebridge_auth_requests_total (app_authorizer.h decides): allowed (200
// with channels), unauthorized (401), forbidden (403), timeout, unavailable
// (no connection, a broken answer or another status), invalid (a 200 whose
// body is not the documented JSON), cancelled (the client left first).
inline constexpr const char* kAuthRequestOutcomes[] = {"allowed", "unauthorized", "forbidden", "timeout",
                                                       "unavailable", "invalid", "cancelled"};
inline constexpr size_t kAuthRequestOutcomeCount = sizeof(kAuthRequestOutcomes) / sizeof(kAuthRequestOutcomes[0]);

// How a long poll was answered, as the labels of ssebridge_long_polls_total
// (long_poll.h decides): with events, with only the heartbeat that ends an
// empty poll after --poll-timeout, or early because the server is shutting down.
inline constexpr const char* kLongPollOutcomes[] = {"events", "timeout", "shutdown"};
inline constexpr size_t kLongPollOutcomeCount = sizeof(kLongPollOutcomes) / sizeof(kLongPollOutcomes[0]);

// Where a text line came from (--control-port, --fifo), for
// ssebridge_control_lines_total.
enum class LineSource { kControlPort = 0, kFifo = 1 };
inline constexpr const char* kLineSources[] = {"control_port", "fifo"};
inline constexpr size_t kLineSourceCount = sizeof(kLineSources) / sizeof(kLineSources[0]);

// Why a resume was sent a gap event, as the labels of
// ssebridge_replay_gaps_by_reason_total: the reasons the client sees in the
// gap event (replay_policy.h, GapReasonName).
inline constexpr const char* kGapReasons[] = {"unknown-id", "history-reset", "trimmed",         "expired",
                                              "too-many",   "unavailable",   "history-disabled"};
inline constexpr size_t kGapReasonCount = sizeof(kGapReasons) / sizeof(kGapReasons[0]);

// The buckets of ssebridge_publish_to_write_seconds: upper bounds of
// 64 us * 2^i for i < kLatencyBoundCount (64 us to 8.4 s), then +Inf. Powers
// of two make the bucket of an observation a bit count, not a search: it is
// taken once per socket write to an event stream.
inline constexpr size_t kLatencyBoundCount = 18;
inline constexpr uint32_t kLatencyFirstBoundLog2 = 6;  // 64 us.
inline constexpr uint64_t LatencyBoundUs(size_t i) { return uint64_t{1} << (kLatencyFirstBoundLog2 + i); }

// The publish-to-write histogram: per bucket (not cumulative; the rendering
// sums them), the sum of the observations and their count.
struct LatencyHistogram {
  uint64_t buckets[kLatencyBoundCount + 1] = {};
  uint64_t sum_us = 0;
  uint64_t count = 0;

  void Observe(uint32_t microseconds) {
    // us in (2^(k-1), 2^k] has bit width k when less one: bucket k - 6.
    size_t i = 0;
    if (microseconds > LatencyBoundUs(0)) {
      const size_t width = 32 - static_cast<size_t>(__builtin_clz(microseconds - 1));
      i = width - kLatencyFirstBoundLog2;
      if (i > kLatencyBoundCount) i = kLatencyBoundCount;
    }
    ++buckets[i];
    sum_us += microseconds;
    ++count;
  }
};

// The Redis broker's connections, as the labels of ssebridge_redis_up,
// ssebridge_redis_reconnects_total and ssebridge_redis_timeouts_total.
inline constexpr const char* kRedisConnections[] = {"subscriber", "commands"};
inline constexpr size_t kRedisConnectionCount = sizeof(kRedisConnections) / sizeof(kRedisConnections[0]);

// One upstream connection's state and counters (Broker::upstreams()).
struct UpstreamConnection {
  const char* name;  // One of kRedisConnections.
  bool up;
  uint64_t reconnects;
  uint64_t connect_timeouts;
  uint64_t command_timeouts;
};

struct Counters {
  uint64_t connections_accepted = 0;
  // Connections refused, by reason (one labelled metric family).
  uint64_t rejected_max_connections = 0;    // Over --max-connections: answered 503.
  uint64_t rejected_out_of_descriptors = 0; // accept() hit the open-file limit: 503 or closed.
  uint64_t rejected_per_ip_streams = 0;     // Over --max-streams-per-ip: answered 429.
  uint64_t publish_rate_limited = 0;        // Publishes answered 429 (--max-publish-rate-per-ip).
  uint64_t unread_answer_disconnects = 0;   // Clients that stopped reading their answers.
  uint64_t requests = 0;
  uint64_t http_errors = 0;            // 4xx/5xx responses sent.
  uint64_t streams_opened = 0;
  uint64_t messages_published = 0;     // Accepted publish requests (HTTP), per channel.
  uint64_t messages_received = 0;      // Messages that entered fan-out (any source).
  uint64_t deliveries = 0;             // Frames queued to streams.
  uint64_t stream_writes = 0;          // Socket writes to streams (several frames may share one).
  uint64_t slow_consumer_disconnects = 0;
  uint64_t streams_aged = 0;           // Streams ended by --max-stream-age.
  uint64_t header_timeouts = 0;
  uint64_t publish_failures = 0;       // 503 answers: message not handed to Redis.
  uint64_t envelopes_rejected = 0;     // Redis envelopes nesting too deep, delivered as plain data.
  uint64_t messages_too_large = 0;     // Redis messages dropped: their frame exceeds --client-buffer-bytes.
  uint64_t replays = 0;                // Streams resumed with a Last-Event-ID.
  uint64_t replays_from_redis = 0;     // ... whose history had to be read from Redis.
  uint64_t replays_from_memory = 0;    // ... served from this process's history.
  uint64_t replay_gaps = 0;            // ... that were told about a gap.
  uint64_t replayed_messages = 0;      // Messages sent by replays.
  uint64_t replays_truncated = 0;      // Replays cut to --max-replay-messages / --client-buffer-bytes.
  uint64_t redis_catch_up_overflows = 0;  // Catch-up holds or refills that passed their bound.
  uint64_t redis_catch_up_cutoffs = 0;    // Streams cut off because of them.
  uint64_t redis_history_reads = 0;    // Fetch-script calls (coalesced across streams).
  // Requests answered 401 or 403 by the access policy, by reason (kAuthFailureReasons).
  uint64_t auth_failures[kAuthFailureReasonCount] = {};
  uint64_t streams_token_expired = 0;  // Streams ended because their token expired.
  // Checks at the application (--auth-url), by outcome (kAuthRequestOutcomes),
  // the time they took, and verdicts taken from the cache instead.
  uint64_t auth_requests[kAuthRequestOutcomeCount] = {};
  uint64_t auth_request_nanos = 0;
  uint64_t auth_cache_hits = 0;
  // Long polls answered, by outcome (kLongPollOutcomes).
  uint64_t long_polls[kLongPollOutcomeCount] = {};
  // Control-port and FIFO lines, by source (LineSource): accepted (a publish
  // handed to the broker, a command run) or refused (unparsable, too long,
  // too large to queue, a command without --allow-commands). Blank lines are
  // neither.
  uint64_t control_lines_accepted[kLineSourceCount] = {};
  uint64_t control_lines_refused[kLineSourceCount] = {};
  // TLS listeners: handshakes completed and failed (garbage, old protocol
  // versions, no common cipher or ALPN), certificate reloads and failed ones.
  uint64_t tls_handshakes = 0;
  uint64_t tls_handshake_failures = 0;
  uint64_t tls_reloads = 0;
  uint64_t tls_reload_failures = 0;
  // Gap events sent to resumes, by reason (kGapReasons).
  uint64_t replay_gaps_by_reason[kGapReasonCount] = {};
  // Bytes handed to the kernel on client sockets (streams, polls, responses).
  uint64_t bytes_written = 0;
  // Time from a message entering fan-out to the socket write that carried it
  // to an event stream (see RecordStreamWrite).
  LatencyHistogram publish_to_write;
  // Per-user messages (user_queue.h): kept for a user with no open stream,
  // lost to --user-queue-size / --user-queue-ttl / the global bound, and
  // delivered from the queue when the user came back.
  uint64_t user_messages_queued = 0;
  uint64_t user_messages_dropped = 0;
  uint64_t user_messages_delivered = 0;
};

// Counts one gap event sent for `reason` (a GapReasonName; anything else
// counts as "unavailable") and adds it to the unlabelled total.
void CountReplayGap(Counters* counters, std::string_view reason);

// Records one socket write to an event stream whose oldest queued frame
// entered fan-out at `fanout_us` (Frame::fanout_us; 0: not a fanned-out
// message, nothing observed), `now_us` being the same clock at the write
// (LoopScheduler::write_clock_us).
// A message fanned out after the write clock was read (by a request handled
// during the flush pass) counts as 0, not as a wrapped-around difference.
inline void RecordStreamWrite(Counters* counters, uint32_t fanout_us, uint32_t now_us) {
  if (fanout_us == 0) return;
  const int32_t elapsed = static_cast<int32_t>(now_us - fanout_us);
  counters->publish_to_write.Observe(elapsed < 0 ? 0 : static_cast<uint32_t>(elapsed));
}

// Counts one refusal under `reason` (one of kAuthFailureReasons; anything
// else counts as "malformed").
void CountAuthFailure(Counters* counters, std::string_view reason);

// Counts one check at the application that took `nanos`, under `outcome`
// (one of kAuthRequestOutcomes; anything else counts as "unavailable").
void CountAuthRequest(Counters* counters, std::string_view outcome, uint64_t nanos);

// Counts one long poll answered with `outcome` (one of kLongPollOutcomes;
// anything else counts as "events").
void CountLongPoll(Counters* counters, std::string_view outcome);

// Counts one control line from `source`.
void CountControlLine(Counters* counters, LineSource source, bool accepted);

struct Gauges {
  uint64_t open_connections = 0;
  uint64_t open_streams = 0;
  uint64_t subscriptions = 0;
  uint64_t channels = 0;
  uint64_t patterns = 0;
  uint64_t queued_bytes = 0;
  uint64_t history_messages = 0;
  uint64_t history_bytes = 0;
  uint64_t history_channels = 0;
  uint64_t history_channels_evicted = 0;  // A counter kept by History, rendered as one.
  uint64_t poll_holds = 0;                // Holds waiting for a long poller's next poll.
  bool redis_mode = false;
  bool redis_connected = false;
  // Per Redis connection (kRedisConnections order; zeros in embedded mode).
  UpstreamConnection redis[kRedisConnectionCount] = {{"subscriber", false, 0, 0, 0}, {"commands", false, 0, 0, 0}};
  uint64_t redis_failovers = 0;  // The master moved (Sentinel).
};

std::string RenderPrometheus(const Counters& counters, const Gauges& gauges);

}  // namespace ssebridge
