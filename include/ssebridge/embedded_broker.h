// EmbeddedBroker: publish, fan-out and history inside this process; no Redis.
#pragma once

#include <cstdint>

#include "ssebridge/broker.h"
#include "ssebridge/history.h"

namespace ssebridge {

class EmbeddedBroker : public Broker {
 public:
  // Clock: returns wall-clock microseconds; injected so tests control ids.
  using MicrosClock = uint64_t (*)();

  EmbeddedBroker(CompletionQueue* completions, PubsubRegistry* registry, Counters* counters, History::Limits history_limits,
                 MicrosClock clock, uint64_t (*now_ms)());

  const char* kind() const override { return "embedded"; }
  // Delivers at once; the callback runs from the completion queue.
  void Publish(const PublishRequest& request, PublishCallback done) override;
  void Replay(const std::vector<std::string>& topics, const std::string& after_text, ReplayCallback done) override;
  void Maintain(uint64_t now_ms) override { history_.ExpireOld(now_ms); }
  bool ready() const override { return true; }
  void Shutdown() override {}
  size_t history_messages() const override { return history_.message_count(); }
  size_t history_bytes() const override { return history_.bytes(); }
  size_t history_channels() const override { return history_.channel_count(); }
  uint64_t history_channels_evicted() const override { return history_.evicted_channels(); }

  void OnTopicActive(const std::string&, bool) override {}
  void OnTopicIdle(const std::string&, bool) override {}

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
};

}  // namespace ssebridge
