#include "ssebridge/message_frame.h"

#include "ssebridge/envelope.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/sse.h"

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

FrameRef EncodeGapFrame(const std::string& last_event_id, uint64_t oldest_id, const std::string& reason) {
  std::string data = "{\"lastEventId\":" + JsonQuote(last_event_id) + ",\"oldestId\":" +
                     (oldest_id ? "\"" + std::to_string(oldest_id) + "\"" : std::string("null")) +
                     ",\"reason\":" + JsonQuote(reason) + "}";
  return EncodeGapEventFrame(data);
}

FrameRef EncodeGapEventFrame(const std::string& json) {
  // SseEvent holds views: `json` outlives the append.
  std::string buffer = Frame::StartBuffer();
  SseEvent event;
  event.event = "gap";
  event.data = json;
  AppendSseEvent(&buffer, event);
  return Frame::Seal(std::move(buffer));
}

}  // namespace ssebridge
