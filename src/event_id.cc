#include "ssebridge/event_id.h"

namespace ssebridge {

bool ParseEventId(std::string_view text, uint64_t* id) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *id = value;
  return true;
}

}  // namespace ssebridge
