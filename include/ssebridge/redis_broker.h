// RedisBroker: publishes through Redis (so every ssebridge process sharing the
// Redis delivers), relays what Redis pub/sub sends to local streams, and
// resumes streams from history. A composition of its parts, each in its own
// module with its own unit tests:
//
//   RedisPublisher      publish batching and the publish script;
//   RedisHistoryReader  history reads (fetch script), shared reads, replays
//                       from memory or Redis, gaps by the replay policy;
//   RedisLiveRelay      pushes decoded and fanned out, topic coverage,
//                       catch-up after a subscriber outage.
//
// Connections: one for commands (the publisher's, the reader's and the
// relay's clock reads), one dedicated subscriber.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ssebridge/broker.h"
#include "ssebridge/history.h"
#include "ssebridge/redis_client.h"
#include "ssebridge/redis_history_reader.h"
#include "ssebridge/redis_live_relay.h"
#include "ssebridge/redis_publisher.h"
#include "ssebridge/redis_sentinel.h"
#include "ssebridge/redis_script_runner.h"
#include "ssebridge/redis_subscriber.h"

namespace ssebridge {

class RedisBroker : public Broker {
 public:
  struct Options {
    RedisAddress address;
    bool recognise_envelopes = true;
    uint64_t connect_timeout_ms = 1000;
    uint64_t command_timeout_ms = 5000;
    // Redis Sentinel (--redis-sentinel, --redis-master): when set, the
    // master is found through these and `address` gives only the
    // credentials and the database.
    std::vector<RedisAddress> sentinels;
    std::string master_name;
    // --redis-wait-replicas: see PublishDurability (redis_publisher.h).
    uint32_t wait_replicas = 0;
    History::Limits history;
    // The largest frame a stream may queue (--client-buffer-bytes): a bigger
    // message would cut every subscriber off, so it is dropped instead.
    size_t max_frame_bytes = SIZE_MAX;
    // Live messages held while a refill runs, in bytes (payloads, names and
    // bookkeeping); past it they are dropped and their streams cut off.
    size_t max_held_bytes = 8u << 20;
    // Per-user messages kept while their user has no stream anywhere
    // (--user-queue-ttl, --user-queue-size; 0: no queue).
    uint64_t user_queue_ttl_ms = 0;
    size_t user_queue_size = 0;
  };

  RedisBroker(uv_loop_t* loop, CompletionQueue* completions, Options options, PubsubRegistry* registry,
              Counters* counters, uint64_t (*now_ms)());

  const char* kind() const override { return "redis"; }
  void Start() override;
  // Publishes are queued and sent together, one script call per loop turn
  // (see Flush); each callback still runs exactly once, in request order.
  void Publish(const PublishRequest& request, PublishCallback done) override {
    publisher_.Publish(request, std::move(done));
  }
  void Flush() override { publisher_.Flush(); }
  void Replay(const std::vector<std::string>& topics, const std::string& after_text, ReplayCallback done) override;
  void Maintain(uint64_t now_ms) override { history_.ExpireOld(now_ms); }
  bool ready() const override { return commands_.ready() && subscriber_.ready(); }
  void Shutdown() override;
  size_t history_messages() const override { return history_.message_count(); }
  size_t history_bytes() const override { return history_.bytes(); }
  size_t history_channels() const override { return history_.channel_count(); }
  uint64_t history_channels_evicted() const override { return history_.evicted_channels(); }

  void OnTopicActive(const std::string& name, bool is_pattern) override;
  void OnTopicIdle(const std::string& name, bool is_pattern) override;

  uint64_t reconnects() const override { return commands_.reconnects() + subscriber_.reconnects(); }
  std::vector<Upstream> upstreams() const override;
  uint64_t failovers() const override { return sentinel_ ? sentinel_->failovers() : 0; }

  // Client commands travel on the control channel (client_command.h), which
  // every process subscribes to from Start() on.
  bool forwards_client_commands() const override { return true; }
  void SendClientCommand(const std::string& payload, ClientCommandCallback done) override;

 private:
  // Replay() once every topic's subscription is confirmed (or cannot be):
  // from memory when the relay vouches for it, else from Redis.
  void ReplaySubscribed(const std::vector<std::string>& topics, const std::string& after_text, ReplayCallback done);
  void RunReadsAwaitingCommands();
  // Redis confirmed this process's subscription to a user channel: what was
  // kept for that user goes out now (drain_user.lua), once.
  void DrainUserQueue(const std::string& channel);

  Options options_;
  Counters* counters_;
  // Reads of resumes that arrived before the command connection was ready
  // for the first time (a process that just started, e.g. the successor in a
  // rolling restart): they run once it is, rather than answering the resume
  // with a gap ("unavailable") for want of a connection that is a few
  // milliseconds away. Later outages answer at once, as before.
  bool commands_ever_ready_ = false;
  std::vector<std::function<void()>> reads_awaiting_commands_;
  History history_;
  // Before the connections it names the master to: they may ask it until
  // they stop, and are destroyed first.
  std::unique_ptr<RedisSentinel> sentinel_;
  RedisClient commands_;
  RedisSubscriber subscriber_;
  RedisPublisher publisher_;
  RedisHistoryReader reader_;
  RedisLiveRelay relay_;
  RedisScriptRunner drain_user_;
};

}  // namespace ssebridge
