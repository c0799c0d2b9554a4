#include "ssebridge/redis_broker.h"

#include <algorithm>
#include <set>

#include "ssebridge/channel.h"
#include "ssebridge/event_id.h"
#include "ssebridge/log.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_scripts.h"
#include "ssebridge/untrusted_json.h"

namespace ssebridge {
namespace {

constexpr const char* kClockKey = "ssebridge:seq";

RedisClient::Options ClientOptions(const RedisAddress& address, const char* name, uint64_t command_timeout_ms) {
  RedisClient::Options options;
  options.address = address;
  options.name = name;
  options.command_timeout_ms = command_timeout_ms;
  return options;
}

}  // namespace

RedisBroker::RedisBroker(uv_loop_t* loop, CompletionQueue* completions, Options options, PubsubRegistry* registry, Counters* counters,
                         uint64_t (*now_ms)())
    : Broker(completions),
      options_(std::move(options)),
      registry_(registry),
      counters_(counters),
      now_ms_(now_ms),
      commands_(loop, ClientOptions(options_.address, "redis-commands", options_.command_timeout_ms)),
      // The subscriber gets no command timeout: it only ever waits for pushes.
      subscriber_(loop, ClientOptions(options_.address, "redis-subscriber", 0),
                  [this](std::string_view source, bool is_pattern, std::string_view channel,
                         std::string_view payload) { OnMessage(source, is_pattern, channel, payload); }),
      history_(options_.history) {
  commands_.on_ready = [this] {
    commands_.Command({"SCRIPT", "LOAD", kPublishScript}, [this](const redisReply* reply) {
      if (reply && reply->type == REDIS_REPLY_STRING) publish_sha_.assign(reply->str, reply->len);
    });
    commands_.Command({"SCRIPT", "LOAD", kFetchScript}, [this](const redisReply* reply) {
      if (reply && reply->type == REDIS_REPLY_STRING) fetch_sha_.assign(reply->str, reply->len);
    });
    MaybeStartCatchUp();
  };
  subscriber_.on_lost = [this] {
    ++subscriber_session_;
    for (auto& entry : topics_) entry.second.confirmed = false;
    last_frame_.reset();
    // Messages published while we are away are only in the streams.
    if (history_.enabled()) catching_up_ = true;
  };
  subscriber_.on_ready = [this] { MaybeStartCatchUp(); };
  subscriber_.on_confirmed = [this](const std::string& name, bool is_pattern) { OnConfirmed(name, is_pattern); };
}

void RedisBroker::Start() {
  commands_.Start();
  subscriber_.Start();
}

void RedisBroker::Shutdown() {
  // Whatever was queued this turn is sent; stopping the client then answers
  // it (as lost) if Redis has not.
  Flush();
  commands_.Stop();
  subscriber_.Stop();
}

void RedisBroker::OnTopicActive(const std::string& name, bool is_pattern) {
  TopicState& state = topics_[name] = TopicState();
  state.serial = ++next_topic_serial_;
  subscriber_.Want(name, is_pattern);
}

void RedisBroker::OnTopicIdle(const std::string& name, bool is_pattern) {
  topics_.erase(name);
  subscriber_.Unwant(name, is_pattern);
}

// ------------------------------------------------------------------ publish

void RedisBroker::Publish(const PublishRequest& request, PublishCallback done) {
  if (!commands_.ready()) {
    ++counters_->publish_failures;
    LOG_WARN("publish refused: Redis is not connected");
    completions_->Post([done = std::move(done)] {
      done(PublishOutcome{503, "", "Redis is not connected; the message was not published"});
    });
    return;
  }
  publish_batch_.push_back(QueuedPublish{EncodeEnvelopeHead(request), request.channels, std::move(done)});
  if (publish_batch_.size() >= kMaxPublishBatch) SendPublishBatch();
}

void RedisBroker::Flush() {
  if (!publish_batch_.empty()) SendPublishBatch();
}

void RedisBroker::SendPublishBatch() {
  // One script call for every publish of this loop turn: under load the
  // script's fixed costs (clock, trimming, expiry) are paid once per channel
  // per batch instead of once per message; at low rates a batch is one message.
  auto batch = std::make_shared<std::vector<QueuedPublish>>(std::move(publish_batch_));
  publish_batch_.clear();
  std::vector<std::string> args;
  args.reserve(6 + batch->size() * 3);
  args.push_back("");  // EVAL or EVALSHA, and the script or its hash, go here.
  args.push_back("");
  args.push_back("1");
  args.push_back(kClockKey);
  args.push_back(std::to_string(history_.limits().messages_per_channel));
  args.push_back(std::to_string(history_.limits().ttl_ms));
  for (QueuedPublish& publish : *batch) {
    args.push_back(std::move(publish.envelope_head));
    args.push_back(std::to_string(publish.channels.size()));
    for (const std::string& channel : publish.channels) args.push_back(channel);
  }
  RunScript(true, std::move(args), [this, batch](const redisReply* reply) {
    const bool answered = reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == batch->size();
    std::string reason;
    if (!answered) {
      reason = reply == nullptr ? "connection to Redis lost before the publish was confirmed"
               : reply->type == REDIS_REPLY_ERROR ? "Redis error: " + std::string(ReplyText(reply))
                                                  : "unexpected reply from the publish script";
      LOG_WARN("publish of %zu message(s) failed: %s", batch->size(), reason.c_str());
    }
    for (size_t i = 0; i < batch->size(); ++i) {
      QueuedPublish& publish = (*batch)[i];
      const redisReply* element = answered ? reply->element[i] : nullptr;
      if (element != nullptr && element->type == REDIS_REPLY_STRING) {
        counters_->messages_published += publish.channels.size();
        publish.done(PublishOutcome{200, std::string(element->str, element->len), ""});
        continue;
      }
      std::string message_reason = reason;
      if (element != nullptr) {
        message_reason = "Redis error: " + std::string(ReplyText(element));
        LOG_WARN("publish failed: %s", message_reason.c_str());
      }
      ++counters_->publish_failures;
      publish.done(PublishOutcome{503, "", message_reason});
    }
  }, true);
}

void RedisBroker::RunScript(bool is_publish, std::vector<std::string> args, ScriptCallback done, bool by_sha) {
  const std::string& sha = is_publish ? publish_sha_ : fetch_sha_;
  by_sha = by_sha && !sha.empty();
  args[0] = by_sha ? "EVALSHA" : "EVAL";
  args[1] = by_sha ? sha : (is_publish ? kPublishScript : kFetchScript);
  // The arguments stay alive (shared, not copied) only for the NOSCRIPT retry.
  auto shared_args = std::make_shared<std::vector<std::string>>(std::move(args));
  auto shared_done = std::make_shared<ScriptCallback>(std::move(done));
  bool sent = commands_.Command(*shared_args, [this, is_publish, by_sha, shared_done, shared_args](
                                                  const redisReply* reply) {
    if (by_sha && reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
        ReplyText(reply).substr(0, 8) == "NOSCRIPT") {
      // Redis restarted and forgot the script: send its source once.
      RunScript(is_publish, std::move(*shared_args), std::move(*shared_done), false);
      return;
    }
    (*shared_done)(reply);
  });
  // Not sent (the connection is down): answer from the completion queue, as
  // the caller (a Publish() filling its batch, a Replay()) is still running.
  if (!sent) completions_->Post([shared_done] { (*shared_done)(nullptr); });
}

// --------------------------------------------------------------- live path

void RedisBroker::OnMessage(std::string_view source, bool is_pattern, std::string_view channel,
                            std::string_view payload) {
  if (catching_up_) {
    held_.push_back(Notification{std::string(source), is_pattern, std::string(channel), std::string(payload)});
    held_bytes_ += sizeof(Notification) + source.size() + channel.size() + payload.size();
    if (held_bytes_ > options_.max_held_bytes) DropHeld();
    return;
  }
  Deliver(source, is_pattern, channel, payload);
}

void RedisBroker::Deliver(std::string_view source, bool is_pattern, std::string_view channel,
                          std::string_view payload) {
  if (!(last_frame_ && payload == last_payload_)) {
    Message message;
    // Our own (resumable) envelopes are always decoded; --redis-envelope off
    // only stops applications' payloads from being read as envelopes.
    bool too_deep = false;
    bool decoded = DecodeEnvelope(payload, &message, &too_deep);
    if (!decoded || !(options_.recognise_envelopes || message.sequence != 0)) {
      message = Message();
      message.data.assign(payload.data(), payload.size());
    }
    if (!RelayAllowed(channel, message, too_deep && options_.recognise_envelopes)) return;
    last_sequence_ = message.sequence;
    last_frame_.emplace([message = std::move(message)] { return EncodeMessageFrame(message); });
    if (last_sequence_ != 0) {
      last_payload_.assign(payload.data(), payload.size());
    } else {
      // Without an id two equal payloads are two messages; never merge them.
      last_payload_.clear();
    }
    ++counters_->messages_received;
  }
  // Only resumable messages are recorded and advance catch-up positions; with
  // history off neither is ever used.
  if (last_sequence_ != 0 && history_.enabled()) {
    history_.Append(std::string(channel), last_sequence_, last_frame_->get(), now_ms_());
    auto it = topics_.find(std::string(source));
    if (it != topics_.end()) {
      // Pub/sub delivers in publish order, which is id order: having this
      // message live means having every earlier one since the subscription.
      it->second.positioned = true;
      it->second.last_seen = std::max(it->second.last_seen, last_sequence_);
    }
  }
  counters_->deliveries += registry_->DeliverNotification(source, is_pattern, channel, *last_frame_);
  if (last_sequence_ == 0) last_frame_.reset();
}

bool RedisBroker::RelayAllowed(std::string_view channel, const Message& message, bool too_deep) {
  uint64_t suppressed = 0;
  if (too_deep) {
    ++counters_->envelopes_rejected;
    if (too_deep_log_.Allow(now_ms_(), &suppressed)) {
      LOG_WARN("redis: a payload on '%.*s' looks like an envelope but nests deeper than %zu levels; "
               "delivered as plain data (%llu more since the last such warning)",
               static_cast<int>(channel.size()), channel.data(), kMaxJsonDepth,
               static_cast<unsigned long long>(suppressed));
    }
  }
  const size_t frame_bytes = MessageFrameSize(message);
  if (frame_bytes <= options_.max_frame_bytes) return true;
  ++counters_->messages_too_large;
  if (too_large_log_.Allow(now_ms_(), &suppressed)) {
    LOG_WARN("redis: dropped a message on '%.*s': its event takes %zu bytes, more than a stream may queue "
             "(--client-buffer-bytes %zu) (%llu more since the last such warning)",
             static_cast<int>(channel.size()), channel.data(), frame_bytes, options_.max_frame_bytes,
             static_cast<unsigned long long>(suppressed));
  }
  return false;
}

void RedisBroker::OnConfirmed(const std::string& name, bool /*is_pattern*/) {
  auto it = topics_.find(name);
  if (it != topics_.end()) it->second.confirmed = true;
  if (catching_up_) {
    // A clock read now would claim the outage's messages as seen; the
    // catch-up settles every topic it knows, and reads the clock for the
    // others when it is done.
    MaybeStartCatchUp();
    return;
  }
  ReadClock(name);
}

void RedisBroker::ReadClock(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end() || !it->second.confirmed || it->second.covered || !history_.enabled()) return;
  // Every message with an id above the clock's current value is published
  // after this read, hence after the subscription took effect, so it will
  // reach us: from here on the local history is complete for this topic.
  // That holds only while the subscriber connection that confirmed it lasts.
  const uint64_t serial = it->second.serial;
  const uint64_t session = subscriber_session_;
  commands_.Command({"GET", kClockKey}, [this, name, serial, session](const redisReply* reply) {
    auto it = topics_.find(name);
    // The topic may have gone idle and come back with a newer subscription.
    if (it == topics_.end() || it->second.serial != serial || session != subscriber_session_) return;
    if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) return;
    // No clock yet means no id was ever issued: every id this topic will
    // see is above 0, so 0 is its position, as good as any other.
    uint64_t clock = 0;
    if (reply->type == REDIS_REPLY_STRING && !ParseEventId(ReplyText(reply), &clock)) return;
    TopicState& state = it->second;
    state.covered = true;
    state.covered_after = clock;
    state.positioned = true;
    state.last_seen = std::max(state.last_seen, clock);
    LOG_DEBUG("redis: '%s' is complete in memory after id %llu", name.c_str(), static_cast<unsigned long long>(clock));
  });
}

