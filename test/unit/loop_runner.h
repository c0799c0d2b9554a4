// Runs a test's own uv loop until a predicate holds, waiting on the loop's
// events (uv_run(UV_RUN_ONCE)) rather than sleeping; a timer bounds the wait.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace ssebridge {
namespace testing_loop {

// True when `done()` held before `timeout_ms` passed. The deadline timer is
// closed before returning, so it leaves no handle behind. It is unreferenced:
// it does not keep the loop alive, so `!uv_loop_alive(loop)` is a condition
// this can wait for (the loop running out of work is an event too), and a
// loop with nothing left to run ends the wait at once.
inline bool RunLoopUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t timeout_ms = 5000) {
  uv_timer_t deadline;
  bool expired = false;
  uv_timer_init(loop, &deadline);
  deadline.data = &expired;
  uv_timer_start(&deadline, [](uv_timer_t* timer) { *static_cast<bool*>(timer->data) = true; }, timeout_ms, 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(&deadline));
  while (!done() && !expired) {
    // Nothing referenced is left: no event can change the answer any more.
    if (uv_run(loop, UV_RUN_ONCE) == 0 && !uv_loop_alive(loop)) break;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);  // Runs the timer's close.
  return done();
}

}  // namespace testing_loop
}  // namespace ssebridge
