// Unit tests for per-channel message counts and rates (include/ssebridge/message_rate.h).

#include "ssebridge/message_rate.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

constexpr uint64_t kStart = 5'000'000;  // An arbitrary monotonic time.

TEST(MessageRateTest, NothingCountedIsZero) {
  MessageRate rate;
  EXPECT_EQ(rate.total(), 0u);
  EXPECT_EQ(rate.PerSecond(kStart), 0.0);
}

TEST(MessageRateTest, FirstWindowIsTheRateSoFarOverAtLeastOneSecond) {
  MessageRate rate;
  rate.Count(kStart);
  // A single message just now is one per second, not a burst.
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart), 1.0);
  for (int i = 1; i < 40; ++i) rate.Count(kStart + i * 100);  // 40 messages over 4 s.
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + 4000), 10.0);
  EXPECT_EQ(rate.total(), 40u);
}

TEST(MessageRateTest, AClosedWindowGivesTheRateOfThatWindow) {
  MessageRate rate;
  // 200 messages per second for ten seconds...
  for (int i = 0; i < 2000; ++i) rate.Count(kStart + i * 5);
  // ...read once the window has closed, before the next message.
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + MessageRate::kWindowMs + 1), 200.0);
  // The next message closes it for good; the closed window's rate holds.
  rate.Count(kStart + MessageRate::kWindowMs + 2);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + MessageRate::kWindowMs + 3), 200.0);
  EXPECT_EQ(rate.total(), 2001u);
}

TEST(MessageRateTest, AChannelThatWentQuietReadsZero) {
  MessageRate rate;
  for (int i = 0; i < 100; ++i) rate.Count(kStart + i * 10);
  EXPECT_EQ(rate.PerSecond(kStart + 2 * MessageRate::kWindowMs), 0.0);
  // A message after a long silence starts afresh: the silent window before it was empty.
  rate.Count(kStart + 5 * MessageRate::kWindowMs + 7);
  EXPECT_EQ(rate.PerSecond(kStart + 5 * MessageRate::kWindowMs + 8), 0.0);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + 6 * MessageRate::kWindowMs + 1), 0.1);
  EXPECT_EQ(rate.total(), 101u);
}

}  // namespace
}  // namespace ssebridge
