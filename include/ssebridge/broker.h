// Broker: where published messages go and where streams' messages come from.
// Two implementations: EmbeddedBroker (in-process) and RedisBroker.
//
// The broker listens to the PubsubRegistry's topic events so it can follow the
// set of locally wanted channels, and feeds incoming messages into the
// registry's fan-out.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/completion_queue.h"
#include "ssebridge/metrics.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/replay_policy.h"

namespace ssebridge {

struct Counters;

struct PublishOutcome {
  int status = 200;   // 200, or 503 when the message was not handed over.
  std::string id;     // The event id on success.
  std::string error;  // On failure.
};

// Runs exactly once per Publish() call, never before Publish() returns: a
// result known at once is posted to the completion queue.
using PublishCallback = std::function<void(const PublishOutcome&)>;

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

  // One upstream connection, for /readyz and /metrics: the Redis broker's
  // "subscriber" and "commands". The embedded broker has none.
  using Upstream = UpstreamConnection;
  virtual std::vector<Upstream> upstreams() const { return {}; }
  // Times the upstream master moved (Redis Sentinel failovers) since start.
  virtual uint64_t failovers() const { return 0; }

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

  // False while an upstream connection is down (/readyz answers 503).
  virtual bool ready() const = 0;

  // Releases upstream connections so the loop can end; no callbacks after it.
  virtual void Shutdown() = 0;

  // Client commands for streams held by other processes (client_command.h).
  // True when this broker reaches other processes (Redis). Then
  // SendClientCommand publishes `payload` on the control channel and `done`
  // runs exactly once, never inside the call, with the number of processes
  // that received it, or -1 when it could not be sent.
  using ClientCommandCallback = std::function<void(long long receivers)>;
  virtual bool forwards_client_commands() const { return false; }
  virtual void SendClientCommand(const std::string& /*payload*/, ClientCommandCallback done) {
    completions_->Post([done = std::move(done)] { done(-1); });
  }
  // Runs for every command any process sent (this one's included), from the
  // subscriber's callback: it must defer what it does to the completion queue.
  void set_client_command_handler(std::function<void(std::string_view payload)> handler) {
    client_command_handler_ = std::move(handler);
  }

 protected:
  CompletionQueue* const completions_;
  ReplayLimits replay_limits_;
  std::function<void(std::string_view payload)> client_command_handler_;
};

// Shared by both brokers' Replay(): counts the resume and, when history is
// off, answers it (through `completions`) with a "history-disabled" gap.
// Returns true if it answered.
bool AnswerIfHistoryDisabled(bool history_enabled, Counters* counters, CompletionQueue* completions,
                             ReplayCallback& done);

// Answers a replay whose result is known before Replay() returns: through
// the completion queue, never on the spot.
void PostReplay(CompletionQueue* completions, ReplayCallback done, ReplayResult result);

}  // namespace ssebridge