// ---------------------------------------------------------------- catch-up

void RedisBroker::MaybeStartCatchUp() {
  if (!catching_up_ || catch_up_running_) return;
  if (!subscriber_.ready() || !commands_.ready() || !subscriber_.AllConfirmed()) return;
  // Every topic is subscribed again: whatever is published from now on
  // arrives live, so one read of the streams closes the hole.
  std::vector<std::pair<std::string, uint64_t>> asked;
  std::vector<uint64_t> serials;
  for (const auto& [name, state] : topics_) {
    if (!state.positioned) continue;
    asked.emplace_back(name, state.last_seen);
    serials.push_back(state.serial);
  }
  if (asked.empty()) {
    catching_up_ = false;
    ReleaseHeld();
    // Topics without a position have nothing to refill; they get one now.
    ReadClockForUnsettled();
    return;
  }
  catch_up_running_ = true;
  LOG_INFO("redis: refilling %zu topic(s) from history after the subscriber reconnected", asked.size());
  Fetch(asked, [this, asked, serials](FetchResult result) {
    catch_up_running_ = false;
    FinishCatchUp(result, asked, serials);
  });
}

void RedisBroker::FinishCatchUp(const FetchResult& result, const std::vector<std::pair<std::string, uint64_t>>& asked,
                                const std::vector<uint64_t>& serials) {
  if (!result.ok) {
    LOG_ERROR("redis: could not read history after the subscriber reconnected; "
              "streams may have missed messages published during the outage");
    // The clock reads below make them covered again from now on.
    for (auto& entry : topics_) entry.second.covered = false;
  } else {
    for (const auto& [topic, after] : asked) {
      if (after < result.epoch) {
        LOG_WARN("redis: its history restarted (epoch %llu) after '%s' was last seen at %llu; "
                 "messages from the old history that this process missed are lost",
                 static_cast<unsigned long long>(result.epoch), topic.c_str(), static_cast<unsigned long long>(after));
      }
    }
    for (const FetchedChannel& channel : result.channels) {
      if (channel.topic_index < asked.size() && channel.watermark > asked[channel.topic_index].second) {
        LOG_WARN("redis: history of '%s' was trimmed during the outage; some messages are lost",
                 channel.channel.c_str());
      }
    }
    // The read is bounded like a replay: a topic it could not fill whole
    // would get newer messages after a hole. Its streams are cut off first
    // (before any of those messages reaches them) and resume from Redis.
    std::vector<bool> short_of(asked.size(), false);
    for (const FetchedChannel& channel : result.channels) {
      if (channel.topic_index < asked.size() && channel.omitted > asked[channel.topic_index].second) {
        short_of[channel.topic_index] = true;
      }
    }
    size_t cut_topics = 0;
    size_t cut_streams = 0;
    for (size_t i = 0; i < asked.size(); ++i) {
      if (!short_of[i]) continue;
      ++cut_topics;
      cut_streams += CutOffTopic(asked[i].first, "too many messages missed during a Redis subscriber outage");
      auto it = topics_.find(asked[i].first);
      if (it != topics_.end() && it->second.serial == serials[i]) {
        it->second.covered_after = std::max(it->second.covered_after, result.omitted);
      }
    }
    if (cut_topics != 0) {
      ++counters_->redis_catch_up_overflows;
      counters_->redis_catch_up_cutoffs += cut_streams;
      LOG_WARN("redis: the refill after a subscriber reconnect passed the replay bound (newest id left out %llu): "
               "%zu stream(s) on %zu topic(s) cut off to resume from Redis",
               static_cast<unsigned long long>(result.omitted), cut_streams, cut_topics);
    }
    const uint64_t now = now_ms_();
    size_t delivered = 0;
    for (const FetchedMessage& message : result.messages) {
      const std::string& channel = result.channels[message.channel_index].channel;
      history_.Append(channel, message.id, message.frame, now);
      PubsubRegistry::LazyFrame frame([&message] { return message.frame; });
      counters_->deliveries += registry_->Publish(channel, frame);
      ++delivered;
    }
    // Every asked topic was confirmed before the read, so everything after
    // the clock value read with the streams arrives live, and everything up
    // to it is now here, except what was trimmed before it could be read.
    for (size_t i = 0; i < asked.size(); ++i) {
      auto it = topics_.find(asked[i].first);
      if (it == topics_.end() || it->second.serial != serials[i]) continue;
      TopicState& state = it->second;
      state.last_seen = std::max(state.last_seen, result.clock);
      if (state.lost_held) {
        // Dropped held messages may be newer than this read: read the clock
        // again once the refill is over (ReadClockForUnsettled).
        state.covered = false;
      } else if (!state.covered) {
        state.covered = true;
        state.covered_after = result.clock;
      }
    }
    for (const FetchedChannel& channel : result.channels) {
      if (channel.topic_index >= asked.size()) continue;
      auto it = topics_.find(asked[channel.topic_index].first);
      if (it == topics_.end() || it->second.serial != serials[channel.topic_index]) continue;
      it->second.covered_after = std::max(it->second.covered_after, channel.watermark);
    }
    LOG_INFO("redis: refilled %zu message(s) missed during the outage", delivered);
  }
  catching_up_ = false;
  ReleaseHeld();
  for (auto& entry : topics_) {
    if (entry.second.lost_held) entry.second.covered = false;
    entry.second.lost_held = false;
  }
  // Topics this read did not settle (no position yet, or confirmed while it
  // ran) get a clock read of their own.
  ReadClockForUnsettled();
}

