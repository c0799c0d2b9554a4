// EmbeddedBroker: publish, fan-out and history inside this process; no Redis.
#pragma once

#include <cstdint>
#include <memory>

#include "ssebridge/broker.h"
#include "ssebridge/history.h"
#include "ssebridge/user_queue.h"

namespace ssebridge {

class EmbeddedBroker : public Broker {
 public:
  // Clock: returns wall-clock microseconds; injected so tests control ids.
  using MicrosClock = uint64_t (*)();

  EmbeddedBroker(CompletionQueue* completions, PubsubRegistry* registry, Counters* counters, History::Limits history_limits,
                 MicrosClock clock, uint64_t (*now_ms)(), UserQueue::Limits user_queue_limits = UserQueue::Limits());
  ~EmbeddedBroker() override;

  const char* kind() const override { return "embedded"; }
  // Delivers at once; the callback runs from the completion queue.
  void Publish(const PublishRequest& request, PublishCallback done) override;
  void Replay(const std::vector<std::string>& topics, const std::string& after_text, ReplayCallback done) override;
  void Maintain(uint64_t now_ms) override;
  bool ready() const override { return true; }
  void Shutdown() override {}
  size_t history_messages() const override { return history_.message_count(); }
  size_t history_bytes() const override { return history_.bytes(); }
  size_t history_channels() const override { return history_.channel_count(); }
  uint64_t history_channels_evicted() const override { return history_.evicted_channels(); }

  // A user channel that gains its first stream gets what was queued for it
  // (user_queue.h), from the completion queue: the stream is attached then.
  void OnTopicActive(const std::string& name, bool is_pattern) override;
  void OnTopicIdle(const std::string&, bool) override {}

  const UserQueue& user_queue() const { return user_queue_; }

  // The next id: microseconds since the epoch, or one more than the last id
  // when the clock has not moved (or went back). Unique and increasing.
  uint64_t NextId();

 private:
  PubsubRegistry* registry_;
  Counters* counters_;
  History history_;
  MicrosClock clock_;
  uint64_t (*now_ms_)();
  uint64_t last_id_ = 0;
  // Per-user messages: kept while their user has no stream, drained once.
  void QueueForUser(const std::string& channel, PubsubRegistry::LazyFrame& frame, uint64_t now_ms);
  void DrainUserQueue(const std::string& channel);
  UserQueue user_queue_;
  // Cleared by the destructor: a drain posted to the completion queue
  // outlives nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ssebridge
