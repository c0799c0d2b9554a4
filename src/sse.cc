#include "ssebridge/sse.h"

#include <cstring>

namespace ssebridge {
namespace {

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ", 2);
  for (char c : value) {
    if (c != '\r' && c != '\n' && c != '\0') out->push_back(c);
  }
  out->push_back('\n');
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
  for (;;) {
    // Find the next CR or LF; memchr-free scan keeps CRLF handling in one place.
    size_t end = start;
    while (end < data.size() && data[end] != '\n' && data[end] != '\r') ++end;
    out->append("data: ", 6);
    out->append(data.data() + start, end - start);
    out->push_back('\n');
    if (end >= data.size()) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out->push_back('\n');
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
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace ssebridge
