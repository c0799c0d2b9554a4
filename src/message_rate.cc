#include "ssebridge/message_rate.h"

#include <algorithm>

namespace ssebridge {

void MessageRate::Count(uint64_t now_ms) {
  if (total_ == 0) window_start_ms_ = now_ms;
  if (now_ms >= window_start_ms_ + kWindowMs) {
    // The window just closed counts only if it is the one right before now.
    previous_ = now_ms < window_start_ms_ + 2 * kWindowMs ? current_ : 0;
    current_ = 0;
    window_start_ms_ += (now_ms - window_start_ms_) / kWindowMs * kWindowMs;
    first_window_ = false;
  }
  ++current_;
  ++total_;
}

double MessageRate::PerSecond(uint64_t now_ms) const {
  if (total_ == 0) return 0;
  constexpr double kWindowSeconds = kWindowMs / 1000.0;
  if (now_ms >= window_start_ms_ + 2 * kWindowMs) return 0;
  if (now_ms >= window_start_ms_ + kWindowMs) return current_ / kWindowSeconds;
  if (first_window_) {
    // Not a whole window yet: the rate so far, over at least one second so
    // that a first message does not read as a burst.
    const uint64_t elapsed_ms = std::max<uint64_t>(now_ms - window_start_ms_, 1000);
    return current_ * 1000.0 / static_cast<double>(elapsed_ms);
  }
  return previous_ / kWindowSeconds;
}

}  // namespace ssebridge
