#include "ssebridge/completion_queue.h"

#include <utility>

namespace ssebridge {

void CompletionQueue::Post(std::function<void()> callback) { pending_.push_back(std::move(callback)); }

size_t CompletionQueue::RunAll() {
  size_t ran = 0;
  // A callback may post more work; swapping first lets it append to an empty
  // vector while this batch runs from the other one.
  while (!pending_.empty()) {
    running_.swap(pending_);
    for (auto& callback : running_) {
      callback();
      ++ran;
    }
    running_.clear();
  }
  return ran;
}

}  // namespace ssebridge
