// Server-Sent Events wire encoding (WHATWG HTML, "event stream interpretation").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ssebridge {

struct SseEvent {
  std::string_view id;     // Omitted when empty. Must not contain CR, LF or NUL.
  std::string_view event;  // Omitted when empty or "message". Must not contain CR or LF.
  std::string_view data;   // Any bytes; split into one data: line per line.
  std::optional<uint32_t> retry_ms;
};

// Appends the event's fields and the terminating blank line. Data is split at
// CRLF, LF and CR, so a payload can never inject fields or end the event early;
// every line is written "data: " with the space, so a payload starting with a
// space survives the parser's single-space stripping. Empty data becomes one
// empty data line, so the browser still dispatches the event. Stray CR/LF in id
// or event are dropped defensively.
void AppendSseEvent(std::string* out, const SseEvent& event);

// The exact number of bytes AppendSseEvent() appends for `event`, computed
// without building them (one pass over the data, no allocation), so limits
// can be checked against the encoded size before anything is encoded. Data
// grows when encoded: every line break costs a "data: " prefix, so a body of
// line breaks becomes about 7 times its size.
size_t SseEventSize(const SseEvent& event);

// ": text\n\n" — a comment, ignored by clients; used for the stream preamble
// and heartbeats.
void AppendSseComment(std::string* out, std::string_view text);

// "retry: N\n\n"
void AppendSseRetry(std::string* out, uint32_t retry_ms);

// True if the text can be an event name or id (no CR, LF or NUL).
bool IsValidSseFieldValue(std::string_view value);

}  // namespace ssebridge
