#include "ssebridge/event_stream.h"

#include <algorithm>

#include "ssebridge/client_registry.h"
#include "ssebridge/config.h"
#include "ssebridge/event_id.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/sse.h"

namespace ssebridge {

EventStream::~EventStream() { Stop(); }

std::string EventStream::DescribeTopics(size_t max_names) const {
  if (subscriber_ == nullptr) return "no channels";
  const std::vector<PubsubRegistry::Link>& links = subscriber_->links;
  if (links.size() == 1 && links[0].topic->is_pattern && links[0].topic->name == "*") return "all channels";
  std::string text;
  for (size_t i = 0; i < links.size() && i < max_names; ++i) {
    if (i != 0) text += ", ";
    text += '"' + links[i].topic->name + '"';
  }
  if (links.size() > max_names) text += " and " + std::to_string(links.size() - max_names) + " more";
  return text;
}

std::string EventStream::ChannelNames(size_t max_names) const {
  if (subscriber_ == nullptr) return "";
  const std::vector<PubsubRegistry::Link>& links = subscriber_->links;
  std::string text;
  for (size_t i = 0; i < links.size() && i < max_names; ++i) {
    if (i != 0) text += ',';
    text += links[i].topic->name;
  }
  if (links.size() > max_names) text += ",...";
  return text;
}

void EventStream::Start(const SubscribeRequest& request, bool chunked, Finder finder, bool poll) {
  chunked_ = chunked;
  ++context_->counters->streams_opened;
  std::string preamble;
  AppendSseRetry(&preamble, context_->config->retry_ms);
  if (poll) {
    flags_ |= kPolling;
  } else {
    AppendSseComment(&preamble, "ssebridge " SSEBRIDGE_VERSION);
  }
  // A registered stream learns its id first: a named event without an id,
  // so it never moves the browser's Last-Event-ID.
  if (!request.client_id.empty() && !poll) AppendSseEvent(&preamble, SseEvent{"", "registered", request.client_id, std::nullopt});
  queue_->PushUnbounded(Frame::FromPayload(preamble), chunked_);

  // Subscribe first, then replay: live messages that arrive meanwhile are
  // held and sent after the replay, de-duplicated by id.
  subscriber_ = context_->registry->Subscribe(this, request.channels);
  // After subscribing: an older stream with the same id ends here, and its
  // private channel must not go idle (and lose messages) in between.
  if (!request.client_id.empty() && !poll && context_->clients != nullptr) {
    registered_ = true;
    // The same id again: the newer stream wins, the older one ends.
    if (EventStream* previous = context_->clients->Register(request.client_id, this)) {
      previous->registered_ = false;
      previous->EndByRequest("replaced by a newer stream with the same client id");
    }
  }
  if (!poll) context_->scheduler->TrackStream(entry_);
  // A long poll is answered within --poll-timeout and every poll presents
  // its token again, so only streams are ended when their token expires.
  if (!poll && request.credential_ttl_ms && context_->expiries != nullptr) {
    expiry_ = context_->expiries->Add(context_->scheduler->now_ms() + *request.credential_ttl_ms, this);
    expiry_tracked_ = true;
  }
  if (request.last_event_id) {
    flags_ |= kReplaying;
    ParseEventId(*request.last_event_id, &last_sent_id_);
    std::string last_event_id = *request.last_event_id;
    context_->broker->Replay(request.channels, last_event_id,
                             [finder = std::move(finder), last_event_id](ReplayResult result) {
                               if (EventStream* self = finder()) self->FinishReplay(std::move(result), last_event_id);
                             });
  }
}

void EventStream::FinishReplay(ReplayResult result, const std::string& last_event_id) {
  if ((flags_ & kEnded) != 0 || (flags_ & kReplaying) == 0) return;
  flags_ &= static_cast<uint8_t>(~kReplaying);
  // An id we never issued (say, larger than any) must not suppress what follows.
  if (result.from_start) last_sent_id_ = 0;
  if (result.gap) {
    LOG_INFO("stream %s resumed from '%s' with a gap (%s)", host_->Peer().c_str(), last_event_id.c_str(),
             result.gap_reason.c_str());
    queue_->PushUnbounded(EncodeGapFrame(last_event_id, result.oldest_id, result.gap_reason), chunked_);
  }
  // The replay is sent whole (the client asked for it); the slow-consumer cap
  // applies to live traffic on top of it.
  size_t replayed_bytes = 0;
  for (const FrameRef& frame : result.frames) {
    if (!IsNewMessage(frame)) continue;
    queue_->PushUnbounded(frame, chunked_);
    replayed_bytes += frame->view(chunked_).size();
    ++context_->counters->replayed_messages;
    ++events_;
  }
  queue_->set_limit_bytes(queue_->limit_bytes() + replayed_bytes);
  std::vector<FrameRef> held = std::move(held_frames_);
  held_frames_.clear();
  held_bytes_ = 0;
  for (const FrameRef& frame : held) {
    if (!QueueLive(frame)) break;
  }
  ScheduleFlush();
}

void EventStream::Carry(const std::vector<FrameRef>& frames) {
  if ((flags_ & (kEnded | kCutOff)) != 0 || frames.empty()) return;
  if ((flags_ & kReplaying) != 0) {
    // Older than anything held so far: they go first, after the replay.
    held_frames_.insert(held_frames_.begin(), frames.begin(), frames.end());
    return;
  }
  // Already bounded by the hold; like a replay, exempt from the live limit.
  size_t carried_bytes = 0;
  for (const FrameRef& frame : frames) {
    if (!IsNewMessage(frame)) continue;
    queue_->PushUnbounded(frame, chunked_);
    carried_bytes += frame->view(chunked_).size();
    ++events_;
  }
  queue_->set_limit_bytes(queue_->limit_bytes() + carried_bytes);
  ScheduleFlush();
}

// The fan-out hot path: one test of the flags, the de-duplication, one Push.
void EventStream::SendFrame(const FrameRef& frame) {
  if (flags_ != 0) {
    SendFrameSlow(frame);
    return;
  }
  if (frame->id() != 0) {
    if (frame->id() <= last_sent_id_) return;
    last_sent_id_ = frame->id();
  }
  if (queue_->Push(frame, chunked_) == WriteQueue::PushResult::kOverLimit) {
    CutOffSlowConsumer("bytes queued", queue_->bytes());
    return;
  }
  ++events_;
  // Only the first frame in an empty queue asks for a flush: a queue that
  // held bytes already has one coming (scheduled, or a write in flight whose
  // completion schedules the next).
  if (queue_->frame_count() == 1) context_->scheduler->ScheduleDelayedFlush(entry_);
}

void EventStream::SendFrameSlow(const FrameRef& frame) {
  if ((flags_ & (kEnded | kCutOff)) != 0) return;
  if ((flags_ & kReplaying) == 0) {
    // Polling.
    if (QueueLive(frame)) ScheduleFlush();
    return;
  }
  held_bytes_ += frame->view(chunked_).size();
  held_frames_.push_back(frame);
  if (held_bytes_ > queue_->limit_bytes()) CutOffSlowConsumer("live messages held during its replay", held_bytes_);
}

// True for a frame this stream has not sent yet; advances the stream's
// position. Frames without a resumable id are always new.
bool EventStream::IsNewMessage(const FrameRef& frame) {
  if (frame->id() == 0) return true;
  if (frame->id() <= last_sent_id_) return false;
  last_sent_id_ = frame->id();
  return true;
}

// Queues one live frame unless it is a duplicate. Returns false once the
// stream is over its limit (and marked for closing).
bool EventStream::QueueLive(const FrameRef& frame) {
  if (!IsNewMessage(frame)) return true;
  if (queue_->Push(frame, chunked_) == WriteQueue::PushResult::kOverLimit) {
    CutOffSlowConsumer("bytes queued", queue_->bytes());
    return false;
  }
  ++events_;
  return true;
}

void EventStream::CutOff(const char* why) {
  if ((flags_ & (kEnded | kCutOff)) != 0) return;
  flags_ |= kCutOff;
  ++context_->counters->slow_consumer_disconnects;
  LOG_DEBUG("stream %s cut off: %s", host_->Peer().c_str(), why);
  ScheduleFlush();
}

// Never closes inside the fan-out loop: marks the stream, which the next flush closes.
void EventStream::CutOffSlowConsumer(const char* what, size_t bytes) {
  flags_ |= kCutOff;
  ++context_->counters->slow_consumer_disconnects;
  LOG_WARN("stream %s cut off as a slow consumer: %zu %s, limit %zu", host_->Peer().c_str(), bytes, what,
           queue_->limit_bytes());
  ScheduleFlush();
}

void EventStream::SendHeartbeat() {
  // Counts as a write even if the socket is busy: a client that is behind
  // already has bytes coming, and stacking heartbeats on it would only grow
  // its queue.
  context_->scheduler->TrackStream(entry_);
  if (!queue_->empty()) return;
  static const FrameRef kHeartbeat = Frame::FromPayload(":\n\n");
  queue_->PushUnbounded(kHeartbeat, chunked_);
  ScheduleFlush();
}

void EventStream::EndWithRetry(uint32_t retry_ms) {
  if ((flags_ & kEnded) != 0) return;
  QueueRetry(retry_ms);
  End();
}

void EventStream::QueueRetry(uint32_t retry_ms) {
  std::string retry;
  AppendSseRetry(&retry, retry_ms);
  queue_->PushUnbounded(Frame::FromPayload(retry), chunked_);
}

void EventStream::LeaveClientRegistry() {
  if (!registered_) return;
  context_->clients->Remove(this);
  registered_ = false;
}

void EventStream::End() {
  if ((flags_ & kEnded) != 0) return;
  flags_ |= kEnded;
  if (chunked_) queue_->PushUnbounded(Frame::FromPayload("0\r\n\r\n"), false);
  ScheduleFlush();
}

size_t EventStream::AddTopics(const std::vector<std::string>& names) {
  if ((flags_ & kEnded) != 0 || subscriber_ == nullptr) return 0;
  return context_->registry->AddTopics(subscriber_, names);
}

bool EventStream::RemoveTopic(std::string_view name) {
  if ((flags_ & kEnded) != 0 || subscriber_ == nullptr) return false;
  return context_->registry->RemoveTopic(subscriber_, name);
}

bool EventStream::HoldsTopic(std::string_view name) const {
  if (subscriber_ == nullptr) return false;
  for (const PubsubRegistry::Link& link : subscriber_->links) {
    if (link.topic->name == name) return true;
  }
  return false;
}

void EventStream::EndByRequest(const char* why, const char* reason) {
  LeaveClientRegistry();
  if ((flags_ & kEnded) != 0) return;
  LOG_INFO("stream %s ended: %s", host_->Peer().c_str(), why);
  EndAndRelease(reason);
}

void EventStream::EndByAge() {
  // A stream cut off is closed at its next flush anyway, without a retry.
  if ((flags_ & (kEnded | kCutOff)) != 0) return;
  ++context_->counters->streams_aged;
  LOG_DEBUG("stream %s ended: reached --max-stream-age", host_->Peer().c_str());
  LeaveClientRegistry();
  // Never longer than what the operator configured with --retry.
  QueueRetry(std::min(kAgedRetryMs, context_->config->retry_ms));
  EndAndRelease(stream_end::kMaxAge);
}

// Queues the end, gives up the channels and has the connection closed once
// the queue is written. Frames queued before stay: they leave first.
void EventStream::EndAndRelease(const char* reason) {
  // Told before the channels go, so that its access-log line can name them.
  host_->StreamEnding(reason);
  End();
  // It takes no more frames: its channels go now, not when its client closes.
  if (subscriber_ != nullptr) {
    context_->registry->Unsubscribe(subscriber_);
    subscriber_ = nullptr;
  }
  host_->CloseAfterStreamEnd();
}

void EventStream::EndTokenExpired() {
  expiry_tracked_ = false;  // The sweep took the entry out.
  if ((flags_ & kEnded) != 0) return;
  ++context_->counters->streams_token_expired;
  // A named event without an id, so it never moves the client's Last-Event-ID.
  static const FrameRef kTokenExpired = Frame::FromPayload(
      "event: token-expired\ndata: {\"error\":\"the token has expired; reconnect with a fresh one\"}\n\n");
  queue_->PushUnbounded(kTokenExpired, chunked_);
  EndByRequest("its token expired", stream_end::kTokenExpired);
}

void EventStream::Stop() {
  if (expiry_tracked_) {
    context_->expiries->Remove(expiry_);
    expiry_tracked_ = false;
  }
  LeaveClientRegistry();
  flags_ |= kEnded;
  if (subscriber_ != nullptr) {
    context_->registry->Unsubscribe(subscriber_);
    subscriber_ = nullptr;
  }
}

}  // namespace ssebridge
