#include "ssebridge/json_quote.h"

#include <algorithm>

namespace ssebridge {

void AppendJsonQuoted(std::string* out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  const size_t needed = out->size() + text.size() + 2;
  // Grow geometrically so repeated appends to one string stay linear.
  if (out->capacity() < needed) out->reserve(std::max(needed, 2 * out->capacity()));
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    // Bytes that need no escape are copied a run at a time.
    out->append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\"", 2); break;
      case '\\': out->append("\\\\", 2); break;
      case '\n': out->append("\\n", 2); break;
      case '\r': out->append("\\r", 2); break;
      case '\t': out->append("\\t", 2); break;
      default:
        out->append("\\u00", 4);
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  AppendJsonQuoted(&out, text);
  return out;
}

}  // namespace ssebridge
