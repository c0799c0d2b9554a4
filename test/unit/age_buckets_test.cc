// Unit tests for the --max-stream-age buckets (include/ssebridge/age_buckets.h):
// the bucket width, the jitter, and that every entry is expired once, never
// before its deadline and at most one bucket width after it.

#include "ssebridge/age_buckets.h"

#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

// One stream: its hook and when it must end.
struct Aging {
  ListHook hook;
  uint64_t deadline_ms = 0;
  uint64_t expired_at_ms = 0;
  int expired = 0;
};

struct Sweep {
  uint64_t now_ms = 0;
  std::vector<Aging*> expired;
};

void Record(void* owner, void* context) {
  auto* sweep = static_cast<Sweep*>(context);
  auto* aging = static_cast<Aging*>(owner);
  ++aging->expired;
  aging->expired_at_ms = sweep->now_ms;
  sweep->expired.push_back(aging);
}

// Runs Expire at `now_ms` and returns what it expired.
std::vector<Aging*> ExpireAt(AgeBuckets& buckets, uint64_t now_ms) {
  Sweep sweep;
  sweep.now_ms = now_ms;
  size_t count = buckets.Expire(now_ms, Record, &sweep);
  EXPECT_EQ(count, sweep.expired.size());
  return sweep.expired;
}

TEST(AgeBucketsTest, ZeroDisablesIt) {
  AgeBuckets buckets(0, 1000);
  EXPECT_FALSE(buckets.enabled());
  Aging aging;
  buckets.Add(&aging.hook, &aging, 1000, 0);
  EXPECT_FALSE(aging.hook.linked());
  EXPECT_TRUE(ExpireAt(buckets, 1000000).empty());
}

TEST(AgeBucketsTest, BucketsAreNoNarrowerThanTheSweepAndSpanTheLongestAge) {
  EXPECT_EQ(AgeBuckets(1000, 0).granularity_ms(), 250u);
  EXPECT_EQ(AgeBuckets(10 * 1000, 0).granularity_ms(), 250u);
  // A minute: 66 s over 60 buckets.
  EXPECT_EQ(AgeBuckets(60 * 1000, 0).granularity_ms(), 1101u);
  // An hour: 64 buckets less the 4 spare ones span 110% of it.
  const AgeBuckets hour(3600 * 1000, 0);
  EXPECT_GE(hour.granularity_ms() * (AgeBuckets::kBuckets - AgeBuckets::kSpareBuckets), 3600u * 1100);
  EXPECT_LT(hour.granularity_ms(), 3600u * 1100 / 50);  // Still coarse, not absurd: about 1.8% of the age.
  const AgeBuckets month(30ull * 86400 * 1000, 0);
  EXPECT_GE(month.granularity_ms() * (AgeBuckets::kBuckets - AgeBuckets::kSpareBuckets), 30ull * 86400 * 1100);
}

TEST(AgeBucketsTest, JitterIsUniformOverNinetyToOneHundredTenPercent) {
  const AgeBuckets buckets(60 * 1000, 0);
  EXPECT_EQ(buckets.JitteredAgeMs(0), 54000u);
  EXPECT_EQ(buckets.JitteredAgeMs(0x80000000u), 60000u);
  EXPECT_EQ(buckets.JitteredAgeMs(0xFFFFFFFFu), 65999u);
  // The longest allowed age does not overflow.
  const AgeBuckets month(30ull * 86400 * 1000, 0);
  EXPECT_EQ(month.JitteredAgeMs(0xFFFFFFFFu) / 1000, 30ull * 86400 * 11 / 10 - 1);
  // Spread over the range: each tenth of it gets its share of random draws.
  std::mt19937 random(7);
  std::vector<int> tenths(10, 0);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t age = buckets.JitteredAgeMs(static_cast<uint32_t>(random()));
    ASSERT_GE(age, 54000u);
    ASSERT_LT(age, 66000u);
    ++tenths[(age - 54000) / 1200];
  }
  for (int count : tenths) EXPECT_NEAR(count, 1000, 150);
}

TEST(AgeBucketsTest, NothingExpiresBeforeItsDeadline) {
  AgeBuckets buckets(1000, 10000);
  Aging aging;
  buckets.Add(&aging.hook, &aging, 10000, 1000);
  EXPECT_TRUE(ExpireAt(buckets, 10250).empty());
  EXPECT_TRUE(ExpireAt(buckets, 10999).empty());
  EXPECT_EQ(ExpireAt(buckets, 11000), std::vector<Aging*>{&aging});
  EXPECT_FALSE(aging.hook.linked());
  EXPECT_TRUE(ExpireAt(buckets, 20000).empty());  // Once.
}

TEST(AgeBucketsTest, ADeadlineInsideABucketWaitsForTheBucketsEnd) {
  AgeBuckets buckets(1000, 0);
  Aging aging;
  buckets.Add(&aging.hook, &aging, 0, 1001);  // Bucket (1000, 1250].
  EXPECT_TRUE(ExpireAt(buckets, 1001).empty());
  EXPECT_TRUE(ExpireAt(buckets, 1249).empty());
  EXPECT_EQ(ExpireAt(buckets, 1250).size(), 1u);
}

