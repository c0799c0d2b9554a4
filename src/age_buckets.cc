#include "ssebridge/age_buckets.h"

#include <algorithm>

namespace ssebridge {

AgeBuckets::AgeBuckets(uint64_t max_age_ms, uint64_t now_ms)
    : max_age_ms_(max_age_ms), buckets_(new IntrusiveList<void>[kBuckets]) {
  // The ring (less the spare buckets) must cover the longest jittered age,
  // 110%, so that no deadline wraps onto a bucket that is not yet due.
  const uint64_t longest = max_age_ms + max_age_ms / 10 + 1;
  const uint64_t usable = kBuckets - kSpareBuckets;
  granularity_ms_ = std::max<uint64_t>(kMinGranularityMs, (longest + usable - 1) / usable);
  done_tick_ = now_ms / granularity_ms_;
}

uint64_t AgeBuckets::JitteredAgeMs(uint32_t random) const {
  // 0.9 * age + 0.2 * age * random / 2^32, in integers. The product fits in
  // 64 bits while the spread is below 2^32 ms (ages below 248 days; the
  // option stops at 30).
  const uint64_t spread = max_age_ms_ / 5;  // 20%
  const uint64_t offset = (spread * random) >> 32;
  return max_age_ms_ - max_age_ms_ / 10 + offset;
}

void AgeBuckets::Add(ListHook* hook, void* owner, uint64_t now_ms, uint64_t age_ms) {
  if (!enabled()) return;
  const uint64_t deadline = now_ms + age_ms;
  // The first tick whose end is at or after the deadline: never early.
  uint64_t tick = (deadline + granularity_ms_ - 1) / granularity_ms_;
  // Already due (a zero age, or a sweep that ran late): the next sweep ends it.
  tick = std::max(tick, done_tick_ + 1);
  // Only after a stall of more than kSpareBuckets ticks (the loop blocked
  // for seconds) could a deadline reach a lap ahead; it then ends early,
  // which is harmless (the client reconnects), rather than a lap late.
  tick = std::min(tick, done_tick_ + kBuckets);
  buckets_[tick % kBuckets].PushBack(hook, owner);
}

size_t AgeBuckets::Expire(uint64_t now_ms, void (*expire)(void* owner, void* context), void* context) {
  const uint64_t due = now_ms / granularity_ms_;
  if (due <= done_tick_) return 0;
  // After a long stall every bucket is due; each is visited once.
  const uint64_t first = due - done_tick_ > kBuckets ? due - kBuckets + 1 : done_tick_ + 1;
  size_t expired = 0;
  for (uint64_t tick = first; tick <= due; ++tick) {
    // Marked done before its entries run, so that an entry added by a
    // callback goes to a later bucket, never into the one being emptied.
    done_tick_ = tick;
    IntrusiveList<void>& bucket = buckets_[tick % kBuckets];
    while (void* owner = bucket.PopFront()) {
      ++expired;
      expire(owner, context);
    }
  }
  done_tick_ = due;
  return expired;
}

}  // namespace ssebridge
