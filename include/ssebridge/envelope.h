// Envelopes: how a named event (and its id) travels through a Redis channel.
//
// A Redis payload is an envelope when it is a JSON object with a non-empty
// string "event", optionally "data" (any JSON value), "id" (string) and
// "retry" (non-negative integer), and no other keys. Anything else is
// delivered unchanged as data. An envelope without "data" is a signal (an
// IntraMine-style "todochanged"): it is delivered with empty data, because
// browsers dispatch no event that lacks a data line.
//
// Envelopes written by ssebridge's publish script also carry
// "resumable": true; their decimal id is then an ordered, resumable id (the
// message is in the history). An application's own "id" is passed through
// to the browser but never used for ordering or replay.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ssebridge/publish_request.h"

namespace ssebridge {

// One message as subscribers see it.
struct Message {
  std::string id;     // Empty: no id line (plain Redis PUBLISH).
  std::string event;  // Empty or "message": the default type.
  std::string data;
  std::optional<uint32_t> retry_ms;
  uint64_t sequence = 0;  // The resumable id as a number; 0: not resumable.
};

// Fills *out and returns true if payload is an envelope; otherwise returns false
// and leaves *out untouched. A payload that nests deeper than kMaxJsonDepth
// (untrusted_json.h) is not parsed at all, so it is no envelope; *too_deep,
// when given, tells the caller that this was the reason.
bool DecodeEnvelope(std::string_view payload, Message* out, bool* too_deep = nullptr);

// The two halves of DecodeEnvelope, for tests and the differential fuzzer.
// The fast one only takes the common shape (string "event", "data" and "id",
// boolean "resumable", each at most once, "data" possibly absent, no "retry")
// and returns false for
// anything else, including envelopes the full one would accept; when it
// returns true the full one returns true with the same Message.
bool DecodeEnvelopeFast(std::string_view payload, Message* out);
bool DecodeEnvelopeFull(std::string_view payload, Message* out);

// The envelope for an HTTP publish, without its closing brace, so the id can be
// appended by whoever assigns it (the Lua publish script in Redis mode):
// {"event":"<name>","data":<value>   then   ,"id":"<id>"}
std::string EncodeEnvelopeHead(const PublishRequest& request);

}  // namespace ssebridge
