// RedisBroker: publishes through Redis (so every ssebridge process sharing the
// Redis delivers) and relays what Redis pub/sub sends to local streams.
// One command connection (publishing) and one dedicated subscriber connection.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ssebridge/broker.h"
#include "ssebridge/redis_client.h"
#include "ssebridge/redis_subscriber.h"

namespace ssebridge {

class RedisBroker : public Broker {
 public:
  struct Options {
    RedisAddress address;
    bool recognise_envelopes = true;
    uint64_t command_timeout_ms = 5000;
  };

  RedisBroker(uv_loop_t* loop, Options options, PubsubRegistry* registry, Counters* counters);

  void Start();
  void Publish(const PublishRequest& request, PublishCallback done) override;
  bool ready() const override { return commands_.ready() && subscriber_.ready(); }
  void Shutdown() override;

  void OnTopicActive(const std::string& name, bool is_pattern) override { subscriber_.Want(name, is_pattern); }
  void OnTopicIdle(const std::string& name, bool is_pattern) override { subscriber_.Unwant(name, is_pattern); }

  uint64_t reconnects() const { return commands_.reconnects() + subscriber_.reconnects(); }

 private:
  void OnMessage(std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload);
  void RunPublishScript(std::vector<std::string> args, PublishCallback done, bool by_sha);

  Options options_;
  PubsubRegistry* registry_;
  Counters* counters_;
  RedisClient commands_;
  RedisSubscriber subscriber_;
  std::string script_sha_;  // From SCRIPT LOAD; empty until known.

  // A message published to several channels arrives once per channel, back to
  // back, with the same payload and id. Reusing its frame (and serial) lets the
  // registry deliver it once to a stream subscribed to several of them.
  std::string last_payload_;
  std::optional<PubsubRegistry::LazyFrame> last_frame_;
};

// The publish script's source (deploy/redis/publish.lua, compiled in).
extern const char* const kPublishScript;

}  // namespace ssebridge
