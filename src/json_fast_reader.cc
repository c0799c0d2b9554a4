#include "ssebridge/json_fast_reader.h"

#include <array>
#include <cstring>

#include "ssebridge/channel.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

// Bytes that stand for themselves inside a JSON string.
constexpr auto kPlainStringByte = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 256; ++c) table[c] = c != '"' && c != '\\';
  return table;
}();

}  // namespace

void JsonFastReader::SkipSpace() {
  while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
    ++at_;
  }
}

bool JsonFastReader::Consume(char c) {
  SkipSpace();
  if (at_ < text_.size() && text_[at_] == c) {
    ++at_;
    return true;
  }
  return false;
}

bool JsonFastReader::Peek(char c) {
  SkipSpace();
  return at_ < text_.size() && text_[at_] == c;
}

bool JsonFastReader::AtEnd() {
  SkipSpace();
  return at_ == text_.size();
}

bool JsonFastReader::String(std::string* out) {
  if (!Consume('"')) return false;
  const char* const input = text_.data();
  const size_t size = text_.size();
  size_t run_end = PlainRunEnd(at_);
  if (run_end < size && input[run_end] == '"') {
    // The common case, no escapes: one copy.
    out->assign(input + at_, run_end - at_);
    at_ = run_end + 1;
    return IsValidUtf8(*out);
  }
  // Escapes only shrink, so the rest of the body bounds the decoded size:
  // decode into a buffer of that size, written through a pointer, and cut
  // it to length at the end (no per-character capacity checks).
  out->resize(size - at_);
  char* const begin = out->data();
  char* write = begin;
  for (;;) {
    std::memcpy(write, input + at_, run_end - at_);
    write += run_end - at_;
    at_ = run_end;
    if (at_ >= size) return false;
    char c = input[at_++];
    if (c == '"') break;
    if (c != '\\') return false;  // A raw control character.
    if (at_ >= size) return false;
    switch (input[at_++]) {
      case '"': *write++ = '"'; break;
      case '\\': *write++ = '\\'; break;
      case '/': *write++ = '/'; break;
      case 'b': *write++ = '\b'; break;
      case 'f': *write++ = '\f'; break;
      case 'n': *write++ = '\n'; break;
      case 'r': *write++ = '\r'; break;
      case 't': *write++ = '\t'; break;
      case 'u': {
        uint32_t code = 0;
        if (!Hex4(&code)) return false;
        if (code >= 0xDC00 && code <= 0xDFFF) return false;  // Lone low surrogate.
        if (code >= 0xD800 && code <= 0xDBFF) {
          uint32_t low = 0;
          if (at_ + 1 >= size || input[at_] != '\\' || input[at_ + 1] != 'u') return false;
          at_ += 2;
          if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        // Six input bytes (twelve for a pair) become at most three (four).
        write = EncodeUtf8(code, write);
        break;
      }
      default:
        return false;
    }
    run_end = PlainRunEnd(at_);
  }
  out->resize(static_cast<size_t>(write - begin));
  return IsValidUtf8(*out);
}

bool JsonFastReader::Boolean(bool* out) {
  SkipSpace();
  std::string_view rest = text_.substr(at_);
  if (rest.substr(0, 4) == "true") {
    at_ += 4;
    *out = true;
    return true;
  }
  if (rest.substr(0, 5) == "false") {
    at_ += 5;
    *out = false;
    return true;
  }
  return false;
}

// Index of the first byte at or after `from` that ends a run of plain string
// bytes: a quote, a backslash or a control character.
size_t JsonFastReader::PlainRunEnd(size_t from) const {
  while (from < text_.size() && kPlainStringByte[static_cast<unsigned char>(text_[from])]) ++from;
  return from;
}

bool JsonFastReader::Hex4(uint32_t* code) {
  if (at_ + 4 > text_.size()) return false;
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    int digit = HexDigitValue(text_[at_++]);
    if (digit < 0) return false;
    value = (value << 4) | static_cast<uint32_t>(digit);
  }
  *code = value;
  return true;
}

char* JsonFastReader::EncodeUtf8(uint32_t code, char* out) {
  if (code < 0x80) {
    *out++ = static_cast<char>(code);
  } else if (code < 0x800) {
    *out++ = static_cast<char>(0xC0 | (code >> 6));
    *out++ = static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (code >> 12));
    *out++ = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (code & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (code >> 18));
    *out++ = static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (code & 0x3F));
  }
  return out;
}

}  // namespace ssebridge
