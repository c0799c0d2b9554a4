#include "ssebridge/long_poll.h"

namespace ssebridge {

std::optional<std::string> PollResumePoint(const SubscribeRequest& subscribe, PollHolds::State hold) {
  if (subscribe.last_event_id) return subscribe.last_event_id;
  if (hold == PollHolds::State::kComplete || !subscribe.poll || !subscribe.poll->cursor) return std::nullopt;
  if (subscribe.poll->cursor->last_id == 0) return std::nullopt;
  return std::to_string(subscribe.poll->cursor->last_id);
}

const char* PollOutcome(const LongPoll& poll, size_t queued_bytes, bool shutting_down) {
  const size_t heartbeat = poll.timed_out ? kPollTimeoutHeartbeat.size() : 0;
  if (queued_bytes > poll.preamble_bytes + heartbeat) return "events";
  return shutting_down ? "shutdown" : "timeout";
}

uint64_t NextPollLastId(const LongPoll& poll, uint64_t stream_last_sent_id) {
  if (stream_last_sent_id != 0 || poll.resumed) return stream_last_sent_id;
  return poll.cursor ? poll.cursor->last_id : 0;
}

std::string DrainQueue(WriteQueue* queue) {
  std::string body;
  body.reserve(queue->bytes());
  // Bounded: each round takes up to 64 frames off the queue.
  while (!queue->empty()) {
    uv_buf_t buffers[64];
    size_t total = 0;
    const size_t count = queue->Fill(buffers, 64, &total);
    for (size_t i = 0; i < count; ++i) body.append(buffers[i].base, buffers[i].len);
    queue->Consume(total);
  }
  return body;
}

std::string FinishPoll(const LongPoll& poll, EventStream* stream, WriteQueue* queue, PollHolds* holds,
                       const Config& config, uint64_t now_ms, bool open_hold) {
  PollCursor next;
  next.last_id = NextPollLastId(poll, stream->last_sent_id());
  if (holds != nullptr && config.poll_hold_seconds > 0 && open_hold) next.token = holds->Open(poll.channels, now_ms);
  stream->Stop();
  const std::string body = DrainQueue(queue);
  const uint32_t cookie_age = config.poll_hold_seconds > 60 ? config.poll_hold_seconds : 60;
  return BuildPollAnswer(poll, body, next, config.base_path, cookie_age);
}

std::string BuildPollAnswer(const LongPoll& poll, std::string_view body, const PollCursor& next,
                            std::string_view cookie_path, uint32_t cookie_max_age_seconds) {
  HeaderList headers = poll.headers;
  const std::string cursor = FormatPollCursor(next);
  headers.emplace_back("X-SSE-Poll-Cursor", cursor);
  // A page on an allowed origin may read the cursor (the cookie does not
  // cross origins without credentials). The CORS policy already exposes
  // WWW-Authenticate; the cursor joins that list rather than a second header,
  // which some proxies would fold or drop.
  bool exposed = false;
  for (auto& [name, value] : headers) {
    if (name == "Access-Control-Expose-Headers") {
      value += ", X-SSE-Poll-Cursor";
      exposed = true;
      break;
    }
  }
  if (!exposed) {
    for (const auto& [name, value] : poll.headers) {
      if (name == "Access-Control-Allow-Origin") {
        headers.emplace_back("Access-Control-Expose-Headers", "X-SSE-Poll-Cursor");
        break;
      }
    }
  }
  headers.emplace_back("Set-Cookie", PollCookie(poll.channels, next, cookie_path, cookie_max_age_seconds));
  headers.emplace_back("X-Accel-Buffering", "no");
  return BuildResponse(200, "text/event-stream; charset=utf-8", body, headers, poll.http_minor, false, false);
}

}  // namespace ssebridge
