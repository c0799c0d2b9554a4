#include "ssebridge/redis_live_relay.h"

#include <algorithm>
#include <set>

#include <hiredis/hiredis.h>

#include "ssebridge/channel.h"
#include "ssebridge/envelope.h"
#include "ssebridge/event_id.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/redis_scripts.h"
#include "ssebridge/untrusted_json.h"

namespace ssebridge {

RedisLiveRelay::RedisLiveRelay(Options options, RedisCommandSender* commands, RedisHistoryReader* reader,
                               PubsubRegistry* registry, History* history, Counters* counters, uint64_t (*now_ms)())
    : options_(options),
      commands_(commands),
      reader_(reader),
      registry_(registry),
      history_(history),
      counters_(counters),
      now_ms_(now_ms) {}

void RedisLiveRelay::OnTopicActive(const std::string& name) {
  TopicState& state = topics_[name] = TopicState();
  state.serial = ++next_topic_serial_;
}

void RedisLiveRelay::OnTopicIdle(const std::string& name) {
  topics_.erase(name);
  // A resume waiting for it no longer needs it (its stream has gone, or no
  // longer wants the topic).
  RunSubscribedReads();
}

void RedisLiveRelay::OnSubscriberLost() {
  ++subscriber_session_;
  // What Redis comes back with (another server, a clock behind) is learnt anew.
  newest_known_id_ = 0;
  for (auto& entry : topics_) entry.second.confirmed = false;
  last_frame_.reset();
  // Messages published while we are away are only in the streams.
  if (history_->enabled()) catching_up_ = true;
  // The confirmations waiting resumes expect will not come on this
  // connection: they read now, and the refill reaches back to their ids.
  std::vector<WaitingRead> waiting = std::move(waiting_);
  waiting_.clear();
  for (WaitingRead& wait : waiting) {
    RefillLater(wait.topics, wait.after);
    wait.read();
  }
}

std::optional<uint64_t> RedisLiveRelay::LocalAfter(const std::vector<std::string>& topics) const {
  if (catching_up_) return std::nullopt;
  uint64_t after = 0;
  for (const std::string& topic : topics) {
    auto it = topics_.find(topic);
    if (it == topics_.end() || !it->second.covered) return std::nullopt;
    after = std::max(after, it->second.covered_after);
  }
  return after;
}

// ------------------------------------------------- resumes of new topics

void RedisLiveRelay::WhenSubscribed(const std::vector<std::string>& topics, std::optional<uint64_t> after,
                                    std::function<void()> read) {
  WaitingRead wait{{}, after, std::move(read)};
  for (const std::string& topic : topics) {
    // A name the relay does not track (the control channel) never delivers
    // to streams: there is nothing to wait for.
    if (topics_.count(topic) != 0) wait.topics.push_back(topic);
  }
  if (Subscribed(wait)) {
    wait.read();
    return;
  }
  if (!subscriber_ready || !subscriber_ready()) {
    // No confirmation is coming until the reconnect; a resume must not wait
    // for Redis to come back (it is told "unavailable" if the read fails).
    RefillLater(wait.topics, wait.after);
    wait.read();
    return;
  }
  // The SUBSCRIBE is on its way (or queued behind an UNSUBSCRIBE of the
  // same name): a read Redis ran before it takes effect would leave a hole
  // between what the read returns and the first message delivered live.
  waiting_.push_back(std::move(wait));
}

bool RedisLiveRelay::Subscribed(const WaitingRead& wait) const {
  for (const std::string& topic : wait.topics) {
    auto it = topics_.find(topic);
    if (it != topics_.end() && !it->second.confirmed) return false;
  }
  return true;
}

void RedisLiveRelay::RunSubscribedReads() {
  if (waiting_.empty()) return;
  // Collected first: a read may start a resume that waits in turn.
  std::vector<WaitingRead> ready;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (Subscribed(*it)) {
      ready.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (WaitingRead& wait : ready) wait.read();
}

void RedisLiveRelay::RunWaitingReads() {
  std::vector<WaitingRead> waiting = std::move(waiting_);
  waiting_.clear();
  for (WaitingRead& wait : waiting) wait.read();
}

void RedisLiveRelay::RefillLater(const std::vector<std::string>& topics, std::optional<uint64_t> after) {
  if (!history_->enabled()) return;
  bool due = false;
  for (const std::string& topic : topics) {
    auto it = topics_.find(topic);
    if (it == topics_.end() || it->second.confirmed) continue;
    due = true;
    // The read answers the resume up to some point before the subscription
    // takes effect; the refill after it is confirmed must reach back far
    // enough. A topic with a position is refilled from there (an id seen or
    // read before this read ran); one without is refilled from the resume's
    // id. An unparsable id is replayed from the start with a gap, and gives
    // no position.
    TopicState& state = it->second;
    if (!state.positioned && after) {
      state.positioned = true;
      state.last_seen = *after;
    }
  }
  // Also before the first connection: the refill then runs once every topic
  // is confirmed.
  if (due) catching_up_ = true;
}

// --------------------------------------------------------------- live path

void RedisLiveRelay::OnMessage(std::string_view source, bool is_pattern, std::string_view channel,
                               std::string_view payload) {
  if (catching_up_) {
    held_.push_back(Notification{std::string(source), is_pattern, std::string(channel), std::string(payload)});
    held_bytes_ += sizeof(Notification) + source.size() + channel.size() + payload.size();
    if (held_bytes_ > options_.max_held_bytes) DropHeld();
    return;
  }
  Deliver(source, is_pattern, channel, payload);
}

void RedisLiveRelay::Deliver(std::string_view source, bool is_pattern, std::string_view channel,
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
  newest_known_id_ = std::max(newest_known_id_, last_sequence_);
  if (last_sequence_ != 0 && history_->enabled()) {
    history_->Append(std::string(channel), last_sequence_, last_frame_->get(), now_ms_());
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

bool RedisLiveRelay::RelayAllowed(std::string_view channel, const Message& message, bool too_deep) {
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

// ------------------------------------------------------------ confirmation

void RedisLiveRelay::OnConfirmed(const std::string& name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) it->second.confirmed = true;
  if (catching_up_) {
    // A clock read now would claim the outage's messages as seen; the
    // catch-up settles every topic it knows, and reads the clock for the
    // others when it is done.
    MaybeStartCatchUp();
  } else {
    ReadClock(name);
  }
  // Reads for resumes that waited for this subscription now start after it
  // took effect: what they do not return arrives live.
  RunSubscribedReads();
}

void RedisLiveRelay::ReadClock(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end() || !it->second.confirmed || it->second.covered || !history_->enabled()) return;
  // Every message with an id above the clock's current value is published
  // after this read, hence after the subscription took effect, so it will
  // reach us: from here on the local history is complete for this topic.
  // That holds only while the subscriber connection that confirmed it lasts,
  // and only for this subscription of the name: a topic that went idle and
  // came back is a new subscription with a new serial.
  const uint64_t serial = it->second.serial;
  const uint64_t session = subscriber_session_;
  commands_->Command({"GET", kClockKey}, [this, name, serial, session](const redisReply* reply) {
    auto it = topics_.find(name);
    if (it == topics_.end() || it->second.serial != serial || session != subscriber_session_) return;
    if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) return;
    // No clock yet means no id was ever issued: every id this topic will
    // see is above 0, so 0 is its position, as good as any other.
    uint64_t clock = 0;
    if (reply->type == REDIS_REPLY_STRING && !ParseEventId(ReplyText(reply), &clock)) return;
    newest_known_id_ = std::max(newest_known_id_, clock);
    TopicState& state = it->second;
    state.covered = true;
    state.covered_after = clock;
    state.positioned = true;
    state.last_seen = std::max(state.last_seen, clock);
    LOG_DEBUG("redis: '%s' is complete in memory after id %llu", name.c_str(), static_cast<unsigned long long>(clock));
  });
}

void RedisLiveRelay::ReadClockForUnsettled() {
  std::vector<std::string> unsettled;
  for (const auto& [name, state] : topics_) {
    if (state.confirmed && !state.covered) unsettled.push_back(name);
  }
  for (const std::string& name : unsettled) ReadClock(name);
}

// ---------------------------------------------------------------- catch-up

RedisLiveRelay::TopicState* RedisLiveRelay::Asked(const Refill& refill, size_t i) {
  auto it = topics_.find(refill.asked[i].first);
  return it == topics_.end() || it->second.serial != refill.serials[i] ? nullptr : &it->second;
}

void RedisLiveRelay::MaybeStartCatchUp() {
  if (!catching_up_ || catch_up_running_) return;
  if (!commands_->ready() || !subscriptions_settled || !subscriptions_settled()) return;
  // Every topic is subscribed again: whatever is published from now on
  // arrives live, so one read of the streams closes the hole.
  Refill refill;
  for (const auto& [name, state] : topics_) {
    if (!state.positioned) continue;
    refill.asked.emplace_back(name, state.last_seen);
    refill.serials.push_back(state.serial);
  }
  if (refill.asked.empty()) {
    catching_up_ = false;
    ReleaseHeld();
    // Topics without a position have nothing to refill; they get one now.
    ReadClockForUnsettled();
    return;
  }
  catch_up_running_ = true;
  LOG_INFO("redis: refilling %zu topic(s) from history after the subscriber reconnected", refill.asked.size());
  reader_->Fetch(refill.asked, [this, refill](FetchResult result) {
    catch_up_running_ = false;
    FinishCatchUp(result, refill);
  });
}

void RedisLiveRelay::FinishCatchUp(const FetchResult& result, const Refill& refill) {
  if (!result.ok) {
    LOG_ERROR("redis: could not read history after the subscriber reconnected; "
              "streams may have missed messages published during the outage");
    // The clock reads below make them covered again from now on.
    for (auto& entry : topics_) entry.second.covered = false;
  } else {
    CutOffShortTopics(result, refill);
    const uint64_t now = now_ms_();
    for (const FetchedMessage& message : result.messages) {
      const std::string& channel = result.channels[message.channel_index].channel;
      history_->Append(channel, message.id, message.frame, now);
      PubsubRegistry::LazyFrame frame([&message] { return message.frame; });
      counters_->deliveries += registry_->Publish(channel, frame);
    }
    SettleRefilled(result, refill);
    LOG_INFO("redis: refilled %zu message(s) missed during the outage", result.messages.size());
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

void RedisLiveRelay::CutOffShortTopics(const FetchResult& result, const Refill& refill) {
  const RedisHistoryReader::Asked& asked = refill.asked;
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
    if (TopicState* state = Asked(refill, i)) state->covered_after = std::max(state->covered_after, result.omitted);
  }
  if (cut_topics == 0) return;
  ++counters_->redis_catch_up_overflows;
  counters_->redis_catch_up_cutoffs += cut_streams;
  LOG_WARN("redis: the refill after a subscriber reconnect passed the replay bound (newest id left out %llu): "
           "%zu stream(s) on %zu topic(s) cut off to resume from Redis",
           static_cast<unsigned long long>(result.omitted), cut_streams, cut_topics);
}

void RedisLiveRelay::SettleRefilled(const FetchResult& result, const Refill& refill) {
  // Every asked topic was confirmed before the read, so everything after
  // the clock value read with the streams arrives live, and everything up
  // to it is now here, except what was trimmed before it could be read.
  newest_known_id_ = std::max(newest_known_id_, result.clock);
  for (size_t i = 0; i < refill.asked.size(); ++i) {
    TopicState* state = Asked(refill, i);
    if (state == nullptr) continue;
    state->last_seen = std::max(state->last_seen, result.clock);
    if (state->lost_held) {
      // Dropped held messages may be newer than this read: read the clock
      // again once the refill is over (ReadClockForUnsettled).
      state->covered = false;
    } else if (!state->covered) {
      state->covered = true;
      state->covered_after = result.clock;
    }
  }
  for (const FetchedChannel& channel : result.channels) {
    if (channel.topic_index >= refill.asked.size()) continue;
    if (TopicState* state = Asked(refill, channel.topic_index)) {
      state->covered_after = std::max(state->covered_after, channel.watermark);
    }
  }
}

void RedisLiveRelay::ReleaseHeld() {
  std::vector<Notification> held = std::move(held_);
  held_.clear();
  held_bytes_ = 0;
  for (const Notification& n : held) Deliver(n.source, n.is_pattern, n.channel, n.payload);
}

size_t RedisLiveRelay::CutOffTopic(const std::string& name, const char* why) {
  return registry_->CutOffTopic(name, IsPattern(name), why);
}

void RedisLiveRelay::DropHeld() {
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

}  // namespace ssebridge
