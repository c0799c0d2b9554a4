#include "ssebridge/uri.h"

#include <algorithm>

namespace ssebridge {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexDigitValue(text[i + 1]);
      int low = HexDigitValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(start, end - start);
    if (!part.empty()) {
      size_t equals = part.find('=');
      std::string_view key = part.substr(0, equals);
      std::string_view value = equals == std::string_view::npos ? std::string_view() : part.substr(equals + 1);
      std::optional<std::string> decoded_key = PercentDecode(key, true);
      std::optional<std::string> decoded_value = PercentDecode(value, true);
      pairs.emplace_back(decoded_key ? *decoded_key : std::string(key),
                         decoded_value ? *decoded_value : std::string(value));
    }
    start = end + 1;
  }
  return pairs;
}

std::optional<std::vector<std::string>> DecodePathSegments(std::string_view rest) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view segment = rest.substr(start, end - start);
    if (!segment.empty()) {
      std::optional<std::string> decoded = PercentDecode(segment, false);
      if (!decoded) return std::nullopt;
      segments.push_back(std::move(*decoded));
    }
    start = end + 1;
  }
  return segments;
}

void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  size_t question = target.find('?');
  if (question == std::string_view::npos) {
    *path = target;
    *query = std::string_view();
  } else {
    *path = target.substr(0, question);
    *query = target.substr(question + 1);
  }
}

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(start, end - start);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) return pair.substr(equals + 1);
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace ssebridge