// The scheduler's life: streams start at random times with jittered ages and
// sweeps run every 250 ms (sometimes late). Every stream ends exactly once,
// not before its deadline and within a bucket and a sweep after it.
TEST(AgeBucketsTest, ManyStreamsEachExpireOnceWithinABucketOfTheirDeadline) {
  for (uint64_t max_age : {1000ull, 7000ull, 3600ull * 1000}) {
    const uint64_t start = 123457;
    AgeBuckets buckets(max_age, start);
    std::mt19937 random(static_cast<uint32_t>(max_age));
    std::vector<Aging> streams(5000);
    uint64_t now = start;
    size_t added = 0;
    Sweep sweep;
    const uint64_t end = start + 3 * max_age;
    while (now < end) {
      // A few streams open between sweeps.
      for (int i = 0; i < 5 && added < streams.size(); ++i) {
        Aging& aging = streams[added++];
        const uint64_t opened = now + random() % 250;
        const uint64_t age = buckets.JitteredAgeMs(static_cast<uint32_t>(random()));
        aging.deadline_ms = opened + age;
        buckets.Add(&aging.hook, &aging, opened, age);
      }
      now += 250 + (random() % 8 == 0 ? random() % 500 : 0);  // Some sweeps run late.
      sweep.now_ms = now;
      buckets.Expire(now, Record, &sweep);
    }
    for (size_t i = 0; i < added; ++i) {
      const Aging& aging = streams[i];
      if (aging.deadline_ms + buckets.granularity_ms() + 750 >= end) continue;  // Not due by the end of the run.
      ASSERT_EQ(aging.expired, 1) << "stream " << i << " with max age " << max_age;
      ASSERT_GE(aging.expired_at_ms, aging.deadline_ms);
      // A bucket's width late, plus the sweep interval and a late sweep.
      ASSERT_LE(aging.expired_at_ms, aging.deadline_ms + buckets.granularity_ms() + 750);
    }
    for (size_t i = 0; i < added; ++i) AgeBuckets::Remove(&streams[i].hook);
  }
}

TEST(AgeBucketsTest, ARemovedEntryNeverExpires) {
  AgeBuckets buckets(1000, 0);
  Aging kept, removed;
  buckets.Add(&kept.hook, &kept, 0, 900);
  buckets.Add(&removed.hook, &removed, 0, 900);
  AgeBuckets::Remove(&removed.hook);
  EXPECT_EQ(ExpireAt(buckets, 5000), std::vector<Aging*>{&kept});
  EXPECT_EQ(removed.expired, 0);
}

TEST(AgeBucketsTest, ALongStallExpiresEverythingOnce) {
  AgeBuckets buckets(1000, 0);
  std::vector<Aging> streams(100);
  for (size_t i = 0; i < streams.size(); ++i) buckets.Add(&streams[i].hook, &streams[i], i * 10, 900 + i);
  // The loop was blocked for far longer than the ring spans.
  EXPECT_EQ(ExpireAt(buckets, 1000000).size(), streams.size());
  for (const Aging& aging : streams) EXPECT_EQ(aging.expired, 1);
  // New streams after the stall age normally.
  Aging late;
  buckets.Add(&late.hook, &late, 1000000, 1000);
  EXPECT_TRUE(ExpireAt(buckets, 1000500).empty());
  EXPECT_EQ(ExpireAt(buckets, 1001000).size(), 1u);
}

TEST(AgeBucketsTest, ADeadlineAlreadyPastEndsAtTheNextSweep) {
  AgeBuckets buckets(1000, 0);
  ExpireAt(buckets, 5000);
  Aging aging;
  buckets.Add(&aging.hook, &aging, 4000, 500);  // Its clock was behind: due at 4500.
  EXPECT_EQ(ExpireAt(buckets, 5250).size(), 1u);
}

// What a callback may do: close another stream of the same bucket, or add
// one (a stream that ended and reconnected in the same sweep).
struct Reentrant {
  AgeBuckets* buckets;
  Aging* to_remove;
  Aging* to_add;
  uint64_t now_ms;
  int calls = 0;
};

TEST(AgeBucketsTest, CallbacksMayRemoveAndAddEntries) {
  AgeBuckets buckets(1000, 0);
  Aging first, second, added;
  buckets.Add(&first.hook, &first, 0, 1000);
  buckets.Add(&second.hook, &second, 0, 1000);
  Reentrant state{&buckets, &second, &added, 1000};
  auto callback = [](void* owner, void* context) {
    auto* reentrant = static_cast<Reentrant*>(context);
    ++reentrant->calls;
    ++static_cast<Aging*>(owner)->expired;
    AgeBuckets::Remove(&reentrant->to_remove->hook);
    if (!reentrant->to_add->hook.linked() && reentrant->to_add->expired == 0) {
      // Due at once: it must go to a later bucket, not the one being emptied.
      reentrant->buckets->Add(&reentrant->to_add->hook, reentrant->to_add, reentrant->now_ms, 0);
    }
  };
  EXPECT_EQ(buckets.Expire(1000, callback, &state), 1u);
  EXPECT_EQ(first.expired, 1);
  EXPECT_EQ(second.expired, 0);
  EXPECT_TRUE(added.hook.linked());
  EXPECT_EQ(buckets.Expire(1250, callback, &state), 1u);
  EXPECT_EQ(added.expired, 1);
}

}  // namespace
}  // namespace ssebridge
