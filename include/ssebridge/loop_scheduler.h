// LoopScheduler: the per-loop machinery every connection shares, so that no
// connection needs a timer or a prepare handle of its own.
//
//  - the flush list: connections with bytes to write this turn. The prepare
//    handle runs right before the loop blocks: it first runs the completion
//    queue and the broker's Flush() (publishes batched this turn, and their
//    refusals), then flushes every listed connection once, so everything
//    queued during the turn leaves in one writev per connection;
//  - the delayed-flush list (--write-delay): live messages wait there behind
//    one loop-wide timer so that messages arriving meanwhile share a write;
//  - the deadline lists (waiting for a request; lingering after FIN; a
//    long poll waiting for something to answer), each ordered by start time
//    because all entries share one timeout;
//  - the stream list, ordered by last write, for heartbeats;
//  - the age buckets (--max-stream-age): coarse buckets of streams by when
//    they end (AgeBuckets), on the deadline hook a stream no longer uses;
//  - the sweep timer that walks those lists from the front and stops at the
//    first entry not yet due.
//
// Entries are connections, but the scheduler does not know the type: each
// connection embeds an Entry and the scheduler calls back through one table of
// function pointers given at construction (no per-entry cost, no include of
// the connection's header).
#pragma once

#include <cstdint>
#include <functional>

#include <uv.h>

#include "ssebridge/age_buckets.h"
#include "ssebridge/intrusive_list.h"

namespace ssebridge {

class Broker;
class CompletionQueue;

class LoopScheduler {
 public:
  // A connection's places in the lists. Embedded in the connection.
  struct Entry {
    // Reading (request timeout), lingering or polling list; for a stream,
    // which needs none of those, its age bucket.
    ListHook deadline_hook;
    ListHook stream_hook;    // Heartbeat list, ordered by last write.
    ListHook flush_hook;     // Flush this turn, or after --write-delay.
    bool flush_delayed = false;  // flush_hook is in the delayed list.
    uint64_t deadline_start_ms = 0;
    uint64_t last_write_ms = 0;
  };

  // What the scheduler calls. Each is called with the entry already removed
  // from the list that fired (except heartbeat, which must re-track itself).
  struct Actions {
    void (*flush)(Entry*);
    void (*request_timeout)(Entry*);
    void (*linger_timeout)(Entry*);
    void (*heartbeat)(Entry*);
    void (*poll_timeout)(Entry*);
    void (*stream_aged)(Entry*);  // Reached its --max-stream-age.
  };

  struct Timeouts {
    uint64_t request_ms = 0;    // --header-timeout
    uint64_t linger_ms = 2000;  // After FIN, waiting for the peer's EOF.
    uint64_t heartbeat_ms = 0;  // --heartbeat
    uint64_t write_delay_ms = 0;  // --write-delay; 0 flushes in the same turn.
    uint64_t poll_ms = 25000;     // --poll-timeout
    uint64_t max_stream_age_ms = 0;  // --max-stream-age; 0: streams never age.
  };

  LoopScheduler(uv_loop_t* loop, Timeouts timeouts, Actions actions);
  LoopScheduler(const LoopScheduler&) = delete;
  LoopScheduler& operator=(const LoopScheduler&) = delete;

  // `completions` and `broker` (may be null) are run by the prepare handle
  // before the flush. `on_sweep(now_ms)` runs in each sweep after the deadline
  // lists and before the heartbeats (broker and per-client housekeeping).
  void Start(CompletionQueue* completions, Broker* broker, std::function<void(uint64_t)> on_sweep);
  // Closes the handles; the lists must be empty by then.
  void Close();

  uv_loop_t* loop() const { return loop_; }
  uint64_t now_ms() const { return uv_now(loop_); }
  // The clock of the flushes running now, in microseconds (the low 32 bits
  // of uv_hrtime() / 1000, as Frame::fanout_us): read when the flush pass
  // starts and again every kWriteClockStride flushes, so timing the writes
  // costs a fraction of a clock read each (ssebridge_publish_to_write_seconds).
  uint32_t write_clock_us() const { return write_clock_us_; }

  // Flushes this turn; takes along a delayed flush that was waiting (a
  // response or the end of a stream must not wait).
  void ScheduleFlush(Entry* entry) {
    if (entry->flush_hook.linked() && !entry->flush_delayed) return;  // The common case on fan-out.
    ScheduleFlushSlow(entry);
  }
  // For live messages: flushes within --write-delay ms (this turn when 0), so
  // that messages arriving meanwhile share the write.
  void ScheduleDelayedFlush(Entry* entry) {
    if (entry->flush_hook.linked()) return;  // Already due, now or with the batch.
    ScheduleDelayedFlushSlow(entry);
  }

  // Starts (or restarts) the request timeout from now.
  void TrackReading(Entry* entry);
  void TrackLingering(Entry* entry);
  // A long poll waits from now for at most --poll-timeout.
  void TrackPolling(Entry* entry);
  void UntrackDeadline(Entry* entry) { IntrusiveList<Entry>::Remove(&entry->deadline_hook); }
  // Records a write now and moves the stream to the back of the heartbeat list.
  void TrackStream(Entry* entry);
  void UntrackStream(Entry* entry) { IntrusiveList<Entry>::Remove(&entry->stream_hook); }
  // A stream that has just started ends after its jittered --max-stream-age
  // (a no-op when the option is off). It takes the entry's deadline hook:
  // call it after the request's deadline was untracked.
  void TrackStreamAge(Entry* entry);
  // Leaves every list (the connection is closing).
  void Forget(Entry* entry);

  // Runs the sweep now (tests; the timer runs it otherwise).
  void Sweep();
  // Runs the prepare phase now (tests; the prepare handle runs it otherwise).
  void RunPrepare();

 private:
  static constexpr uint64_t kSweepIntervalMs = 250;
  // Writes between two reads of the write clock: a write is timed at most
  // this many writes late (a few tens of microseconds).
  static constexpr uint32_t kWriteClockStride = 32;

  static void OnPrepare(uv_prepare_t* handle);
  static void OnSweep(uv_timer_t* timer);
  static void OnWriteDelay(uv_timer_t* timer);
  static void OnStreamAged(void* entry, void* self);

  void ScheduleFlushSlow(Entry* entry);
  void ScheduleDelayedFlushSlow(Entry* entry);
  uint32_t NextJitter();

  uv_loop_t* loop_;
  uint32_t write_clock_us_ = 0;
  Timeouts timeouts_;
  Actions actions_;
  CompletionQueue* completions_ = nullptr;
  Broker* broker_ = nullptr;
  std::function<void(uint64_t)> on_sweep_;
  uv_prepare_t prepare_;
  uv_timer_t sweep_timer_;
  uv_timer_t write_delay_timer_;
  IntrusiveList<Entry> flush_list_;
  IntrusiveList<Entry> delayed_flush_list_;
  IntrusiveList<Entry> reading_list_;
  IntrusiveList<Entry> lingering_list_;
  IntrusiveList<Entry> polling_list_;
  IntrusiveList<Entry> stream_list_;
  AgeBuckets ages_;
  uint64_t jitter_state_;  // Splitmix64 state: the jitter needs spread, not secrecy.
  bool closed_ = false;
};

}  // namespace ssebridge