void RedisBroker::ReadClockForUnsettled() {
  std::vector<std::string> unsettled;
  for (const auto& [name, state] : topics_) {
    if (state.confirmed && !state.covered) unsettled.push_back(name);
  }
  for (const std::string& name : unsettled) ReadClock(name);
}

void RedisBroker::ReleaseHeld() {
  std::vector<Notification> held = std::move(held_);
  held_.clear();
  held_bytes_ = 0;
  for (const Notification& n : held) Deliver(n.source, n.is_pattern, n.channel, n.payload);
}

size_t RedisBroker::CutOffTopic(const std::string& name, const char* why) {
  return registry_->CutOffTopic(name, IsPattern(name), why);
}

void RedisBroker::DropHeld() {
  std::vector<Notification> held = std::move(held_);
  const size_t bytes = held_bytes_;
  held_.clear();
  held_bytes_ = 0;
  // Every stream these messages were for would get the ones after them and
  // never these: cut off, it resumes from Redis, where they are.
  std::set<std::string> sources;
  for (const Notification& n : held) sources.insert(n.source);
  size_t streams = 0;
  for (const std::string& source : sources) {
    streams += CutOffTopic(source, "live messages held during a Redis refill passed the bound");
    auto it = topics_.find(source);
    if (it != topics_.end()) it->second.lost_held = true;
  }
  ++counters_->redis_catch_up_overflows;
  counters_->redis_catch_up_cutoffs += streams;
  LOG_WARN("redis: %zu live message(s) (%zu bytes) held while refilling after a subscriber reconnect passed the "
           "bound of %zu bytes: dropped, and %zu stream(s) on %zu topic(s) cut off to resume from Redis",
           held.size(), bytes, options_.max_held_bytes, streams, sources.size());
}

