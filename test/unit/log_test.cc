// Unit tests for the log limiter (include/ssebridge/log.h).

#include "ssebridge/log.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

TEST(LogLimiterTest, OneRecordPerIntervalAndCountsTheRest) {
  LogLimiter throttle(1000);
  uint64_t suppressed = 99;
  ASSERT_TRUE(throttle.Allow(5, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(throttle.Allow(5, &suppressed));
  EXPECT_FALSE(throttle.Allow(500, &suppressed));
  EXPECT_FALSE(throttle.Allow(1004, &suppressed));
  ASSERT_TRUE(throttle.Allow(1005, &suppressed));
  EXPECT_EQ(suppressed, 3u);
  ASSERT_TRUE(throttle.Allow(5000, &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogLimiterTest, FirstRecordPassesEvenAtTimeZero) {
  LogLimiter throttle(10000);
  uint64_t suppressed = 0;
  EXPECT_TRUE(throttle.Allow(0, &suppressed));
  EXPECT_FALSE(throttle.Allow(0, &suppressed));
}

}  // namespace
}  // namespace ssebridge
