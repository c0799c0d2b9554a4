#include "ssebridge/broker.h"

#include <algorithm>

#include "ssebridge/sse.h"
#include "ssebridge/uri.h"

namespace ssebridge {

namespace {

// The wire fields of a message (views into it: nothing is copied).
SseEvent EventOf(const Message& message) {
  SseEvent event;
  event.id = message.id;
  event.event = message.event;
  event.data = message.data;
  event.retry_ms = message.retry_ms;
  return event;
}

}  // namespace

FrameRef EncodeMessageFrame(const Message& message) { return EncodeEventFrame(EventOf(message), message.sequence); }

size_t MessageFrameSize(const Message& message) { return Frame::ChunkedSize(SseEventSize(EventOf(message))); }

size_t MaxPublishedFrameSize(const PublishRequest& request) {
  // The longest decimal uint64_t, standing in for the id assigned later.
  static constexpr std::string_view kLongestId = "18446744073709551615";
  SseEvent event;
  event.id = kLongestId;
  event.event = request.event;
  event.data = request.data;
  return Frame::ChunkedSize(SseEventSize(event));
}

FrameRef EncodeEventFrame(const SseEvent& event, uint64_t sequence) {
  std::string buffer = Frame::StartBuffer();
  AppendSseEvent(&buffer, event);
  return Frame::Seal(std::move(buffer), sequence);
}

bool AnswerIfHistoryDisabled(const History& history, Counters* counters, CompletionQueue* completions,
                             ReplayCallback& done) {
  ++counters->replays;
  if (history.enabled()) return false;
  ReplayResult result;
  result.gap = true;
  result.gap_reason = "history-disabled";
  ++counters->replay_gaps;
  completions->Post([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  return true;
}

void AddCollected(const History::Collected& collected, ReplayResult* result) {
  for (const History::Entry* entry : collected.entries) result->frames.push_back(entry->frame);
  result->oldest_id = collected.oldest_id;
}

uint64_t KeepNewestFrames(const ReplayLimits& limits, std::vector<FrameRef>* frames) {
  size_t kept = 0;
  size_t bytes = 0;
  // Newest first: a stream resuming after a long absence wants the present.
  while (kept < frames->size()) {
    const size_t size = (*frames)[frames->size() - 1 - kept]->chunked().size();
    if (kept + 1 > limits.max_messages || bytes + size > limits.max_bytes) break;
    bytes += size;
    ++kept;
  }
  if (kept == frames->size()) return 0;
  const size_t drop = frames->size() - kept;
  const uint64_t newest_dropped = (*frames)[drop - 1]->id();
  frames->erase(frames->begin(), frames->begin() + static_cast<std::ptrdiff_t>(drop));
  return newest_dropped;
}

void BoundReplay(const ReplayLimits& limits, uint64_t after, uint64_t omitted, Counters* counters,
                 ReplayResult* result) {
  omitted = std::max(omitted, KeepNewestFrames(limits, &result->frames));
  // For an unknown id everything retained was asked for.
  const bool truncated = omitted != 0 && (result->from_start || omitted > after);
  if (truncated) {
    ++counters->replays_truncated;
    if (!result->gap) {
      result->gap = true;
      result->gap_reason = "too-many";
    }
  }
  if (result->gap) ++counters->replay_gaps;
}

FrameRef EncodeGapFrame(const std::string& last_event_id, uint64_t oldest_id, const std::string& reason) {
  std::string data = "{\"lastEventId\":" + JsonQuote(last_event_id) + ",\"oldestId\":" +
                     (oldest_id ? "\"" + std::to_string(oldest_id) + "\"" : std::string("null")) +
                     ",\"reason\":" + JsonQuote(reason) + "}";
  std::string buffer = Frame::StartBuffer();
  SseEvent event;
  event.event = "gap";
  event.data = data;
  AppendSseEvent(&buffer, event);
  return Frame::Seal(std::move(buffer));
}

}  // namespace ssebridge
