#include "ssebridge/poll_request.h"

#include <algorithm>
#include <cstdio>

#include "ssebridge/event_id.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

// 1: yes, 0: no, -1: neither.
int YesNo(std::string_view value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return 1;
  if (value == "0" || value == "false" || value == "no" || value == "off") return 0;
  return -1;
}

bool AcceptsEventStream(const HttpRequest& request) {
  const std::string* accept = request.Header("accept");
  if (accept == nullptr) return false;
  // Media types are case-insensitive; the header is short.
  std::string lower = *accept;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return lower.find("text/event-stream") != std::string::npos;
}

}  // namespace

std::string FormatPollCursor(const PollCursor& cursor) {
  char text[48];
  snprintf(text, sizeof text, "%016llx.%llu", static_cast<unsigned long long>(cursor.token),
           static_cast<unsigned long long>(cursor.last_id));
  return text;
}

bool ParsePollCursor(std::string_view text, PollCursor* out) {
  if (text.size() < 18 || text[16] != '.') return false;
  uint64_t token = 0;
  for (size_t i = 0; i < 16; ++i) {
    int digit = HexDigitValue(text[i]);
    if (digit < 0) return false;
    token = (token << 4) | static_cast<uint64_t>(digit);
  }
  uint64_t last_id = 0;
  if (!ParseEventId(text.substr(17), &last_id)) return false;
  out->token = token;
  out->last_id = last_id;
  return true;
}

std::string PollCookieName(const std::vector<std::string>& channels) {
  std::vector<std::string> sorted = channels;
  std::sort(sorted.begin(), sorted.end());
  uint32_t hash = 2166136261u;  // FNV-1a, with a 0 byte after each name.
  for (const std::string& name : sorted) {
    for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    hash = (hash ^ 0u) * 16777619u;
  }
  char text[32];
  snprintf(text, sizeof text, "ssebridge_poll_%08x", hash);
  return text;
}

std::string ParsePollRequest(std::string_view query, const HttpRequest& request,
                             const std::vector<std::string>& channels, bool* is_poll, PollRequest* out) {
  int explicit_poll = -1;
  bool marked = false;
  std::optional<std::string> cursor_text;
  for (const auto& [key, value] : ParseQuery(query)) {
    if (key == "poll" && explicit_poll < 0) {
      explicit_poll = YesNo(value);
      if (explicit_poll < 0) return "poll must be 1 or 0, got '" + value + "'";
    } else if (key == "_") {
      marked = true;
    } else if (key == "cursor" && !cursor_text) {
      cursor_text = value;
      marked = true;
    }
  }
  if (const std::string* requested_with = request.Header("x-requested-with");
      requested_with != nullptr && EqualsIgnoreCase(*requested_with, "XMLHttpRequest")) {
    marked = true;
  }
  if (explicit_poll >= 0) {
    *is_poll = explicit_poll == 1;
  } else {
    *is_poll = !AcceptsEventStream(request) && marked;
  }
  if (!*is_poll) return "";
  if (cursor_text && !cursor_text->empty()) {
    PollCursor cursor;
    if (!ParsePollCursor(*cursor_text, &cursor)) return "malformed poll cursor: use the value of X-SSE-Poll-Cursor";
    out->cursor = cursor;
    return "";
  }
  if (const std::string* cookie = request.Header("cookie")) {
    PollCursor cursor;
    std::optional<std::string_view> value = CookieValue(*cookie, PollCookieName(channels));
    if (value && ParsePollCursor(*value, &cursor)) out->cursor = cursor;
  }
  return "";
}

std::string PollCookie(const std::vector<std::string>& channels, const PollCursor& cursor, std::string_view path,
                       uint32_t max_age_seconds) {
  std::string cookie = PollCookieName(channels);
  cookie += '=';
  cookie += FormatPollCursor(cursor);
  cookie += "; Path=";
  cookie += path.empty() ? std::string_view("/") : path;
  cookie += "; Max-Age=" + std::to_string(max_age_seconds) + "; HttpOnly; SameSite=Lax";
  return cookie;
}

}  // namespace ssebridge
