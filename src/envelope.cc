#include "ssebridge/envelope.h"

#include <nlohmann/json.hpp>

#include "ssebridge/event_id.h"
#include "ssebridge/json_fast_reader.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/sse.h"
#include "ssebridge/untrusted_json.h"

namespace ssebridge {
namespace {

enum class FullDecode { kDecoded, kNotEnvelope, kTooDeep };

FullDecode DecodeFull(std::string_view payload, Message* out);

}  // namespace

bool DecodeEnvelope(std::string_view payload, Message* out, bool* too_deep) {
  if (too_deep) *too_deep = false;
  // Cheap rejection first: most payloads are not envelopes and must not pay
  // for a full JSON parse.
  size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || payload[first] != '{') return false;
  if (payload.find("\"event\"") == std::string_view::npos) return false;
  // Envelopes written by the publish script take the fast path.
  if (DecodeEnvelopeFast(payload, out)) return true;
  FullDecode result = DecodeFull(payload, out);
  if (too_deep) *too_deep = result == FullDecode::kTooDeep;
  return result == FullDecode::kDecoded;
}

bool DecodeEnvelopeFast(std::string_view payload, Message* out) {
  JsonFastReader reader(payload);
  bool seen_event = false, seen_data = false, seen_id = false, seen_resumable = false;
  bool resumable = false;
  Message message;
  bool read = reader.Object([&](const std::string& key) {
    // A repeated key means "last one wins" in the full parser: leave it to it.
    if (key == "event") {
      if (seen_event || !reader.String(&message.event)) return false;
      seen_event = true;
    } else if (key == "data") {
      // Only string data: other values need the full parser's compact dump.
      if (seen_data || !reader.String(&message.data)) return false;
      seen_data = true;
    } else if (key == "id") {
      if (seen_id || !reader.String(&message.id)) return false;
      seen_id = true;
    } else if (key == "resumable") {
      if (seen_resumable || !reader.Boolean(&resumable)) return false;
      seen_resumable = true;
    } else {
      return false;  // "retry" or a key that makes it no envelope: the full parser decides.
    }
    return true;
  });
  if (!read || !reader.AtEnd()) return false;
  // Without "data" the envelope is a bare signal: delivered with empty data.
  if (!seen_event) return false;
  if (message.event.empty() || !IsValidSseFieldValue(message.event)) return false;
  if (seen_id && !IsValidSseFieldValue(message.id)) return false;
  if (resumable && !ParseEventId(message.id, &message.sequence)) message.sequence = 0;
  *out = std::move(message);
  return true;
}

bool DecodeEnvelopeFull(std::string_view payload, Message* out) {
  return DecodeFull(payload, out) == FullDecode::kDecoded;
}

namespace {

FullDecode DecodeFull(std::string_view payload, Message* out) {
  // Any Redis client can publish, so the payload is untrusted: too deep is
  // refused before the parser runs, since data->dump() below recurses.
  nlohmann::ordered_json document;
  JsonParseStatus parsed = ParseUntrustedJson(payload, &document);
  if (parsed == JsonParseStatus::kTooDeep) return FullDecode::kTooDeep;
  if (parsed != JsonParseStatus::kOk || !document.is_object()) return FullDecode::kNotEnvelope;
  auto event = document.find("event");
  auto data = document.find("data");
  // "data" may be left out: {"event":"todochanged"} is a signal without a
  // payload (IntraMine's broadcasts), sent with an empty data line.
  if (event == document.end() || !event->is_string()) return FullDecode::kNotEnvelope;
  Message message;
  message.event = event->get<std::string>();
  if (message.event.empty() || !IsValidSseFieldValue(message.event)) return FullDecode::kNotEnvelope;
  size_t known_keys = data == document.end() ? 1 : 2;
  if (auto id = document.find("id"); id != document.end()) {
    if (id->is_string()) {
      message.id = id->get<std::string>();
    } else if (id->is_number_unsigned()) {
      message.id = id->dump();
    } else {
      return FullDecode::kNotEnvelope;
    }
    if (!IsValidSseFieldValue(message.id)) return FullDecode::kNotEnvelope;
    ++known_keys;
  }
  bool resumable = false;
  if (auto marker = document.find("resumable"); marker != document.end()) {
    if (!marker->is_boolean()) return FullDecode::kNotEnvelope;
    resumable = marker->get<bool>();
    ++known_keys;
  }
  if (auto retry = document.find("retry"); retry != document.end()) {
    if (!retry->is_number_unsigned() || retry->get<uint64_t>() > 0xFFFFFFFFu) return FullDecode::kNotEnvelope;
    message.retry_ms = static_cast<uint32_t>(retry->get<uint64_t>());
    ++known_keys;
  }
  if (document.size() != known_keys) return FullDecode::kNotEnvelope;
  if (data == document.end()) {
    message.data.clear();
  } else if (data->is_string()) {
    message.data = data->get<std::string>();
  } else {
    message.data = data->dump();
  }
  if (resumable && !ParseEventId(message.id, &message.sequence)) message.sequence = 0;
  *out = std::move(message);
  return FullDecode::kDecoded;
}

}  // namespace

std::string EncodeEnvelopeHead(const PublishRequest& request) {
  std::string head = "{\"event\":";
  head += JsonQuote(request.event.empty() ? "message" : request.event);
  head += ",\"data\":";
  head += request.data_is_json ? request.data : JsonQuote(request.data);
  return head;
}

}  // namespace ssebridge
