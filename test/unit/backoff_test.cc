// Backoff: doubling from the minimum to the cap, staying at the cap (never
// giving up), and back to the minimum after a success.
#include "ssebridge/backoff.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ssebridge {
namespace {

TEST(BackoffTest, DoublesUpToTheCapAndStaysThere) {
  Backoff backoff(100, 1000);
  std::vector<uint64_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(backoff.Next());
  EXPECT_EQ(delays, (std::vector<uint64_t>{100, 200, 400, 800, 1000, 1000, 1000, 1000}));
}

TEST(BackoffTest, ResetStartsOverFromTheMinimum) {
  Backoff backoff(50, 400);
  backoff.Next();
  backoff.Next();
  EXPECT_EQ(backoff.peek(), 200u);
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), 50u);
  EXPECT_EQ(backoff.Next(), 100u);
}

TEST(BackoffTest, DegenerateBoundsStillGrowAndNeverOverflow) {
  Backoff zero(0, 3);
  EXPECT_EQ(zero.Next(), 1u);  // 0 would never double.
  EXPECT_EQ(zero.Next(), 2u);
  EXPECT_EQ(zero.Next(), 3u);
  Backoff inverted(500, 10);  // A cap below the minimum is the minimum.
  EXPECT_EQ(inverted.Next(), 500u);
  EXPECT_EQ(inverted.Next(), 500u);
  Backoff huge(UINT64_MAX / 2 + 1, UINT64_MAX);
  EXPECT_EQ(huge.Next(), UINT64_MAX / 2 + 1);
  EXPECT_EQ(huge.Next(), UINT64_MAX);
  EXPECT_EQ(huge.Next(), UINT64_MAX);
}

}  // namespace
}  // namespace ssebridge
