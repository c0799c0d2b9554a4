// libFuzzer target: Redis payloads and publish bodies through envelope
// decoding and SSE encoding. Property: whatever the input, the encoded event
// parses back (WHATWG rules) to exactly one event whose data equals the
// payload with line endings normalised, and no field is injected.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ssebridge/channel.h"
#include "ssebridge/envelope.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/publish_request.h"

namespace {

std::string Normalise(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Minimal WHATWG event-stream parse of one event: returns the data and counts
// dispatches and id/event fields.
struct Parsed {
  std::string data;
  std::string event;
  std::string id;
  int dispatches = 0;
};

Parsed ParseStream(std::string_view text) {
  Parsed parsed;
  std::string data;
  bool has_data = false;
  size_t position = 0;
  while (position < text.size()) {
    size_t end = text.find('\n', position);  // The encoder only emits LF.
    if (end == std::string_view::npos) abort();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    if (line.empty()) {
      if (has_data) {
        if (!data.empty() && data.back() == '\n') data.pop_back();
        parsed.data = data;
        ++parsed.dispatches;
      }
      data.clear();
      has_data = false;
      continue;
    }
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (field == "data") {
      data.append(value).push_back('\n');
      has_data = true;
    } else if (field == "event") {
      parsed.event = std::string(value);
    } else if (field == "id") {
      parsed.id = std::string(value);
    }
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ssebridge::Message message;
  if (!ssebridge::DecodeEnvelope(input, &message)) message.data = std::string(input);

  ssebridge::FrameRef frame = ssebridge::EncodeMessageFrame(message);
  Parsed parsed = ParseStream(frame->raw());
  if (parsed.dispatches != 1) abort();
  if (parsed.data != Normalise(message.data)) abort();
  if (parsed.id != message.id) abort();
  if (!message.event.empty() && message.event != "message" && parsed.event != message.event) abort();

  // The chunked view must be "<hex>\r\n" + raw + "\r\n".
  std::string_view chunked = frame->chunked();
  if (chunked.size() < frame->raw().size() + 5) abort();
  if (chunked.substr(chunked.size() - 2) != "\r\n") abort();

  ssebridge::PublishRequest publish;
  ssebridge::ParsePublishRequest("application/json", input, 100, &publish);
  // Differential check: whenever the fast JSON path accepts a body, the full
  // parser must accept it too and produce the same request.
  ssebridge::PublishRequest fast;
  if (ssebridge::ParsePublishJsonFast(input, 100, &fast)) {
    ssebridge::PublishRequest full;
    if (!ssebridge::ParsePublishJsonFull(input, 100, &full).error.empty()) abort();
    if (fast.channels != full.channels || fast.event != full.event || fast.data != full.data ||
        fast.data_is_json != full.data_is_json) {
      abort();
    }
  }
  // Differential check for envelopes: whenever the fast decoder takes a
  // payload, the full one must take it too and decode the same message.
  ssebridge::Message fast_message;
  if (ssebridge::DecodeEnvelopeFast(input, &fast_message)) {
    ssebridge::Message full_message;
    if (!ssebridge::DecodeEnvelopeFull(input, &full_message)) abort();
    if (fast_message.event != full_message.event || fast_message.data != full_message.data ||
        fast_message.id != full_message.id || fast_message.retry_ms != full_message.retry_ms ||
        fast_message.sequence != full_message.sequence) {
      abort();
    }
  }
  ssebridge::PublishRequest form;
  ssebridge::ParsePublishRequest("application/x-www-form-urlencoded", input, 100, &form);
  ssebridge::GlobMatch(input.substr(0, size / 2), input.substr(size / 2));
  return 0;
}
