#include "ssebridge/sse.h"

#include <algorithm>
#include <cstring>

namespace ssebridge {
namespace {

bool IsLineBreakOrNul(char c) { return c == '\r' || c == '\n' || c == '\0'; }

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ", 2);
  // Ids and event names are validated before they get here; the defensive
  // filtering costs a copy per byte only when there is something to drop.
  if (IsValidSseFieldValue(value)) {
    out->append(value);
  } else {
    for (char c : value) {
      if (!IsLineBreakOrNul(c)) out->push_back(c);
    }
  }
  out->push_back('\n');
}

// Position of the first `c` at or after `from`, or data.size().
size_t Find(std::string_view data, char c, size_t from) {
  if (from >= data.size()) return data.size();
  const void* found = std::memchr(data.data() + from, c, data.size() - from);
  return found ? static_cast<size_t>(static_cast<const char*>(found) - data.data()) : data.size();
}

}  // namespace

void AppendSseEvent(std::string* out, const SseEvent& event) {
  out->reserve(out->size() + event.data.size() + event.id.size() + event.event.size() + 32);
  if (!event.id.empty()) AppendField(out, "id", event.id);
  if (!event.event.empty() && event.event != "message") AppendField(out, "event", event.event);
  if (event.retry_ms) {
    out->append("retry: ");
    out->append(std::to_string(*event.retry_ms));
    out->push_back('\n');
  }
  std::string_view data = event.data;
  size_t start = 0;
  // The next LF and the next CR are each searched with memchr only once the
  // scan has passed the previous one, so the whole payload is read once.
  size_t next_lf = Find(data, '\n', 0);
  size_t next_cr = Find(data, '\r', 0);
  for (;;) {
    if (next_lf < start) next_lf = Find(data, '\n', start);
    if (next_cr < start) next_cr = Find(data, '\r', start);
    size_t end = std::min(next_lf, next_cr);
    out->append("data: ", 6);
    out->append(data.data() + start, end - start);
    out->push_back('\n');
    if (end >= data.size()) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out->push_back('\n');
}

size_t SseEventSize(const SseEvent& event) {
  // Mirrors AppendSseEvent() field by field; the unit tests hold the two together.
  auto field_size = [](std::string_view name, std::string_view value) {
    size_t dropped = static_cast<size_t>(std::count_if(value.begin(), value.end(), IsLineBreakOrNul));
    return name.size() + 2 + value.size() - dropped + 1;
  };
  size_t size = 0;
  if (!event.id.empty()) size += field_size("id", event.id);
  if (!event.event.empty() && event.event != "message") size += field_size("event", event.event);
  if (event.retry_ms) size += 7 + std::to_string(*event.retry_ms).size() + 1;
  // One "data: " line per line of data. LF, CR and CRLF each end a line: the
  // break bytes are dropped and every line gets the prefix and an LF.
  const std::string_view data = event.data;
  const size_t lf = static_cast<size_t>(std::count(data.begin(), data.end(), '\n'));
  size_t cr = 0;
  size_t crlf = 0;
  for (size_t at = Find(data, '\r', 0); at < data.size(); at = Find(data, '\r', at + 1)) {
    ++cr;
    if (at + 1 < data.size() && data[at + 1] == '\n') ++crlf;
  }
  const size_t lines = lf + cr - crlf + 1;
  size += lines * 7 + data.size() - lf - cr;
  return size + 1;  // The blank line that ends the event.
}

void AppendSseComment(std::string* out, std::string_view text) {
  out->append(": ", 2);
  for (char c : text) {
    if (c != '\r' && c != '\n') out->push_back(c);
  }
  out->append("\n\n", 2);
}

void AppendSseRetry(std::string* out, uint32_t retry_ms) {
  out->append("retry: ");
  out->append(std::to_string(retry_ms));
  out->append("\n\n");
}

bool IsValidSseFieldValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), IsLineBreakOrNul);
}

}  // namespace ssebridge
