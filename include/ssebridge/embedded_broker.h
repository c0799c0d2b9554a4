// EmbeddedBroker: publish and fan-out inside this process; no Redis.
#pragma once

#include <cstdint>

#include "ssebridge/broker.h"

namespace ssebridge {

class EmbeddedBroker : public Broker {
 public:
  // first_id: ids are decimal integers counting up from here. The server passes
  // the boot time in microseconds, so ids keep increasing across restarts.
  EmbeddedBroker(PubsubRegistry* registry, Counters* counters, uint64_t first_id);

  void Publish(const PublishRequest& request, PublishCallback done) override;
  bool ready() const override { return true; }
  void Shutdown() override {}

  void OnTopicActive(const std::string&, bool) override {}
  void OnTopicIdle(const std::string&, bool) override {}

 private:
  PubsubRegistry* registry_;
  Counters* counters_;
  uint64_t next_id_;
};

}  // namespace ssebridge
