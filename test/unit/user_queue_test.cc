// Unit tests for UserQueue (include/ssebridge/user_queue.h): the per-user
// bound (oldest dropped, the drop reported), the time to live, the global
// byte bound and putting back what a drain could not deliver.

#include "ssebridge/user_queue.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

FrameRef Message(const std::string& text) { return Frame::FromPayload("data: " + text + "\n\n"); }

std::vector<std::string> Texts(const UserQueue::Drained& drained) {
  std::vector<std::string> texts;
  for (const FrameRef& frame : drained.frames) texts.emplace_back(frame->raw());
  return texts;
}

UserQueue::Limits Limits(uint64_t ttl_ms, size_t per_user, size_t max_bytes = 1u << 20) {
  UserQueue::Limits limits;
  limits.ttl_ms = ttl_ms;
  limits.per_user = per_user;
  limits.max_bytes = max_bytes;
  return limits;
}

TEST(UserQueueTest, KeepsPerUserAndDeliversOnce) {
  UserQueue queue(Limits(1000, 10));
  EXPECT_EQ(queue.Add("user:alice", Message("a1"), 0), 0u);
  EXPECT_EQ(queue.Add("user:bob", Message("b1"), 0), 0u);
  EXPECT_EQ(queue.Add("user:alice", Message("a2"), 1), 0u);
  EXPECT_EQ(queue.messages(), 3u);
  EXPECT_TRUE(queue.Holds("user:alice"));
  UserQueue::Drained drained = queue.Take("user:alice", 2);
  EXPECT_EQ(Texts(drained), (std::vector<std::string>{"data: a1\n\n", "data: a2\n\n"}));
  EXPECT_EQ(drained.dropped, 0u);
  EXPECT_FALSE(queue.Holds("user:alice"));
  EXPECT_TRUE(queue.Take("user:alice", 2).frames.empty());
  EXPECT_EQ(queue.messages(), 1u);
  EXPECT_EQ(queue.bytes(), UserQueueCharge(Message("b1")));
}

TEST(UserQueueTest, ThePerUserBoundDropsTheOldestAndReportsIt) {
  UserQueue queue(Limits(1000, 2));
  EXPECT_EQ(queue.Add("user:alice", Message("1"), 0), 0u);
  EXPECT_EQ(queue.Add("user:alice", Message("2"), 0), 0u);
  EXPECT_EQ(queue.Add("user:alice", Message("3"), 0), 1u);
  EXPECT_EQ(queue.Add("user:alice", Message("4"), 0), 1u);
  UserQueue::Drained drained = queue.Take("user:alice", 0);
  EXPECT_EQ(Texts(drained), (std::vector<std::string>{"data: 3\n\n", "data: 4\n\n"}));
  EXPECT_EQ(drained.dropped, 2u);
  EXPECT_EQ(queue.messages(), 0u);
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(UserQueueTest, MessagesExpireAfterTheirTimeToLive) {
  UserQueue queue(Limits(1000, 10));
  queue.Add("user:alice", Message("old"), 0);
  queue.Add("user:alice", Message("new"), 600);
  size_t expired = 0;
  UserQueue::Drained drained = queue.Take("user:alice", 1000, &expired);
  EXPECT_EQ(Texts(drained), (std::vector<std::string>{"data: new\n\n"}));
  EXPECT_EQ(expired, 1u);

  queue.Add("user:bob", Message("x"), 0);
  EXPECT_EQ(queue.Expire(999), 0u);
  EXPECT_EQ(queue.Expire(1000), 1u);
  EXPECT_EQ(queue.users(), 0u);
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(UserQueueTest, TheGlobalByteBoundDropsTheNewMessageAndTellsItsUser) {
  const size_t one = UserQueueCharge(Message("x"));
  UserQueue queue(Limits(1000, 10, 2 * one));
  EXPECT_EQ(queue.Add("user:alice", Message("x"), 0), 0u);
  EXPECT_EQ(queue.Add("user:bob", Message("y"), 0), 0u);
  EXPECT_EQ(queue.Add("user:carol", Message("z"), 0), 1u);
  UserQueue::Drained carol = queue.Take("user:carol", 0);
  EXPECT_TRUE(carol.frames.empty());
  EXPECT_EQ(carol.dropped, 1u);
  // A drop report alone expires with the ttl too.
  queue.Add("user:dave", Message("w"), 0);
  EXPECT_EQ(queue.Take("user:dave", 0).dropped, 1u);
}

TEST(UserQueueTest, PutBackGoesBeforeWhatArrivedMeanwhile) {
  UserQueue queue(Limits(1000, 3));
  queue.Add("user:alice", Message("1"), 0);
  queue.Add("user:alice", Message("2"), 0);
  UserQueue::Drained drained = queue.Take("user:alice", 0);
  queue.Add("user:alice", Message("3"), 0);
  queue.Add("user:alice", Message("4"), 0);
  EXPECT_EQ(queue.PutBack("user:alice", std::move(drained), 0), 1u);
  UserQueue::Drained again = queue.Take("user:alice", 0);
  EXPECT_EQ(Texts(again), (std::vector<std::string>{"data: 2\n\n", "data: 3\n\n", "data: 4\n\n"}));
  EXPECT_EQ(again.dropped, 1u);
}

TEST(UserQueueTest, DisabledQueueKeepsNothing) {
  UserQueue queue(Limits(0, 10));
  EXPECT_FALSE(queue.enabled());
  EXPECT_EQ(queue.Add("user:alice", Message("1"), 0), 1u);
  EXPECT_EQ(queue.messages(), 0u);
}

TEST(UserQueueTest, TheGapEventSaysHowManyWereLost) {
  FrameRef gap = EncodeUserQueueGapFrame(3);
  EXPECT_EQ(std::string(gap->raw()),
            "event: gap\ndata: {\"lastEventId\":null,\"oldestId\":null,\"reason\":\"user-queue-full\",\"dropped\":3}\n\n");
}

}  // namespace
}  // namespace ssebridge
