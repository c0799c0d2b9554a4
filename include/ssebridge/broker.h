// Broker: where published messages go and where streams' messages come from.
// Two implementations: EmbeddedBroker (in-process) and RedisBroker.
//
// The broker listens to the PubsubRegistry's topic events so it can follow the
// set of locally wanted channels, and feeds incoming messages into the
// registry's fan-out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ssebridge/completion_queue.h"
#include "ssebridge/envelope.h"
#include "ssebridge/frame.h"
#include "ssebridge/history.h"
#include "ssebridge/metrics.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/sse.h"

namespace ssebridge {

struct PublishOutcome {
  int status = 200;   // 200, or 503 when the message was not handed over.
  std::string id;     // The event id on success.
  std::string error;  // On failure.
};

// Runs exactly once per Publish() call, never before Publish() returns: a
// result known at once is posted to the completion queue.
using PublishCallback = std::function<void(const PublishOutcome&)>;

// What a resuming stream gets before it goes live.
struct ReplayResult {
  std::vector<FrameRef> frames;  // Retained messages after the resume id, ascending, unique.
  bool gap = false;              // Some messages after the resume id are lost or unknown.
  std::string gap_reason;        // "trimmed", "expired", "unknown-id", "history-disabled", "unavailable".
  uint64_t oldest_id = 0;        // Oldest id still retained on the stream's topics (0: none).
  // The resume id means nothing here (unknown-id): the frames start from the
  // oldest retained message, so the stream must not filter by the client's id.
  bool from_start = false;
};

// How much one resume may replay: the newest messages within both bounds are
// sent, the older ones are reported by a gap ("too-many").
struct ReplayLimits {
  size_t max_messages = 10000;     // --max-replay-messages
  size_t max_bytes = 1 << 20;      // --client-buffer-bytes (the frames' chunked size)
};

// Runs exactly once per Replay() call, never before Replay() returns.
using ReplayCallback = std::function<void(ReplayResult)>;

class Broker : public PubsubRegistry::Listener {
 public:
  // `completions` runs the callbacks whose result is known before the call
  // returns; its owner runs it once per loop turn.
  explicit Broker(CompletionQueue* completions) : completions_(completions) {}
  ~Broker() override = default;

  // "embedded" or "redis", for logs, /healthz and /metrics.
  virtual const char* kind() const = 0;

  // Connects upstream, if there is an upstream. Called once, after listening.
  virtual void Start() {}

  // Upstream reconnections since start (for /metrics).
  virtual uint64_t reconnects() const { return 0; }

  virtual void Publish(const PublishRequest& request, PublishCallback done) = 0;

  void set_replay_limits(ReplayLimits limits) { replay_limits_ = limits; }
  const ReplayLimits& replay_limits() const { return replay_limits_; }

  // Collects what a stream subscribed to `topics` missed after the id
  // `after_text` (the client's Last-Event-ID). The stream must already be
  // subscribed, holding live frames until `done` runs, so nothing falls
  // between replay and live traffic.
  virtual void Replay(const std::vector<std::string>& topics, const std::string& after_text,
                      ReplayCallback done) = 0;

  // Runs once per loop turn, right before the loop waits for I/O: a broker
  // that batches work (publishes to Redis) sends the batch here.
  virtual void Flush() {}

  // Periodic housekeeping (history expiry). now_ms is the loop's clock.
  virtual void Maintain(uint64_t /*now_ms*/) {}

  // History gauges for /metrics.
  virtual size_t history_messages() const { return 0; }
  virtual size_t history_bytes() const { return 0; }
  virtual size_t history_channels() const { return 0; }
  virtual uint64_t history_channels_evicted() const { return 0; }

  // False while an upstream connection is down (/healthz answers 503).
  virtual bool ready() const = 0;

  // Releases upstream connections so the loop can end; no callbacks after it.
  virtual void Shutdown() = 0;

 protected:
  CompletionQueue* const completions_;
  ReplayLimits replay_limits_;
};

// Shared by both brokers' Replay(): counts the resume and, when history is
// off, answers it (through `completions`) with a "history-disabled" gap.
// Returns true if it answered.
bool AnswerIfHistoryDisabled(const History& history, Counters* counters, CompletionQueue* completions,
                             ReplayCallback& done);

// Moves what History::Collect() found into a replay result.
void AddCollected(const History::Collected& collected, ReplayResult* result);

// Keeps the newest frames of an ascending replay within both limits. Returns
// the id of the newest frame it dropped (0: none dropped).
uint64_t KeepNewestFrames(const ReplayLimits& limits, std::vector<FrameRef>* frames);

// Shared by both brokers, last step of a replay: applies the limits, and
// when messages after the resume id were left out (`omitted` above `after`,
// or dropped here) turns the result into a "too-many" gap unless it already
// reports a gap. Counts the truncation and the gap.
void BoundReplay(const ReplayLimits& limits, uint64_t after, uint64_t omitted, Counters* counters,
                 ReplayResult* result);

// Encodes a message into its shared SSE frame.
FrameRef EncodeMessageFrame(const Message& message);

// The bytes a stream queues for EncodeMessageFrame(message) (its chunked
// form, the larger one), computed without encoding it. A frame larger than
// --client-buffer-bytes cannot be queued by any stream: delivering it would
// cut every subscriber off as a slow consumer.
size_t MessageFrameSize(const Message& message);

// The most bytes a stream may queue for the message of this publish, whatever
// id the broker gives it (ids are decimal and at most 20 digits long).
size_t MaxPublishedFrameSize(const PublishRequest& request);
// The same from the event's fields; `sequence` is the resumable id (or 0).
FrameRef EncodeEventFrame(const SseEvent& event, uint64_t sequence);

// The event that tells a resuming client it missed messages:
//   event: gap
//   data: {"lastEventId":"...","oldestId":"...","reason":"..."}
// It has no id, so the browser keeps its Last-Event-ID until the next message.
FrameRef EncodeGapFrame(const std::string& last_event_id, uint64_t oldest_id, const std::string& reason);

}  // namespace ssebridge
