#include "ssebridge/stream_expiry.h"

namespace ssebridge {

void StreamExpiries::ExpireDue(uint64_t now_ms, const std::function<void(EventStream*)>& end) {
  // One at a time: the stream learns its entry is gone before anything else
  // runs, so nothing can erase that entry a second time.
  while (!index_.empty() && index_.begin()->first <= now_ms) {
    EventStream* stream = index_.begin()->second;
    index_.erase(index_.begin());
    end(stream);
  }
}

}  // namespace ssebridge
