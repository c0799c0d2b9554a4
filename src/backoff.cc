#include "ssebridge/backoff.h"

#include <algorithm>

namespace ssebridge {

Backoff::Backoff(uint64_t min_ms, uint64_t max_ms)
    : min_ms_(std::max<uint64_t>(min_ms, 1)), max_ms_(std::max(max_ms, min_ms_)), next_ms_(min_ms_) {}

uint64_t Backoff::Next() {
  const uint64_t delay = next_ms_;
  // Halving the cap first cannot overflow, whatever the cap.
  next_ms_ = delay > max_ms_ / 2 ? max_ms_ : delay * 2;
  return delay;
}

}  // namespace ssebridge
