#include "ssebridge/completion_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace ssebridge {
namespace {

TEST(CompletionQueue, NothingRunsUntilRunAll) {
  CompletionQueue queue;
  int calls = 0;
  queue.Post([&] { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.RunAll(), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.RunAll(), 0u);
  EXPECT_EQ(calls, 1);
}

TEST(CompletionQueue, RunsInPostingOrderIncludingWhatCallbacksPost) {
  CompletionQueue queue;
  std::vector<int> order;
  queue.Post([&] {
    order.push_back(1);
    queue.Post([&] { order.push_back(3); });
  });
  queue.Post([&] { order.push_back(2); });
  EXPECT_EQ(queue.RunAll(), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace ssebridge
