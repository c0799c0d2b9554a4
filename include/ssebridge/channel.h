// Channel names and Redis-compatible glob patterns.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

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

// Collects channel names once each, in first-seen order, up to a maximum
// number of distinct names, in time linear in the number of names added
// (a request naming 100,000 channels must not cost 10^10 comparisons).
class UniqueChannels {
 public:
  // Appends to *names, which must outlive this object and start empty.
  UniqueChannels(std::vector<std::string>* names, size_t max_names) : names_(names), max_names_(max_names) {}

  enum class AddResult { kAdded, kDuplicate, kTooMany };
  // kTooMany (appending nothing) when `name` is new and max_names are held.
  AddResult Add(const std::string& name);

 private:
  // Up to this many names a linear search is cheaper than hashing, and the
  // common one-channel request allocates nothing extra.
  static constexpr size_t kHashFrom = 16;

  std::vector<std::string>* names_;
  size_t max_names_;
  std::unordered_set<std::string> seen_;  // Filled once names_ reaches kHashFrom.
};

}  // namespace ssebridge
