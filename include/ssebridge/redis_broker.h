// RedisBroker: publishes through Redis (so every ssebridge process sharing the
// Redis delivers), relays what Redis pub/sub sends to local streams, and
// resumes streams from history.
//
// Connections: one for commands (publish and history reads), one dedicated
// subscriber.
//
// History. Messages published through the publish script are appended to a
// Redis stream per channel and announced on the channel in one atomic step.
// This process also keeps the resumable messages it receives in a local
// History, and knows for each subscribed topic since which id that local copy
// is complete (read from the id clock right after Redis confirmed the
// subscription). A resume is served from memory when the local copy covers
// it, and from Redis otherwise; concurrent Redis reads for the same topics are
// shared, so a reconnect storm costs one read per distinct resume point.
//
// Subscriber outages. When the subscriber connection comes back and every
// topic is re-confirmed, the broker reads from the streams everything each
// topic missed after the last id it saw, delivers it in id order, and only
// then releases live messages that arrived meanwhile. Streams drop ids they
// already have, so every connected client gets every message once, in order.
// Both the read and the hold are bounded: the read like a replay (the newest
// messages), the hold by max_held_bytes. A stream that would miss messages
// because of either is cut off instead, so it resumes from Redis.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ssebridge/broker.h"
#include "ssebridge/envelope.h"
#include "ssebridge/history.h"
#include "ssebridge/log.h"
#include "ssebridge/redis_client.h"
#include "ssebridge/redis_history_reply.h"
#include "ssebridge/redis_subscriber.h"

namespace ssebridge {

class RedisBroker : public Broker {
 public:
  struct Options {
    RedisAddress address;
    bool recognise_envelopes = true;
    uint64_t command_timeout_ms = 5000;
    History::Limits history;
    // The largest frame a stream may queue (--client-buffer-bytes): a bigger
    // message would cut every subscriber off, so it is dropped instead.
    size_t max_frame_bytes = SIZE_MAX;
    // Live messages held while a refill runs, in bytes (payloads, names and
    // bookkeeping); past it they are dropped and their streams cut off.
    size_t max_held_bytes = 8u << 20;
  };

  RedisBroker(uv_loop_t* loop, CompletionQueue* completions, Options options, PubsubRegistry* registry, Counters* counters,
              uint64_t (*now_ms)());

  const char* kind() const override { return "redis"; }
  void Start() override;
  // Publishes are queued and sent together, one script call per loop turn
  // (see Flush); each callback still runs exactly once, in request order.
  void Publish(const PublishRequest& request, PublishCallback done) override;
  void Flush() override;
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

 private:
  // Two facts per locally wanted topic, both learnt from Redis's id clock
  // (or from messages) and never from whether a key happened to exist:
  //  - covered: the local history holds every message after covered_after;
  //  - positioned: this process has every message up to last_seen, so after a
  //    subscriber outage a refill from last_seen closes the hole. A position
  //    of 0 is real (no id had been issued yet), not "unknown".
  struct TopicState {
    uint64_t serial = 0;      // Tells this subscription from a later one of the same name.
    bool confirmed = false;   // Redis confirmed it on the current subscriber connection.
    bool covered = false;
    uint64_t covered_after = 0;
    bool positioned = false;
    uint64_t last_seen = 0;
    // Held messages for it were dropped during the current refill: the local
    // history has a hole, so the refill must not make it covered.
    bool lost_held = false;
  };
  struct QueuedPublish {
    std::string envelope_head;
    std::vector<std::string> channels;
    PublishCallback done;
  };
  // More than this many publishes in one turn are sent in several calls, so
  // one script run stays short (Redis serves nobody else while it runs).
  static constexpr size_t kMaxPublishBatch = 128;

  struct Notification {
    std::string source;
    bool is_pattern;
    std::string channel;
    std::string payload;
  };
  struct Waiter {
    uint64_t after;
    bool known;
    std::string after_text;
    ReplayCallback done;
  };
  struct PendingFetch {
    uint64_t after;
    std::vector<Waiter> waiters;
  };

  void SendPublishBatch();
  void OnMessage(std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload);
  void Deliver(std::string_view source, bool is_pattern, std::string_view channel, std::string_view payload);
  // Counts and logs (throttled) what the live path refuses; false when the
  // message must be dropped because no stream could queue its frame.
  bool RelayAllowed(std::string_view channel, const Message& message, bool too_deep);
  void OnConfirmed(const std::string& name, bool is_pattern);
  // Reads the id clock for a confirmed topic that is not covered yet, and
  // makes it covered and positioned from that value.
  void ReadClock(const std::string& name);
  void ReadClockForUnsettled();
  void MaybeStartCatchUp();
  void FinishCatchUp(const FetchResult& result, const std::vector<std::pair<std::string, uint64_t>>& asked,
                     const std::vector<uint64_t>& serials);
  void ReleaseHeld();
  // The hold passed max_held_bytes: cuts off the streams its messages were
  // for and drops them.
  void DropHeld();
  // Cuts off every stream of a topic that cannot be served without a hole.
  size_t CutOffTopic(const std::string& name, const char* why);

  // Runs the fetch script for (topic, after) pairs; done(result) exactly once.
  void Fetch(const std::vector<std::pair<std::string, uint64_t>>& asked, std::function<void(FetchResult)> done);
  void AnswerWaiters(PendingFetch pending, const FetchResult& result);
  bool ServeFromMemory(const std::vector<std::string>& topics, uint64_t after, ReplayResult* result,
                       uint64_t* omitted);

  using ScriptCallback = std::function<void(const redisReply*)>;
  void RunScript(bool is_publish, std::vector<std::string> args, ScriptCallback done, bool by_sha);

  Options options_;
  PubsubRegistry* registry_;
  Counters* counters_;
  uint64_t (*now_ms_)();
  RedisClient commands_;
  RedisSubscriber subscriber_;
  History history_;
  std::string publish_sha_;
  std::string fetch_sha_;
  std::unordered_map<std::string, TopicState> topics_;  // Exact names and patterns never collide.
  uint64_t next_topic_serial_ = 0;
  uint64_t subscriber_session_ = 0;  // Incremented whenever the subscriber connection is lost.
  std::vector<QueuedPublish> publish_batch_;

  bool catching_up_ = false;       // Subscriber reconnected; history not yet refilled.
  bool catch_up_running_ = false;
  std::vector<Notification> held_;  // Live messages received during catch-up.
  size_t held_bytes_ = 0;

  std::map<std::string, PendingFetch> fetches_;  // In-flight replay reads by topic set.

  // A message published to several channels arrives once per channel, back to
  // back, with the same payload and id. Reusing its frame (and serial) lets the
  // registry deliver it once to a stream subscribed to several of them.
  std::string last_payload_;
  std::optional<PubsubRegistry::LazyFrame> last_frame_;
  uint64_t last_sequence_ = 0;

  // Anyone who can PUBLISH can trigger these warnings: one line per 10 s each.
  LogLimiter too_deep_log_{10000};
  LogLimiter too_large_log_{10000};
};

}  // namespace ssebridge
