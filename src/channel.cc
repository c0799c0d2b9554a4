#include "ssebridge/channel.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ssebridge {
namespace {

// Matches one non-star pattern token at p[pi] against the byte c. On return
// *next indexes the token after it. Byte values are compared as signed chars,
// exactly as Redis does, so ranges over non-ASCII bytes agree with Redis too.
bool MatchToken(std::string_view p, size_t pi, char c, size_t* next) {
  const size_t n = p.size();
  switch (p[pi]) {
    case '?':
      *next = pi + 1;
      return true;
    case '[': {
      size_t j = pi + 1;
      bool negate = false;
      if (j < n && p[j] == '^') {
        negate = true;
        ++j;
      }
      bool matched = false;
      for (;;) {
        if (j >= n) {
          // An unterminated class runs to the end of the pattern, as in Redis.
          j = n - 1;
          break;
        }
        if (p[j] == '\\' && j + 1 < n) {
          ++j;
          if (p[j] == c) matched = true;
        } else if (p[j] == ']') {
          break;
        } else if (j + 2 < n && p[j + 1] == '-') {
          int start = p[j];
          int end = p[j + 2];
          if (start > end) std::swap(start, end);
          if (c >= start && c <= end) matched = true;
          j += 2;
        } else if (p[j] == c) {
          matched = true;
        }
        ++j;
      }
      *next = j + 1;
      return negate ? !matched : matched;
    }
    case '\\':
      if (pi + 1 < n) {
        *next = pi + 2;
        return p[pi + 1] == c;
      }
      *next = pi + 1;
      return c == '\\';
    default:
      *next = pi + 1;
      return p[pi] == c;
  }
}

}  // namespace

bool IsPattern(std::string_view name) {
  // A plain loop: find_first_of() searches the set once per byte.
  for (char c : name) {
    if (c == '*' || c == '?' || c == '[') return true;
  }
  return false;
}

bool IsValidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // Most text is ASCII: skip it eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, bytes + i, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = bytes[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    static const uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

std::string ValidateChannelName(std::string_view name) {
  if (name.empty()) return "channel name is empty";
  if (name.size() > kMaxChannelBytes) return "channel name is longer than 256 bytes";
  if (!IsValidUtf8(name)) return "channel name is not valid UTF-8";
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F) return "channel name contains a control character";
    // C1 controls U+0080..U+009F are encoded as 0xC2 0x80..0x9F.
    if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0x9F) {
      return "channel name contains a control character";
    }
  }
  return "";
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  const size_t n = pattern.size();
  size_t pi = 0;
  size_t ti = 0;
  size_t star_pi = std::string_view::npos;  // Token after the last '*' seen.
  size_t star_ti = 0;                       // Text position that '*' is trying to end at.
  while (ti < text.size()) {
    if (pi < n && pattern[pi] == '*') {
      while (pi < n && pattern[pi] == '*') ++pi;
      if (pi == n) return true;
      star_pi = pi;
      star_ti = ti;
      continue;
    }
    size_t next = 0;
    if (pi < n && MatchToken(pattern, pi, text[ti], &next)) {
      pi = next;
      ++ti;
      continue;
    }
    // Mismatch: let the most recent '*' swallow one more byte and retry.
    if (star_pi == std::string_view::npos) return false;
    pi = star_pi;
    ti = ++star_ti;
  }
  while (pi < n && pattern[pi] == '*') ++pi;
  return pi == n;
}

UniqueChannels::AddResult UniqueChannels::Add(const std::string& name) {
  if (names_->size() < kHashFrom) {
    if (std::find(names_->begin(), names_->end(), name) != names_->end()) return AddResult::kDuplicate;
  } else {
    if (seen_.empty()) seen_.insert(names_->begin(), names_->end());
    if (seen_.count(name) != 0) return AddResult::kDuplicate;
  }
  if (names_->size() >= max_names_) return AddResult::kTooMany;
  names_->push_back(name);
  if (!seen_.empty()) seen_.insert(name);
  return AddResult::kAdded;
}

}  // namespace ssebridge
