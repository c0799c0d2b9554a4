// AgeBuckets: when each stream reaches --max-stream-age, without a timer per
// stream. A stream costs about 1 KiB and a process aims at a million of
// them, so a uv_timer_t each (and a heap of a million deadlines) is out of
// the question. Instead, deadlines fall into a small ring of coarse buckets
// (a hashed timing wheel): adding and removing a stream is O(1) on a hook it
// already has, and the scheduler's one sweep timer empties the buckets whose
// time has come.
//
// Each stream gets its own age, uniform in 90-110% of --max-stream-age, so
// that streams opened together (after a deploy, or all reconnecting after
// the previous age) do not all end, and reconnect, in the same instant.
//
// A bucket is due at its end, so an entry is never expired before its
// deadline, and at most one bucket width (granularity_ms) plus the sweep's
// own delay after it. The ring spans more than the longest jittered age, so
// a bucket never mixes deadlines one lap apart. Pure: times are passed in,
// nothing here reads a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ssebridge/intrusive_list.h"

namespace ssebridge {

class AgeBuckets {
 public:
  static constexpr size_t kBuckets = 64;
  // The sweep runs every 250 ms: narrower buckets would not be emptied sooner.
  static constexpr uint64_t kMinGranularityMs = 250;
  // Buckets kept free beyond the longest age, so that a sweep running late
  // never finds a new deadline wrapped onto a bucket still to be emptied.
  static constexpr size_t kSpareBuckets = 4;

  // max_age_ms: --max-stream-age in milliseconds; 0 disables (Add does
  // nothing). now_ms: the clock at construction; buckets before it are done.
  AgeBuckets(uint64_t max_age_ms, uint64_t now_ms);
  AgeBuckets(const AgeBuckets&) = delete;
  AgeBuckets& operator=(const AgeBuckets&) = delete;

  bool enabled() const { return max_age_ms_ != 0; }
  uint64_t granularity_ms() const { return granularity_ms_; }

  // One stream's age: max_age_ms scaled by 90% + 20% * random / 2^32, so
  // uniform over [90%, 110%) for a uniformly random `random`.
  uint64_t JitteredAgeMs(uint32_t random) const;

  // Links `hook` (unlinked) into the bucket of now_ms + age_ms. `owner` is
  // what Expire hands back.
  void Add(ListHook* hook, void* owner, uint64_t now_ms, uint64_t age_ms);
  // Unlinks `hook` from whichever bucket holds it (no-op when unlinked).
  static void Remove(ListHook* hook) { IntrusiveList<void>::Remove(hook); }

  // Empties every bucket that ended at or before now_ms: each entry is
  // unlinked and then handed to expire(owner, context), which may add or
  // remove any entry, this one included. Returns how many were expired.
  size_t Expire(uint64_t now_ms, void (*expire)(void* owner, void* context), void* context);

 private:
  uint64_t max_age_ms_;
  uint64_t granularity_ms_;
  // Every bucket up to and including this tick (tick t covers the deadlines
  // in ((t-1) * granularity, t * granularity]) has been emptied.
  uint64_t done_tick_;
  std::unique_ptr<IntrusiveList<void>[]> buckets_;  // kBuckets lists; never moved (they point at themselves).
};

}  // namespace ssebridge
