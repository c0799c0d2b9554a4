// MessageRate: how many messages one channel has carried, in all and per
// second, for GET /stats. Pure arithmetic on a caller's clock, so it is
// unit-tested without a loop.
//
// The rate is that of the last complete window of kWindowMs (while the
// first window runs: of the time since the first message), so it settles
// within ten seconds and needs no timer: a window is closed by the next
// message or read as closed by the next query.
#pragma once

#include <cstdint>

namespace ssebridge {

class MessageRate {
 public:
  static constexpr uint64_t kWindowMs = 10000;

  // One message at `now_ms` (a monotonic clock in milliseconds).
  void Count(uint64_t now_ms);

  uint64_t total() const { return total_; }
  // Messages per second at `now_ms` (see above); 0 before the first message
  // and once a whole window has passed without any.
  double PerSecond(uint64_t now_ms) const;

 private:
  uint64_t total_ = 0;
  uint64_t window_start_ms_ = 0;  // Start of the current window (first message's time at first).
  uint32_t current_ = 0;          // Messages in the current window.
  uint32_t previous_ = 0;         // Messages in the window before it.
  bool first_window_ = true;      // No window has closed yet.
};

}  // namespace ssebridge
