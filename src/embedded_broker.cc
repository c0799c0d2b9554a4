#include "ssebridge/embedded_broker.h"

#include "ssebridge/event_id.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/sse.h"
#include "ssebridge/user_channel.h"

namespace ssebridge {

EmbeddedBroker::EmbeddedBroker(CompletionQueue* completions, PubsubRegistry* registry, Counters* counters,
                               History::Limits history_limits, MicrosClock clock, uint64_t (*now_ms)(),
                               UserQueue::Limits user_queue_limits)
    : Broker(completions),
      registry_(registry), counters_(counters), history_(history_limits), clock_(clock), now_ms_(now_ms),
      user_queue_(user_queue_limits) {
  // Nothing before this process started is known: an older resume id is a gap.
  // Ids never go below that start, even if the wall clock steps back later.
  const uint64_t start = clock_();
  history_.set_recording_since(start);
  last_id_ = start - 1;
}

uint64_t EmbeddedBroker::NextId() {
  uint64_t now = clock_();
  last_id_ = now > last_id_ ? now : last_id_ + 1;
  return last_id_;
}

void EmbeddedBroker::Publish(const PublishRequest& request, PublishCallback done) {
  const uint64_t sequence = NextId();
  std::string id = std::to_string(sequence);
  // One frame for all channels of this publish: a stream subscribed to several
  // of them receives it once, and history stores it once per channel. It is
  // encoded straight from the request, without copying the data.
  SseEvent event;
  event.id = id;
  event.event = request.event;
  event.data = request.data;
  // Two words of capture fit std::function's inline storage: no allocation.
  PubsubRegistry::LazyFrame frame([&event, sequence] { return EncodeEventFrame(event, sequence); });
  const uint64_t now_ms = now_ms_();
  for (const std::string& channel : request.channels) {
    // Decided before the fan-out, from the exact subscription alone: a
    // stream watching user:* with a grant is not the user coming back.
    if (IsUserChannel(channel) && user_queue_.enabled() && !registry_->HasExactTopic(channel)) {
      QueueForUser(channel, frame, now_ms);
    }
    counters_->deliveries += registry_->Publish(channel, frame);
    ++counters_->messages_published;
    if (history_.enabled()) history_.Append(channel, sequence, frame.get(), now_ms);
  }
  ++counters_->messages_received;
  completions_->Post([done = std::move(done), id = std::move(id)] { done(PublishOutcome{200, id, ""}); });
}

EmbeddedBroker::~EmbeddedBroker() { *alive_ = false; }

void EmbeddedBroker::Maintain(uint64_t now_ms) {
  history_.ExpireOld(now_ms);
  counters_->user_messages_dropped += user_queue_.Expire(now_ms);
}

void EmbeddedBroker::QueueForUser(const std::string& channel, PubsubRegistry::LazyFrame& frame, uint64_t now_ms) {
  ++counters_->user_messages_queued;
  counters_->user_messages_dropped += user_queue_.Add(channel, frame.get(), now_ms);
}

void EmbeddedBroker::OnTopicActive(const std::string& name, bool is_pattern) {
  if (is_pattern || !user_queue_.Holds(name)) return;
  // The registry calls this before it attaches the stream: deliver later.
  completions_->Post([this, alive = alive_, name] {
    if (*alive) DrainUserQueue(name);
  });
}

void EmbeddedBroker::DrainUserQueue(const std::string& channel) {
  // The stream may have gone again meanwhile: then the queue stays.
  if (!registry_->HasExactTopic(channel)) return;
  size_t expired = 0;
  UserQueue::Drained drained = user_queue_.Take(channel, now_ms_(), &expired);
  counters_->user_messages_dropped += expired;
  // Only to the exact subscribers of the user's channel: a user:* pattern
  // subscriber got these messages when they were published.
  if (drained.dropped > 0) {
    FrameRef gap = EncodeUserQueueGapFrame(drained.dropped);
    PubsubRegistry::LazyFrame frame([&gap] { return gap; });
    registry_->DeliverNotification(channel, false, channel, frame);
  }
  for (const FrameRef& queued : drained.frames) {
    PubsubRegistry::LazyFrame frame([&queued] { return queued; });
    const size_t reached = registry_->DeliverNotification(channel, false, channel, frame);
    counters_->deliveries += reached;
    if (reached > 0) ++counters_->user_messages_delivered;
  }
}

void EmbeddedBroker::Replay(const std::vector<std::string>& topics, const std::string& after_text,
                            ReplayCallback done) {
  if (AnswerIfHistoryDisabled(history_.enabled(), counters_, completions_, done)) return;
  uint64_t after = 0;
  ResumeFacts facts;
  // Ids are issued from this process's start on: an older one (or one not
  // issued yet) is unknown, and the replay starts from the oldest retained.
  facts.id_known =
      ParseEventId(after_text, &after) && after <= last_id_ && after + 1 >= history_.recording_since();
  if (facts.id_known) facts.after = after;
  History::Collected collected = history_.Collect(topics, facts.after, replay_limits_.max_messages);
  ReplayResult result;
  AddCollected(collected, &result);
  MarkGap(ResumeGap(facts, {StoredChannel{collected.watermark, false}}), &result);
  BoundReplay(replay_limits_, facts.after, collected.omitted, counters_, &result);
  ++counters_->replays_from_memory;
  PostReplay(completions_, std::move(done), std::move(result));
}

}  // namespace ssebridge
