// Backoff: the delays between reconnection attempts. They double from a
// minimum up to a cap and stay there: a connection that keeps failing is
// retried forever, never faster than the cap allows once it has failed long
// enough. A success resets the delay to the minimum.
#pragma once

#include <cstdint>

namespace ssebridge {

class Backoff {
 public:
  // A minimum of 0 is treated as 1 ms (doubling 0 would never grow); a cap
  // below the minimum is raised to it.
  Backoff(uint64_t min_ms, uint64_t max_ms);

  // The delay before the next attempt; the one after it is twice as long,
  // up to the cap.
  uint64_t Next();

  // The last attempt succeeded: the next failure waits the minimum again.
  void Reset() { next_ms_ = min_ms_; }

  // The delay Next() would return (for tests and logs).
  uint64_t peek() const { return next_ms_; }

 private:
  uint64_t min_ms_;
  uint64_t max_ms_;
  uint64_t next_ms_;
};

}  // namespace ssebridge
