#include "ssebridge/redis_broker.h"

#include <algorithm>
#include <optional>

#include <hiredis/hiredis.h>

#include <memory>

#include "ssebridge/client_command.h"
#include "ssebridge/event_id.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_scripts.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {
namespace {

RedisClient::Options ClientOptions(const RedisBroker::Options& broker, RedisSentinel* sentinel, const char* name,
                                   uint64_t command_timeout_ms) {
  RedisClient::Options options;
  options.address = broker.address;
  options.name = name;
  options.connect_timeout_ms = broker.connect_timeout_ms;
  options.command_timeout_ms = command_timeout_ms;
  if (sentinel != nullptr) {
    options.resolve = [sentinel](RedisClient::AddressCallback done) { return sentinel->Resolve(std::move(done)); };
    options.require_master = true;
  }
  return options;
}

std::unique_ptr<RedisSentinel> MakeSentinel(uv_loop_t* loop, const RedisBroker::Options& options) {
  if (options.sentinels.empty()) return nullptr;
  RedisSentinel::Options sentinel;
  sentinel.sentinels = options.sentinels;
  sentinel.master_name = options.master_name;
  sentinel.connect_timeout_ms = options.connect_timeout_ms;
  sentinel.command_timeout_ms = options.connect_timeout_ms;
  return std::make_unique<RedisSentinel>(loop, sentinel);
}

PublishDurability DurabilityOf(const RedisBroker::Options& options) {
  PublishDurability durability;
  durability.replicas = options.wait_replicas;
  // Half the command timeout: WAIT answers (with fewer replicas) before the
  // connection would be dropped as stuck.
  durability.timeout_ms = std::max<uint64_t>(options.command_timeout_ms / 2, 1);
  return durability;
}

RedisLiveRelay::Options RelayOptions(const RedisBroker::Options& options) {
  RedisLiveRelay::Options relay;
  relay.recognise_envelopes = options.recognise_envelopes;
  relay.max_frame_bytes = options.max_frame_bytes;
  relay.max_held_bytes = options.max_held_bytes;
  return relay;
}

}  // namespace

RedisBroker::RedisBroker(uv_loop_t* loop, CompletionQueue* completions, Options options, PubsubRegistry* registry,
                         Counters* counters, uint64_t (*now_ms)())
    : Broker(completions),
      options_(std::move(options)),
      counters_(counters),
      history_(options_.history),
      sentinel_(MakeSentinel(loop, options_)),
      commands_(loop, ClientOptions(options_, sentinel_.get(), "redis-commands", options_.command_timeout_ms)),
      // The subscriber gets no command timeout: it only ever waits for pushes.
      subscriber_(loop, ClientOptions(options_, sentinel_.get(), "redis-subscriber", 0),
                  [this](std::string_view source, bool is_pattern, std::string_view channel,
                         std::string_view payload) {
                    // Client commands are for the bridge, never for streams
                    // (not even those whose pattern matches the channel).
                    if (channel == kClientControlChannel) {
                      if (!is_pattern && client_command_handler_) client_command_handler_(payload);
                      return;
                    }
                    relay_.OnMessage(source, is_pattern, channel, payload);
                  }),
      publisher_(&commands_, completions, counters, options_.history, DurabilityOf(options_)),
      reader_(&commands_, completions, counters, &history_, &replay_limits_),
      relay_(RelayOptions(options_), &commands_, &reader_, registry, &history_, counters, now_ms),
      drain_user_(&commands_, completions, kDrainUserScript) {
  publisher_.set_user_queue(options_.user_queue_ttl_ms, options_.user_queue_size);
  commands_.on_ready = [this] {
    publisher_.OnConnected();
    drain_user_.Load();
    reader_.OnConnected();
    relay_.OnUpstreamReady();
    commands_ever_ready_ = true;
    RunReadsAwaitingCommands();
  };
  subscriber_.on_lost = [this] { relay_.OnSubscriberLost(); };
  subscriber_.on_ready = [this] { relay_.OnUpstreamReady(); };
  // The control channel's confirmation goes to the relay too: it may be the
  // last the relay's catch-up waits for (unknown names are ignored there).
  subscriber_.on_confirmed = [this](const std::string& name, bool is_pattern) {
    relay_.OnConfirmed(name);
    if (!is_pattern && IsUserChannel(name)) DrainUserQueue(name);
  };
  relay_.subscriptions_settled = [this] { return subscriber_.ready() && subscriber_.AllConfirmed(); };
  relay_.subscriber_ready = [this] { return subscriber_.ready(); };
  if (sentinel_) {
    // Both connections follow the master at once rather than when they
    // notice the old one is gone (a partitioned master may never say so).
    // The subscriber's reconnect runs the relay's catch-up from history.
    sentinel_->on_switch = [this](const RedisAddress&) {
      commands_.Reconnect("Sentinel switched the master");
      subscriber_.Reconnect("Sentinel switched the master");
    };
  }
}

