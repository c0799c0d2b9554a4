// Metrics: process-wide counters and the Prometheus text rendering of them
// together with gauges read from the live objects.
#pragma once

#include <cstdint>
#include <string>

namespace ssebridge {

struct Counters {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;   // Over --max-connections.
  uint64_t requests = 0;
  uint64_t http_errors = 0;            // 4xx/5xx responses sent.
  uint64_t streams_opened = 0;
  uint64_t messages_published = 0;     // Accepted publish requests (HTTP), per channel.
  uint64_t messages_received = 0;      // Messages that entered fan-out (any source).
  uint64_t deliveries = 0;             // Frames queued to streams.
  uint64_t stream_writes = 0;          // Socket writes to streams (several frames may share one).
  uint64_t slow_consumer_disconnects = 0;
  uint64_t header_timeouts = 0;
  uint64_t redis_reconnects = 0;
  uint64_t publish_failures = 0;       // 503 answers: message not handed to Redis.
  uint64_t replays = 0;                // Streams resumed with a Last-Event-ID.
  uint64_t replays_from_redis = 0;     // ... whose history had to be read from Redis.
  uint64_t replay_gaps = 0;            // ... that were told about a gap.
  uint64_t replayed_messages = 0;      // Messages sent by replays.
  uint64_t redis_history_reads = 0;    // Fetch-script calls (coalesced across streams).
};

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
  bool redis_mode = false;
  bool redis_connected = false;
};

std::string RenderPrometheus(const Counters& counters, const Gauges& gauges);

}  // namespace ssebridge
