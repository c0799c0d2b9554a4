#include "ssebridge/broker_factory.h"

#include <sys/time.h>

#include <algorithm>

#include "ssebridge/config.h"
#include "ssebridge/embedded_broker.h"
#include "ssebridge/redis_broker.h"

namespace ssebridge {
uint64_t MonotonicMillis() { return uv_hrtime() / 1000000; }

namespace {

uint64_t WallClockMicros() {
  struct timeval now;
  gettimeofday(&now, nullptr);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_usec);
}

History::Limits HistoryLimits(const Config& config) {
  History::Limits limits;
  limits.messages_per_channel = config.history_size;
  limits.ttl_ms = static_cast<uint64_t>(config.history_ttl_seconds) * 1000;
  limits.max_bytes = config.history_max_bytes;
  limits.max_channels = config.history_max_channels;
  return limits;
}

}  // namespace

std::unique_ptr<Broker> MakeBroker(uv_loop_t* loop, const Config& config, CompletionQueue* completions,
                                   PubsubRegistry* registry, Counters* counters) {
  std::unique_ptr<Broker> broker;
  if (!UsesRedis(config)) {
    UserQueue::Limits user_queue;
    user_queue.ttl_ms = static_cast<uint64_t>(config.user_queue_ttl_seconds) * 1000;
    user_queue.per_user = config.user_queue_size;
    broker = std::make_unique<EmbeddedBroker>(completions, registry, counters, HistoryLimits(config),
                                              WallClockMicros, MonotonicMillis, user_queue);
  } else {
    RedisBroker::Options options;
    options.address = config.redis_address;
    options.recognise_envelopes = config.redis_envelope;
    options.connect_timeout_ms = config.redis_connect_timeout_ms;
    options.command_timeout_ms = config.redis_command_timeout_ms;
    options.sentinels = config.redis_sentinels;
    for (RedisAddress& sentinel : options.sentinels) sentinel.password = config.redis_sentinel_password;
    options.master_name = config.redis_master;
    options.wait_replicas = config.redis_wait_replicas;
    options.history = HistoryLimits(config);
    options.max_frame_bytes = config.client_buffer_bytes;
    // A refill after a subscriber outage may hold a few MiB of live messages,
    // and at least one stream's worth.
    options.max_held_bytes = std::max<size_t>(8u << 20, config.client_buffer_bytes);
    options.user_queue_ttl_ms = static_cast<uint64_t>(config.user_queue_ttl_seconds) * 1000;
    options.user_queue_size = config.user_queue_size;
    broker = std::make_unique<RedisBroker>(loop, completions, options, registry, counters, MonotonicMillis);
  }
  ReplayLimits replay_limits;
  replay_limits.max_messages = config.max_replay_messages;
  replay_limits.max_bytes = config.client_buffer_bytes;
  broker->set_replay_limits(replay_limits);
  return broker;
}

}  // namespace ssebridge
