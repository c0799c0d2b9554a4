// RedisPublisher: publishes through the publish script (deploy/redis/publish.lua),
// which issues each message's id, appends it to every channel's history stream
// and announces it on the channel in one atomic step.
//
// Publishes are batched: every publish of one loop turn goes out in one
// script call (at most kMaxBatch per call, so one script run stays short —
// Redis serves nobody else while it runs). Under load the script's fixed
// costs (clock, trimming, expiry) are paid once per channel per batch instead
// of once per message; at low rates a batch is one message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ssebridge/broker.h"
#include "ssebridge/history.h"
#include "ssebridge/redis_script_runner.h"

namespace ssebridge {

// Durability (--redis-wait-replicas): with replicas > 0 each batch the
// script accepted is followed by WAIT replicas timeout_ms, and its
// messages are answered 200 only when that many replicas acknowledged
// them, else 503. Redis replicates asynchronously: without it a message
// answered 200 may be lost with its master when Sentinel promotes a
// replica that had not received it yet.
struct PublishDurability {
  uint32_t replicas = 0;
  uint64_t timeout_ms = 0;
};

class RedisPublisher {
 public:
  static constexpr size_t kMaxBatch = 128;

  // `history` gives the retention the script applies in Redis.
  RedisPublisher(RedisCommandSender* sender, CompletionQueue* completions, Counters* counters,
                 const History::Limits& history, PublishDurability durability = PublishDurability());

  // The user queue the script keeps for users with no stream anywhere
  // (--user-queue-ttl, --user-queue-size; 0 turns it off).
  void set_user_queue(uint64_t ttl_ms, size_t size) {
    user_queue_ttl_ms_ = ttl_ms;
    user_queue_size_ = size;
  }

  // Loads the script; call after every (re)connect of the command connection.
  void OnConnected() { script_.Load(); }

  // Queues the publish for this turn's batch (sent at once when the batch is
  // full). `done` runs exactly once, never inside this call, in request order
  // within a batch: with the id, or 503 when the connection is down, the
  // reply is an error (for the batch or this element) or the connection is
  // lost before Redis answered.
  void Publish(const PublishRequest& request, PublishCallback done);

  // Sends what this turn queued. Runs once per loop turn.
  void Flush();

 private:
  struct Queued {
    size_t channel_count;
    PublishCallback done;
  };
  void SendBatch();
  // Answers the batch with `outcomes`, one per message, counting them.
  void Answer(std::vector<Queued>& batch, std::vector<PublishOutcome>& outcomes);
  // Counts the reply's last element, { queued, dropped } for users; false
  // when it has another shape.
  bool CountUserQueue(const redisReply* tail);

  RedisCommandSender* sender_;
  CompletionQueue* completions_;
  Counters* counters_;
  const History::Limits history_;
  const PublishDurability durability_;
  RedisScriptRunner script_;
  uint64_t user_queue_ttl_ms_ = 0;
  size_t user_queue_size_ = 0;
  // What this turn queued: the callbacks, and the script arguments as they grow.
  std::vector<Queued> batch_;
  std::vector<std::string> args_;
};

}  // namespace ssebridge
