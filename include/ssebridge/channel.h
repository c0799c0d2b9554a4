// Channel names and Redis-compatible glob patterns.
#pragma once

#include <string>
#include <string_view>

namespace ssebridge {

constexpr size_t kMaxChannelBytes = 256;

// A name containing '*', '?' or '[' is a pattern (PSUBSCRIBE), like in Redis.
bool IsPattern(std::string_view name);

// Returns "" if the name is 1..256 bytes of valid UTF-8 without control
// characters (C0, DEL, C1); otherwise a sentence saying what is wrong.
std::string ValidateChannelName(std::string_view name);

// Matches like Redis's stringmatchlen() (case-sensitive): '*', '?', '[abc]',
// '[^a-z]', and '\' escapes. Runs in O(pattern * text) worst case, never
// exponential, because every non-star token consumes exactly one byte.
bool GlobMatch(std::string_view pattern, std::string_view text);

// True if the bytes are well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace ssebridge