// ------------------------------------------------------------------ replay

bool RedisBroker::ServeFromMemory(const std::vector<std::string>& topics, uint64_t after, ReplayResult* result,
                                  uint64_t* omitted) {
  if (catching_up_) return false;
  for (const std::string& topic : topics) {
    auto it = topics_.find(topic);
    if (it == topics_.end() || !it->second.covered || it->second.covered_after > after) return false;
  }
  History::Collected collected = history_.Collect(topics, after, replay_limits_.max_messages);
  // Trimmed locally does not mean lost: Redis may keep more.
  if (collected.watermark > after) return false;
  AddCollected(collected, result);
  *omitted = collected.omitted;
  return true;
}

void RedisBroker::Replay(const std::vector<std::string>& topics, const std::string& after_text,
                         ReplayCallback done) {
  if (AnswerIfHistoryDisabled(history_.enabled(), counters_, completions_, done)) return;
  ReplayResult result;
  uint64_t after = 0;
  const bool known = ParseEventId(after_text, &after);
  uint64_t omitted = 0;
  if (known && ServeFromMemory(topics, after, &result, &omitted)) {
    BoundReplay(replay_limits_, after, omitted, counters_, &result);
    PostReplay(completions_, std::move(done), std::move(result));
    return;
  }
  ++counters_->replays_from_redis;
  const uint64_t read_from = known ? after : 0;
  std::vector<std::string> sorted = topics;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (const std::string& topic : sorted) key.append(topic).push_back('\n');

  Waiter waiter{read_from, known, after_text, std::move(done)};
  auto it = fetches_.find(key);
  if (it != fetches_.end() && it->second.after <= read_from) {
    // A read of these topics from an earlier point is under way: share it.
    it->second.waiters.push_back(std::move(waiter));
    return;
  }
  std::vector<std::pair<std::string, uint64_t>> asked;
  for (const std::string& topic : sorted) asked.emplace_back(topic, read_from);
  PendingFetch pending{read_from, {}};
  pending.waiters.push_back(std::move(waiter));
  if (it != fetches_.end()) {
    // A later read is in flight and cannot serve this resume; read alone.
    Fetch(asked, [this, pending = std::move(pending)](FetchResult fetched) mutable {
      AnswerWaiters(std::move(pending), fetched);
    });
    return;
  }
  fetches_.emplace(key, std::move(pending));
  Fetch(asked, [this, key](FetchResult fetched) {
    auto found = fetches_.find(key);
    if (found == fetches_.end()) return;
    PendingFetch pending = std::move(found->second);
    fetches_.erase(found);
    AnswerWaiters(std::move(pending), fetched);
  });
}

