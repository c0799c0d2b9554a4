// CompletionQueue: callbacks whose result is known before the call that
// registered them has returned. They are not run on the spot: the caller may
// still be on the stack, half-way through its own work, and would be
// re-entered. They are posted here instead and run from the loop's prepare
// phase, as libuv does for uv_write callbacks and Node.js for nextTick.
//
// Pure logic, no libuv: whoever owns the loop calls RunAll() once per turn.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace ssebridge {

class CompletionQueue {
 public:
  // Queues `callback` to run at the next RunAll(), after everything posted before it.
  void Post(std::function<void()> callback);

  // Runs every posted callback in posting order, including those posted while
  // it runs, until none is left. Returns how many ran.
  size_t RunAll();

  bool empty() const { return pending_.empty(); }
  size_t size() const { return pending_.size(); }

 private:
  std::vector<std::function<void()>> pending_;
  std::vector<std::function<void()>> running_;  // Kept to reuse its capacity.
};

}  // namespace ssebridge
