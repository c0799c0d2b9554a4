// Parses the body of POST /publish: JSON or form-encoded (cyclone-sse style).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {

struct PublishRequest {
  std::vector<std::string> channels;  // Validated, deduplicated, never patterns.
  std::string event;                  // Empty: the default type "message".
  // The text subscribers receive. Empty for a signal: a named event
  // published without data (sent with one empty data line).
  std::string data;
  // True when `data` is the compact serialization of a non-string JSON value
  // (so it can be embedded verbatim in an envelope); false for plain text.
  bool data_is_json = false;
};

struct PublishParseResult {
  int status = 200;     // 400 or 415 on error.
  std::string error;    // Empty on success.
};

// At most `max_channels` distinct channels are accepted (more is a 400).
// JSON nesting deeper than kMaxJsonDepth (untrusted_json.h) is a 400 too,
// found before the JSON parser runs.
PublishParseResult ParsePublishRequest(std::string_view content_type, std::string_view body, size_t max_channels,
                                       PublishRequest* out);

// Shared with the other ways to publish (GET query, control lines), so every
// way says the same about the same input. Each returns "" or a 400 reason.
class UniqueChannels;
// Validates a channel to publish to (no pattern) and adds it once.
std::string AddPublishChannel(const std::string& name, UniqueChannels* channels, size_t max_channels);
// An event name: not empty, no CR, LF or NUL.
std::string ValidateEventName(const std::string& event);

// The two JSON paths behind ParsePublishRequest, exposed for differential
// tests. The fast path handles the common shape — an object whose keys are
// among channel/channels/event/data and whose data is a string — without
// building a JSON document; it returns false (leaving *out unspecified) for
// anything else, including every malformed body, which the full path then
// parses and reports. When it returns true, the full path would have produced
// the same request.
bool ParsePublishJsonFast(std::string_view body, size_t max_channels, PublishRequest* out);
PublishParseResult ParsePublishJsonFull(std::string_view body, size_t max_channels, PublishRequest* out);

}  // namespace ssebridge
