#include "ssebridge/embedded_broker.h"

#include "ssebridge/event_id.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/sse.h"

namespace ssebridge {

EmbeddedBroker::EmbeddedBroker(CompletionQueue* completions, PubsubRegistry* registry, Counters* counters,
                               History::Limits history_limits, MicrosClock clock, uint64_t (*now_ms)())
    : Broker(completions),
      registry_(registry), counters_(counters), history_(history_limits), clock_(clock), now_ms_(now_ms) {
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
    counters_->deliveries += registry_->Publish(channel, frame);
    ++counters_->messages_published;
    if (history_.enabled()) history_.Append(channel, sequence, frame.get(), now_ms);
  }
  ++counters_->messages_received;
  completions_->Post([done = std::move(done), id = std::move(id)] { done(PublishOutcome{200, id, ""}); });
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