void RedisBroker::Start() {
  if (sentinel_) sentinel_->Start();
  subscriber_.Want(std::string(kClientControlChannel), false);
  commands_.Start();
  subscriber_.Start();
}

void RedisBroker::Shutdown() {
  // Whatever was queued this turn is sent; stopping the client then answers
  // it (as lost) if Redis has not.
  Flush();
  // Resumes still waiting for a subscription read now; stopping the command
  // connection answers them (a gap, "unavailable").
  relay_.RunWaitingReads();
  commands_ever_ready_ = true;  // Nothing waits for a connection any more.
  RunReadsAwaitingCommands();
  commands_.Stop();
  subscriber_.Stop();
  if (sentinel_) sentinel_->Stop();
}

std::vector<Broker::Upstream> RedisBroker::upstreams() const {
  const RedisClient& subscriber = subscriber_.client();
  return {
      {"subscriber", subscriber.ready(), subscriber.reconnects(), subscriber.connect_timeouts(),
       subscriber.command_timeouts()},
      {"commands", commands_.ready(), commands_.reconnects(), commands_.connect_timeouts(),
       commands_.command_timeouts()},
  };
}

// The control channel stays subscribed whatever streams want; a stream
// naming it gets nothing from it.
void RedisBroker::OnTopicActive(const std::string& name, bool is_pattern) {
  if (!is_pattern && name == kClientControlChannel) return;
  relay_.OnTopicActive(name);
  subscriber_.Want(name, is_pattern);
}

void RedisBroker::OnTopicIdle(const std::string& name, bool is_pattern) {
  if (!is_pattern && name == kClientControlChannel) return;
  relay_.OnTopicIdle(name);
  subscriber_.Unwant(name, is_pattern);
}

void RedisBroker::SendClientCommand(const std::string& payload, ClientCommandCallback done) {
  auto shared = std::make_shared<ClientCommandCallback>(std::move(done));
  const bool sent = commands_.Command({"PUBLISH", std::string(kClientControlChannel), payload},
                                      [shared](const redisReply* reply) {
                                        const bool ok = reply != nullptr && reply->type == REDIS_REPLY_INTEGER;
                                        (*shared)(ok ? reply->integer : -1);
                                      });
  if (!sent) completions_->Post([shared] { (*shared)(-1); });
}

void RedisBroker::Replay(const std::vector<std::string>& topics, const std::string& after_text, ReplayCallback done) {
  if (AnswerIfHistoryDisabled(history_.enabled(), counters_, completions_, done)) return;
  // The stream has just subscribed; its read must not run before Redis
  // confirmed those subscriptions (see RedisLiveRelay::WhenSubscribed).
  uint64_t after = 0;
  std::optional<uint64_t> known;
  if (ParseEventId(after_text, &after)) known = after;
  relay_.WhenSubscribed(topics, known, [this, topics, after_text, done = std::move(done)]() mutable {
    ReplaySubscribed(topics, after_text, std::move(done));
  });
}

void RedisBroker::RunReadsAwaitingCommands() {
  std::vector<std::function<void()>> reads = std::move(reads_awaiting_commands_);
  reads_awaiting_commands_.clear();
  for (auto& read : reads) read();
}

void RedisBroker::DrainUserQueue(const std::string& channel) {
  if (options_.user_queue_ttl_ms == 0 || options_.user_queue_size == 0) return;
  Counters* counters = counters_;
  // Counters outlive the broker; the reply needs nothing else. A lost reply
  // leaves the queue in Redis for the next confirmation.
  drain_user_.Run({"0", channel}, [counters](const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return;
    for (size_t i = 0; i < 3; ++i) {
      if (reply->element[i]->type != REDIS_REPLY_INTEGER || reply->element[i]->integer < 0) return;
    }
    counters->user_messages_delivered += static_cast<uint64_t>(reply->element[0]->integer);
    counters->user_messages_dropped += static_cast<uint64_t>(reply->element[1]->integer);
  });
}

void RedisBroker::ReplaySubscribed(const std::vector<std::string>& topics, const std::string& after_text,
                                   ReplayCallback done) {
  if (!commands_ever_ready_ && !commands_.ready()) {
    reads_awaiting_commands_.push_back([this, topics, after_text, done = std::move(done)]() mutable {
      ReplaySubscribed(topics, after_text, std::move(done));
    });
    return;
  }
  std::optional<uint64_t> local_after = relay_.LocalAfter(topics);
  // Memory cannot tell an id newer than any this process has seen from one
  // never issued (unknown-id, replayed from the start): Redis's clock can.
  uint64_t after = 0;
  if (local_after && ParseEventId(after_text, &after) && after > relay_.newest_known_id()) local_after.reset();
  reader_.Replay(topics, after_text, local_after, std::move(done));
}

}  // namespace ssebridge