void RedisBroker::AnswerWaiters(PendingFetch pending, const FetchResult& fetched) {
  std::vector<StoredChannel> channels;
  for (const FetchedChannel& channel : fetched.channels) channels.push_back({channel.watermark, channel.missing});
  for (Waiter& waiter : pending.waiters) {
    if (!fetched.ok) {
      ++counters_->replay_gaps;
      waiter.done(GapOnly(GapReason::kUnavailable));
      continue;
    }
    ReplayResult result;
    for (const FetchedMessage& message : fetched.messages) {
      if (message.id > waiter.after) result.frames.push_back(message.frame);
    }
    if (!fetched.messages.empty()) result.oldest_id = fetched.messages.front().id;
    ResumeFacts facts;
    // An id above the clock was never issued.
    facts.id_known = waiter.known && waiter.after <= fetched.clock;
    facts.after = waiter.after;
    facts.epoch = fetched.epoch;
    facts.now_us = fetched.now_us;
    facts.ttl_us = history_.limits().ttl_ms * 1000;
    const GapReason gap = ResumeGap(facts, channels);
    if (gap == GapReason::kUnknownId && waiter.known) {
      // The read started after the bogus id: send everything it found instead.
      result.frames.clear();
      for (const FetchedMessage& message : fetched.messages) result.frames.push_back(message.frame);
    }
    MarkGap(gap, &result);
    // A shared read started at the earliest waiter's id; for this one, what
    // the read's bound left out matters only if it is newer than its id.
    BoundReplay(replay_limits_, waiter.after, fetched.omitted, counters_, &result);
    waiter.done(std::move(result));
  }
}

void RedisBroker::Fetch(const std::vector<std::pair<std::string, uint64_t>>& asked,
                        std::function<void(FetchResult)> done) {
  // The script's bound (see fetch.lua): the replay's message count, and
  // twice its bytes because the script counts envelopes, which JSON escaping
  // can make larger than the events; the exact byte bound is applied to the
  // decoded frames (BoundReplay).
  std::vector<std::string> args = {"", "", "0",
                                   std::to_string(history_.limits().ttl_ms) + ":" +
                                       std::to_string(replay_limits_.max_messages) + ":" +
                                       std::to_string(2 * replay_limits_.max_bytes)};
  for (const auto& [topic, after] : asked) {
    args.push_back(topic);
    args.push_back(std::to_string(after));
  }
  ++counters_->redis_history_reads;
  RunScript(false, std::move(args), [done = std::move(done)](const redisReply* reply) {
    FetchResult result = ParseFetchReply(reply);
    if (!result.ok) {
      LOG_WARN("redis: history read failed: %s",
               reply == nullptr ? "no connection" : std::string(ReplyText(reply)).c_str());
    }
    done(std::move(result));
  }, true);
}

}  // namespace ssebridge
