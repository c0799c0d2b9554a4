// Unit tests for PollHolds (include/ssebridge/poll_holds.h) on a real
// PubsubRegistry: what a hold keeps, and its bounds in time, bytes and count.

#include "ssebridge/poll_holds.h"

#include <gtest/gtest.h>

#include <set>

#include "ssebridge/envelope.h"
#include "ssebridge/message_frame.h"

namespace ssebridge {
namespace {

class PollHoldsTest : public ::testing::Test {
 protected:
  PollHolds Make(uint64_t hold_ms = 1000, size_t max_bytes = 1 << 20, size_t max_holds = 100) {
    PollHolds::Options options;
    options.hold_ms = hold_ms;
    options.max_bytes = max_bytes;
    options.max_holds = max_holds;
    return PollHolds(&registry_, options);
  }
  // Publishes like the embedded broker; id 0 is a plain Redis PUBLISH.
  void Publish(const std::string& channel, const std::string& data, uint64_t id = 0) {
    Message message;
    message.data = data;
    if (id != 0) {
      message.id = std::to_string(id);
      message.sequence = id;
    }
    PubsubRegistry::LazyFrame frame([message] { return EncodeMessageFrame(message); });
    registry_.Publish(channel, frame);
  }
  static std::vector<std::string> Raw(const std::vector<FrameRef>& frames) {
    std::vector<std::string> out;
    for (const FrameRef& frame : frames) out.emplace_back(frame->raw());
    return out;
  }

  PubsubRegistry registry_;
};

TEST_F(PollHoldsTest, KeepsEverythingPublishedToItsChannelsInOrder) {
  PollHolds holds = Make();
  const uint64_t token = holds.Open({"a", "b*"}, 0);
  EXPECT_NE(token, 0u);
  EXPECT_EQ(registry_.subscriber_count(), 1u);
  Publish("a", "one");            // No id: a plain PUBLISH.
  Publish("other", "not mine");
  Publish("b.x", "two", 17);
  EXPECT_EQ(holds.Check(token, {"b*", "a"}), PollHolds::State::kComplete);
  EXPECT_EQ(Raw(holds.Take(token)), (std::vector<std::string>{"data: one\n\n", "id: 17\ndata: two\n\n"}));
  // Taken once: the hold and its subscription are gone.
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_EQ(holds.size(), 0u);
  EXPECT_EQ(holds.Check(token, {"a", "b*"}), PollHolds::State::kMissing);
  EXPECT_TRUE(holds.Take(token).empty());
}

TEST_F(PollHoldsTest, AnotherChannelSetOrAnUnknownTokenFindsNothing) {
  PollHolds holds = Make();
  const uint64_t token = holds.Open({"a"}, 0);
  EXPECT_EQ(holds.Check(token, {"a", "b"}), PollHolds::State::kMissing);
  EXPECT_EQ(holds.Check(token + 1, {"a"}), PollHolds::State::kMissing);
  EXPECT_EQ(holds.Check(token, {"a"}), PollHolds::State::kComplete);
}

TEST_F(PollHoldsTest, PastItsByteBoundAHoldKeepsNothingAndSaysSo) {
  PollHolds holds = Make(1000, 40);
  const uint64_t token = holds.Open({"a"}, 0);
  Publish("a", "0123456789");  // 18 bytes as an event.
  Publish("a", "0123456789");
  EXPECT_EQ(holds.Check(token, {"a"}), PollHolds::State::kComplete);
  Publish("a", "0123456789");  // 54 > 40.
  EXPECT_EQ(holds.Check(token, {"a"}), PollHolds::State::kIncomplete);
  Publish("a", "later");
  EXPECT_TRUE(holds.Take(token).empty());
  EXPECT_EQ(registry_.subscriber_count(), 0u);
}

TEST_F(PollHoldsTest, ACutOffHoldIsIncomplete) {
  PollHolds holds = Make();
  const uint64_t token = holds.Open({"a"}, 0);
  Publish("a", "kept until the cut");
  EXPECT_EQ(registry_.CutOffTopic("a", false, "test"), 1u);
  EXPECT_EQ(holds.Check(token, {"a"}), PollHolds::State::kIncomplete);
}

TEST_F(PollHoldsTest, HoldsExpireAfterTheirTime) {
  PollHolds holds = Make(1000);
  const uint64_t first = holds.Open({"a"}, 100);
  const uint64_t second = holds.Open({"a"}, 600);
  holds.Expire(1099);
  EXPECT_EQ(holds.size(), 2u);
  holds.Expire(1100);
  EXPECT_EQ(holds.Check(first, {"a"}), PollHolds::State::kMissing);
  EXPECT_EQ(holds.Check(second, {"a"}), PollHolds::State::kComplete);
  holds.Expire(1600);
  EXPECT_EQ(holds.size(), 0u);
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_EQ(registry_.exact_topic_count(), 0u);
}

TEST_F(PollHoldsTest, AtTheCountBoundTheOldestHoldMakesRoom) {
  PollHolds holds = Make(1000, 1 << 20, 3);
  std::vector<uint64_t> tokens;
  for (int i = 0; i < 5; ++i) tokens.push_back(holds.Open({"a"}, 0));
  EXPECT_EQ(holds.size(), 3u);
  EXPECT_EQ(holds.Check(tokens[0], {"a"}), PollHolds::State::kMissing);
  EXPECT_EQ(holds.Check(tokens[1], {"a"}), PollHolds::State::kMissing);
  EXPECT_EQ(holds.Check(tokens[4], {"a"}), PollHolds::State::kComplete);
  EXPECT_EQ(registry_.subscriber_count(), 3u);
}

TEST_F(PollHoldsTest, TokensAreDistinctAndNeverZero) {
  PollHolds holds = Make(1000, 1 << 20, 5000);
  std::set<uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    uint64_t token = holds.Open({"a"}, 0);
    EXPECT_NE(token, 0u);
    EXPECT_TRUE(seen.insert(token).second);
  }
}

// Without the kernel's random bytes tokens must still be distinct.
TEST_F(PollHoldsTest, TokensStayDistinctWhenTheKernelRefusesRandomBytes) {
  PollHolds::Options options;
  options.max_holds = 5000;
  PollHolds holds(&registry_, options, [](void*, size_t) { return false; });
  std::set<uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    uint64_t token = holds.Open({"a"}, 0);
    EXPECT_NE(token, 0u);
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST_F(PollHoldsTest, ClearAndDestructionUnsubscribe) {
  {
    PollHolds holds = Make();
    holds.Open({"a"}, 0);
    holds.Open({"b"}, 0);
    EXPECT_EQ(registry_.subscriber_count(), 2u);
  }
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_EQ(registry_.exact_topic_count(), 0u);
}

}  // namespace
}  // namespace ssebridge
