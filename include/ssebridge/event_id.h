// Event ids: what a client sends back as Last-Event-ID and what history is
// keyed by. Our ids are decimal integers of at most 19 digits (so any of them
// fits a uint64_t); anything else is not resumable.
#pragma once

#include <cstdint>
#include <string_view>

namespace ssebridge {

// Parses a resumable id. Returns false, leaving *id alone, for anything that
// is not 1 to 19 decimal digits.
bool ParseEventId(std::string_view text, uint64_t* id);

}  // namespace ssebridge
