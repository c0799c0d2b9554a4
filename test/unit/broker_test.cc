// Unit tests for the helpers both brokers share (include/ssebridge/broker.h):
// AnswerIfHistoryDisabled() and PostReplay() answer through the completion
// queue, never before the call returns.

#include "ssebridge/broker.h"

#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "ssebridge/metrics.h"
#include "ssebridge/replay_policy.h"

namespace ssebridge {
namespace {

TEST(BrokerTest, AnswerIfHistoryDisabledPostsAHistoryDisabledGap) {
  CompletionQueue completions;
  Counters counters;
  int calls = 0;
  std::optional<ReplayResult> got;
  ReplayCallback done = [&](ReplayResult result) {
    ++calls;
    got = std::move(result);
  };
  EXPECT_TRUE(AnswerIfHistoryDisabled(false, &counters, &completions, done));
  // Posted, not run on the spot.
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(completions.size(), 1u);
  EXPECT_EQ(counters.replays, 1u);
  EXPECT_EQ(counters.replay_gaps, 1u);
  EXPECT_EQ(completions.RunAll(), 1u);
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->gap);
  EXPECT_EQ(got->gap_reason, "history-disabled");
  EXPECT_TRUE(got->frames.empty());
  // Exactly once.
  EXPECT_EQ(completions.RunAll(), 0u);
  EXPECT_EQ(calls, 1);
}

TEST(BrokerTest, AnswerIfHistoryDisabledLeavesAnEnabledReplayToTheBroker) {
  CompletionQueue completions;
  Counters counters;
  int calls = 0;
  ReplayCallback done = [&](ReplayResult) { ++calls; };
  EXPECT_FALSE(AnswerIfHistoryDisabled(true, &counters, &completions, done));
  EXPECT_TRUE(completions.empty());
  EXPECT_EQ(counters.replays, 1u);
  EXPECT_EQ(counters.replay_gaps, 0u);
  // The callback is left with the caller, still callable.
  ASSERT_TRUE(static_cast<bool>(done));
  done(ReplayResult{});
  EXPECT_EQ(calls, 1);
}

TEST(BrokerTest, AnswerIfHistoryDisabledCountsEveryResume) {
  CompletionQueue completions;
  Counters counters;
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    ReplayCallback done = [&](ReplayResult) { ++calls; };
    AnswerIfHistoryDisabled(i != 1, &counters, &completions, done);
  }
  EXPECT_EQ(counters.replays, 3u);
  EXPECT_EQ(counters.replay_gaps, 1u);
  EXPECT_EQ(completions.RunAll(), 1u);
  EXPECT_EQ(calls, 1);
}

TEST(BrokerTest, PostReplayDeliversTheResultLaterAndInPostingOrder) {
  CompletionQueue completions;
  std::vector<uint64_t> order;
  ReplayResult first;
  first.oldest_id = 11;
  ReplayResult second = GapOnly(GapReason::kUnavailable);
  second.oldest_id = 22;
  PostReplay(&completions, [&](ReplayResult r) { order.push_back(r.oldest_id); }, std::move(first));
  PostReplay(&completions, [&](ReplayResult r) {
    EXPECT_TRUE(r.gap);
    order.push_back(r.oldest_id);
  }, std::move(second));
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(completions.RunAll(), 2u);
  EXPECT_EQ(order, (std::vector<uint64_t>{11, 22}));
}

}  // namespace
}  // namespace ssebridge
