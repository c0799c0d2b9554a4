// Unit tests for PubsubRegistry (include/ssebridge/pubsub_registry.h): topic
// lifetime and listener events, swap-remove bookkeeping, exactly-once fan-out
// for embedded publishing and for Redis notifications, and lazy frames.

#include "ssebridge/pubsub_registry.h"

#include <uv.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

// Records every frame payload it receives.
class RecordingSink : public StreamSink {
 public:
  void SendFrame(const FrameRef& frame) override { frames.emplace_back(frame->raw()); }
  void CutOff(const char* why) override { cut_off.emplace_back(why); }
  std::vector<std::string> cut_off;
  std::vector<std::string> frames;
};

// Records topic events as "+name" / "-name" (patterns marked with a trailing " P").
class RecordingListener : public PubsubRegistry::Listener {
 public:
  void OnTopicActive(const std::string& name, bool is_pattern) override {
    events.push_back("+" + name + (is_pattern ? " P" : ""));
  }
  void OnTopicIdle(const std::string& name, bool is_pattern) override {
    events.push_back("-" + name + (is_pattern ? " P" : ""));
  }
  std::vector<std::string> events;
};

// A LazyFrame whose factory counts its calls.
struct CountingFrame {
  explicit CountingFrame(std::string payload)
      : lazy([this, payload] {
          ++builds;
          return Frame::FromPayload(payload);
        }) {}
  int builds = 0;
  PubsubRegistry::LazyFrame lazy;
};

class PubsubRegistryTest : public testing::Test {
 protected:
  PubsubRegistryTest() { registry_.set_listener(&listener_); }

  // Subscribers still live at the end of a test are released, so the tests
  // are leak-free under LeakSanitizer.
  void TearDown() override {
    for (auto* subscriber : live_) registry_.Unsubscribe(subscriber);
  }

  PubsubRegistry::Subscriber* Sub(StreamSink* sink, const std::vector<std::string>& names) {
    live_.push_back(registry_.Subscribe(sink, names));
    return live_.back();
  }

  void Unsub(PubsubRegistry::Subscriber* subscriber) {
    live_.erase(std::find(live_.begin(), live_.end(), subscriber));
    registry_.Unsubscribe(subscriber);
  }

  size_t Publish(const std::string& channel, const std::string& payload) {
    PubsubRegistry::LazyFrame frame([payload] { return Frame::FromPayload(payload); });
    return registry_.Publish(channel, frame);
  }

  size_t Notify(const std::string& source, bool is_pattern, const std::string& channel, const std::string& payload) {
    PubsubRegistry::LazyFrame frame([payload] { return Frame::FromPayload(payload); });
    return registry_.DeliverNotification(source, is_pattern, channel, frame);
  }

  std::set<std::pair<std::string, bool>> Topics() const {
    std::set<std::pair<std::string, bool>> topics;
    registry_.ForEachTopic([&](const std::string& name, bool is_pattern) { topics.emplace(name, is_pattern); });
    return topics;
  }

  PubsubRegistry registry_;
  RecordingListener listener_;
  std::vector<PubsubRegistry::Subscriber*> live_;
};

// --- Topic lifetime and listener events -------------------------------------------

TEST(PubsubRegistryFootprint, SubscriberRecordStaysSmall) {
  // One record per stream, so its size is part of the per-stream memory
  // figure (docs/performance.md): 64 bytes while topics and positions were
  // two vectors, 40 since they share one (x86-64, glibc).
  EXPECT_LE(sizeof(PubsubRegistry::Subscriber), 40u);
}

TEST_F(PubsubRegistryTest, FirstSubscriberActivatesLastIdlesExactlyOnce) {
  RecordingSink s1, s2;
  auto* a = Sub(&s1, {"news"});
  EXPECT_THAT(listener_.events, ElementsAre("+news"));
  auto* b = Sub(&s2, {"news"});
  EXPECT_THAT(listener_.events, ElementsAre("+news"));  // Already active: no second event.
  Unsub(a);
  EXPECT_THAT(listener_.events, ElementsAre("+news"));  // Still one subscriber left.
  Unsub(b);
  EXPECT_THAT(listener_.events, ElementsAre("+news", "-news"));
}

TEST_F(PubsubRegistryTest, PatternTopicsAreReportedAsPatterns) {
  RecordingSink s;
  auto* sub = Sub(&s, {"news.*", "plain", "h?llo", "[ab]"});
  EXPECT_THAT(listener_.events, UnorderedElementsAre("+news.* P", "+plain", "+h?llo P", "+[ab] P"));
  Unsub(sub);
  EXPECT_EQ(listener_.events.size(), 8u);
  EXPECT_THAT(std::vector<std::string>(listener_.events.begin() + 4, listener_.events.end()),
              UnorderedElementsAre("-news.* P", "-plain", "-h?llo P", "-[ab] P"));
}

TEST_F(PubsubRegistryTest, DuplicateNamesInOneSubscribeCountOnce) {
  RecordingSink s;
  auto* sub = Sub(&s, {"a", "a", "a*", "a*"});
  EXPECT_EQ(registry_.subscription_count(), 2u);
  EXPECT_THAT(listener_.events, ElementsAre("+a", "+a* P"));
  EXPECT_EQ(Publish("a", "m"), 1u);
  EXPECT_THAT(s.frames, ElementsAre("m"));
  Unsub(sub);
  EXPECT_EQ(registry_.subscription_count(), 0u);
  EXPECT_EQ(registry_.exact_topic_count(), 0u);
  EXPECT_EQ(registry_.pattern_topic_count(), 0u);
}

TEST_F(PubsubRegistryTest, ResubscribeAfterIdleActivatesAgain) {
  RecordingSink s;
  Unsub(Sub(&s, {"x"}));
  Unsub(Sub(&s, {"x"}));
  EXPECT_THAT(listener_.events, ElementsAre("+x", "-x", "+x", "-x"));
}

TEST_F(PubsubRegistryTest, WorksWithoutListener) {
  PubsubRegistry registry;
  RecordingSink s;
  auto* sub = registry.Subscribe(&s, {"a", "b*"});
  PubsubRegistry::LazyFrame frame([] { return Frame::FromPayload("m"); });
  EXPECT_EQ(registry.Publish("bob", frame), 1u);
  registry.Unsubscribe(sub);
  EXPECT_EQ(registry.subscriber_count(), 0u);
}

TEST_F(PubsubRegistryTest, Counts) {
  RecordingSink s1, s2, s3;
  auto* a = Sub(&s1, {"x", "y", "p*"});
  auto* b = Sub(&s2, {"x", "q?"});
  auto* c = Sub(&s3, {"p*"});
  EXPECT_EQ(registry_.subscriber_count(), 3u);
  EXPECT_EQ(registry_.subscription_count(), 6u);
  EXPECT_EQ(registry_.exact_topic_count(), 2u);    // x, y
  EXPECT_EQ(registry_.pattern_topic_count(), 2u);  // p*, q?
  EXPECT_EQ(Topics(), (std::set<std::pair<std::string, bool>>{{"x", false}, {"y", false}, {"p*", true}, {"q?", true}}));

  Unsub(a);
  EXPECT_EQ(registry_.subscriber_count(), 2u);
  EXPECT_EQ(registry_.subscription_count(), 3u);
  EXPECT_EQ(registry_.exact_topic_count(), 1u);    // x (still b)
  EXPECT_EQ(registry_.pattern_topic_count(), 2u);  // p* (still c), q?

  Unsub(b);
  Unsub(c);
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_EQ(registry_.subscription_count(), 0u);
  EXPECT_EQ(registry_.exact_topic_count(), 0u);
  EXPECT_EQ(registry_.pattern_topic_count(), 0u);
  EXPECT_TRUE(Topics().empty());
}

TEST_F(PubsubRegistryTest, SubscriberWithNoTopicsIsCounted) {
  RecordingSink s;
  auto* sub = Sub(&s, {});
  EXPECT_EQ(registry_.subscriber_count(), 1u);
  EXPECT_EQ(registry_.subscription_count(), 0u);
  Unsub(sub);
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_THAT(listener_.events, IsEmpty());
}

// --- Swap-remove correctness --------------------------------------------------------

TEST_F(PubsubRegistryTest, RandomOrderUnsubscribeKeepsIndexConsistent) {
  // Many streams over overlapping topics, removed in a random (seeded) order.
  // After every removal each channel must reach exactly the remaining streams.
  const std::vector<std::string> channels = {"c0", "c1", "c2", "c3", "c4", "c5"};
  const std::vector<std::string> patterns = {"c*", "c[0-2]", "c?"};
  constexpr int kStreams = 60;
  std::mt19937 rng(12345);

  std::vector<std::unique_ptr<RecordingSink>> sinks;
  std::vector<PubsubRegistry::Subscriber*> handles;
  std::vector<std::vector<std::string>> names(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    for (const auto& c : channels) {
      if (rng() % 3 == 0) names[i].push_back(c);
    }
    for (const auto& p : patterns) {
      if (rng() % 5 == 0) names[i].push_back(p);
    }
    if (names[i].empty()) names[i].push_back(channels[i % channels.size()]);
    sinks.push_back(std::make_unique<RecordingSink>());
    handles.push_back(Sub(sinks.back().get(), names[i]));
  }

  std::vector<int> order(kStreams);
  for (int i = 0; i < kStreams; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);

  std::set<int> alive(order.begin(), order.end());
  int message = 0;
  for (int victim : order) {
    Unsub(handles[victim]);
    alive.erase(victim);
    for (const auto& channel : channels) {
      for (auto& sink : sinks) sink->frames.clear();
      const std::string payload = "m" + std::to_string(message++);
      size_t delivered = Publish(channel, payload);

      size_t expected = 0;
      for (int i = 0; i < kStreams; ++i) {
        bool wants = false;
        for (const auto& n : names[i]) {
          wants |= n == channel || n == "c*" || n == "c?" ||
                   (n == "c[0-2]" && (channel == "c0" || channel == "c1" || channel == "c2"));
        }
        bool should_receive = alive.count(i) && wants;
        expected += should_receive;
        ASSERT_EQ(sinks[i]->frames.size(), should_receive ? 1u : 0u)
            << "stream " << i << " channel " << channel << " after removing " << victim;
      }
      ASSERT_EQ(delivered, expected);
    }
  }
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_EQ(registry_.subscription_count(), 0u);
  EXPECT_TRUE(Topics().empty());
}

TEST_F(PubsubRegistryTest, EveryTopicGetsExactlyOneActiveAndOneIdleUnderChurn) {
  std::mt19937 rng(99);
  const std::vector<std::string> names = {"a", "b", "c", "a*", "b?"};
  std::vector<std::unique_ptr<RecordingSink>> sinks;
  std::vector<PubsubRegistry::Subscriber*> live;
  for (int step = 0; step < 2000; ++step) {
    if (live.empty() || rng() % 2 == 0) {
      std::vector<std::string> pick;
      for (const auto& n : names) {
        if (rng() % 2) pick.push_back(n);
      }
      sinks.push_back(std::make_unique<RecordingSink>());
      live.push_back(Sub(sinks.back().get(), pick));
    } else {
      size_t index = rng() % live.size();
      Unsub(live[index]);
      live[index] = live.back();
      live.pop_back();
    }
  }
  for (auto* sub : live) Unsub(sub);

  // Per topic, events must alternate +,-,+,-... and end idle.
  std::map<std::string, char> last;
  for (const std::string& e : listener_.events) {
    std::string topic = e.substr(1);
    char kind = e[0];
    char previous = last.count(topic) ? last[topic] : '-';
    ASSERT_NE(previous, kind) << "duplicate event " << e;
    last[topic] = kind;
  }
  for (const auto& [topic, kind] : last) EXPECT_EQ(kind, '-') << topic;
  EXPECT_TRUE(Topics().empty());
}

// --- Publish (embedded broker) ------------------------------------------------------

TEST_F(PubsubRegistryTest, PublishReachesExactAndMatchingPatternSubscribers) {
  RecordingSink exact, pattern, other;
  Sub(&exact, {"news.sport"});
  Sub(&pattern, {"news.*"});
  Sub(&other, {"weather"});
  EXPECT_EQ(Publish("news.sport", "goal"), 2u);
  EXPECT_THAT(exact.frames, ElementsAre("goal"));
  EXPECT_THAT(pattern.frames, ElementsAre("goal"));
  EXPECT_THAT(other.frames, IsEmpty());
}

TEST_F(PubsubRegistryTest, PublishToUnknownChannelDeliversNothing) {
  RecordingSink s;
  Sub(&s, {"a", "b*"});
  EXPECT_EQ(Publish("c", "x"), 0u);
  EXPECT_THAT(s.frames, IsEmpty());
}

TEST_F(PubsubRegistryTest, OverlappingSubscriptionsDeliverOncePerSink) {
  // "a", "a*" and "*" all match channel "a": still one frame.
  RecordingSink s;
  Sub(&s, {"a", "a*", "*"});
  EXPECT_EQ(Publish("a", "once"), 1u);
  EXPECT_THAT(s.frames, ElementsAre("once"));
}

TEST_F(PubsubRegistryTest, ConsecutiveMessagesAreBothDelivered) {
  // De-duplication is per message, not per stream.
  RecordingSink s;
  Sub(&s, {"a", "a*"});
  Publish("a", "one");
  Publish("a", "two");
  Publish("ab", "three");
  EXPECT_THAT(s.frames, ElementsAre("one", "two", "three"));
}

TEST_F(PubsubRegistryTest, SameLazyFramePublishedToTwoChannelsDeliversOnce) {
  RecordingSink both, only_a, only_b;
  Sub(&both, {"a", "b"});
  Sub(&only_a, {"a"});
  Sub(&only_b, {"b"});
  CountingFrame frame("multi");
  size_t total = registry_.Publish("a", frame.lazy) + registry_.Publish("b", frame.lazy);
  EXPECT_EQ(total, 3u);
  EXPECT_THAT(both.frames, ElementsAre("multi"));
  EXPECT_THAT(only_a.frames, ElementsAre("multi"));
  EXPECT_THAT(only_b.frames, ElementsAre("multi"));
  EXPECT_EQ(frame.builds, 1);
}

TEST_F(PubsubRegistryTest, LazyFrameIsNotBuiltWhenNobodyReceivesIt) {
  RecordingSink s;
  Sub(&s, {"a", "b*"});
  CountingFrame frame("unused");
  EXPECT_EQ(registry_.Publish("zzz", frame.lazy), 0u);
  EXPECT_EQ(frame.builds, 0);
  EXPECT_EQ(registry_.DeliverNotification("zzz", false, "zzz", frame.lazy), 0u);
  EXPECT_EQ(frame.builds, 0);
}

TEST_F(PubsubRegistryTest, LazyFrameIsBuiltOnceForManyReceivers) {
  std::vector<RecordingSink> sinks(25);
  for (auto& s : sinks) Sub(&s, {"hot", "h*"});
  CountingFrame frame("payload");
  EXPECT_EQ(registry_.Publish("hot", frame.lazy), 25u);
  EXPECT_EQ(frame.builds, 1);
  for (const auto& s : sinks) EXPECT_THAT(s.frames, ElementsAre("payload"));
}

TEST_F(PubsubRegistryTest, ABuiltFrameIsStampedWithTheTimeItEnteredFanOut) {
  PubsubRegistry::LazyFrame frame([] { return Frame::FromPayload("x"); });
  const uint32_t before = static_cast<uint32_t>(uv_hrtime() / 1000);
  const FrameRef& built = frame.get();
  const uint32_t after = static_cast<uint32_t>(uv_hrtime() / 1000);
  // Modular differences, as the histogram takes them.
  EXPECT_LE(built->fanout_us() - before, after - before);
  EXPECT_NE(built->fanout_us(), 0u);
  // Frames that never entered fan-out carry no stamp.
  EXPECT_EQ(Frame::FromPayload("heartbeat")->fanout_us(), 0u);
}

TEST_F(PubsubRegistryTest, ReceiversShareOneFrame) {
  class PointerSink : public StreamSink {
   public:
    void SendFrame(const FrameRef& frame) override { frames.push_back(frame); }
    void CutOff(const char*) override {}
    std::vector<FrameRef> frames;
  } s1, s2;
  Sub(&s1, {"a"});
  Sub(&s2, {"a"});
  Publish("a", "x");
  ASSERT_EQ(s1.frames.size(), 1u);
  ASSERT_EQ(s2.frames.size(), 1u);
  EXPECT_EQ(s1.frames[0].get(), s2.frames[0].get());
}

TEST_F(PubsubRegistryTest, TopicsAddedToALiveSubscriberDeliverAndRemovedOnesStop) {
  RecordingSink sink, other;
  auto* subscriber = Sub(&sink, {"a"});
  Sub(&other, {"b"});
  listener_.events.clear();
  EXPECT_EQ(registry_.AddTopics(subscriber, {"b", "c*", "a", "b"}), 2u);  // "a" held, "b" twice.
  EXPECT_THAT(listener_.events, ElementsAre("+c* P"));  // "b" was active already.
  EXPECT_EQ(registry_.subscription_count(), 4u);
  EXPECT_EQ(Publish("b", "to b"), 2u);
  EXPECT_EQ(Publish("c1", "to c1"), 1u);
  EXPECT_THAT(sink.frames, ElementsAre("to b", "to c1"));

  EXPECT_TRUE(registry_.RemoveTopic(subscriber, "b"));
  EXPECT_FALSE(registry_.RemoveTopic(subscriber, "b"));
  EXPECT_TRUE(registry_.RemoveTopic(subscriber, "c*"));
  EXPECT_THAT(listener_.events, ElementsAre("+c* P", "-c* P"));  // "b" still has the other stream.
  EXPECT_EQ(Publish("b", "again"), 1u);
  EXPECT_EQ(Publish("c1", "again"), 0u);
  EXPECT_EQ(Publish("a", "to a"), 1u);
  EXPECT_THAT(sink.frames, ElementsAre("to b", "to c1", "to a"));
  EXPECT_THAT(other.frames, ElementsAre("to b", "again"));
  EXPECT_EQ(registry_.subscription_count(), 2u);
  // The last topic can go too; the subscriber stays valid until Unsubscribe.
  EXPECT_TRUE(registry_.RemoveTopic(subscriber, "a"));
  EXPECT_THAT(listener_.events, ElementsAre("+c* P", "-c* P", "-a"));
  EXPECT_EQ(Publish("a", "gone"), 0u);
}

TEST_F(PubsubRegistryTest, RemovingATopicKeepsOtherSubscribersPositionsRight) {
  RecordingSink one, two, three;
  auto* first = Sub(&one, {"x", "y"});
  Sub(&two, {"y", "x"});
  Sub(&three, {"x"});
  EXPECT_TRUE(registry_.RemoveTopic(first, "x"));
  EXPECT_EQ(Publish("x", "m"), 2u);
  Unsub(first);
  EXPECT_EQ(Publish("y", "n"), 1u);
  EXPECT_THAT(two.frames, ElementsAre("m", "n"));
  EXPECT_THAT(three.frames, ElementsAre("m"));
}

TEST(LazyFrameTest, SerialsAreDistinctAndGetIsCached) {
  int builds = 0;
  PubsubRegistry::LazyFrame a([&] {
    ++builds;
    return Frame::FromPayload("a");
  });
  PubsubRegistry::LazyFrame b([] { return Frame::FromPayload("b"); });
  EXPECT_NE(a.serial(), b.serial());
  EXPECT_EQ(builds, 0);
  const Frame* first = a.get().get();
  const Frame* second = a.get().get();
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(first, second);
  EXPECT_EQ(a.get()->raw(), "a");
}

// --- DeliverNotification (Redis broker) -----------------------------------------------

TEST_F(PubsubRegistryTest, NotificationReachesSubscribersOfItsSource) {
  RecordingSink exact, pattern;
  Sub(&exact, {"a"});
  Sub(&pattern, {"a*"});
  EXPECT_EQ(Notify("a", false, "a", "via-exact"), 1u);
  EXPECT_EQ(Notify("a*", true, "a", "via-pattern"), 1u);
  EXPECT_THAT(exact.frames, ElementsAre("via-exact"));
  EXPECT_THAT(pattern.frames, ElementsAre("via-pattern"));
}

TEST_F(PubsubRegistryTest, NotificationForUnknownSourceIsDropped) {
  // E.g. unsubscribed locally while the message was in flight.
  RecordingSink s;
  Sub(&s, {"a"});
  EXPECT_EQ(Notify("b", false, "b", "x"), 0u);
  EXPECT_EQ(Notify("a", true, "a", "x"), 0u);  // "a" exists only as an exact topic.
  EXPECT_THAT(s.frames, IsEmpty());
}

TEST_F(PubsubRegistryTest, ExactSubscriptionIsTheDesignatedTopic) {
  // Redis sends both "message a" and "pmessage a* a"; the stream takes only one.
  RecordingSink s;
  Sub(&s, {"a", "a*"});
  EXPECT_EQ(Notify("a*", true, "a", "via-pattern"), 0u);
  EXPECT_EQ(Notify("a", false, "a", "via-exact"), 1u);
  EXPECT_THAT(s.frames, ElementsAre("via-exact"));
  // For another channel only the pattern matches, so it is designated.
  EXPECT_EQ(Notify("a*", true, "ab", "ab-via-pattern"), 1u);
  EXPECT_THAT(s.frames, ElementsAre("via-exact", "ab-via-pattern"));
}

TEST_F(PubsubRegistryTest, DesignatedRuleHoldsRegardlessOfNotificationOrder) {
  RecordingSink s;
  Sub(&s, {"a*", "a"});
  EXPECT_EQ(Notify("a", false, "a", "via-exact"), 1u);
  EXPECT_EQ(Notify("a*", true, "a", "via-pattern"), 0u);
  EXPECT_THAT(s.frames, ElementsAre("via-exact"));
}

TEST_F(PubsubRegistryTest, SmallestMatchingPatternIsDesignated) {
  // "a*" < "ab*" in byte order ('*' is 0x2A, 'b' is 0x62).
  RecordingSink s;
  Sub(&s, {"ab*", "a*"});
  EXPECT_EQ(Notify("ab*", true, "abc", "via-ab*"), 0u);
  EXPECT_EQ(Notify("a*", true, "abc", "via-a*"), 1u);
  EXPECT_THAT(s.frames, ElementsAre("via-a*"));
}

TEST_F(PubsubRegistryTest, SmallestPatternIsChosenAmongMatchingOnesOnly) {
  // "a?" < "b*" < "c*" but "a?" does not match "bcd"; "b*" does.
  RecordingSink s;
  Sub(&s, {"c*", "a?", "b*", "*d"});
  // Matching patterns for "bcd": "b*" and "*d"; "*d" < "b*" since '*' < 'b'.
  EXPECT_EQ(Notify("b*", true, "bcd", "via-b*"), 0u);
  EXPECT_EQ(Notify("*d", true, "bcd", "via-*d"), 1u);
  EXPECT_THAT(s.frames, ElementsAre("via-*d"));
}

TEST_F(PubsubRegistryTest, DesignatedRuleIsPerStream) {
  // Two streams on the same pattern; only the one without a better topic takes it.
  RecordingSink pattern_only, exact_too;
  Sub(&pattern_only, {"a*"});
  Sub(&exact_too, {"a*", "a"});
  EXPECT_EQ(Notify("a*", true, "a", "p"), 1u);
  EXPECT_THAT(pattern_only.frames, ElementsAre("p"));
  EXPECT_THAT(exact_too.frames, IsEmpty());
  EXPECT_EQ(Notify("a", false, "a", "e"), 1u);
  EXPECT_THAT(exact_too.frames, ElementsAre("e"));
}

TEST_F(PubsubRegistryTest, MultiChannelNotificationsSharingAFrameDeliverOnce) {
  // One publish to "x" and "y" arrives as two notifications with one frame.
  RecordingSink both, only_y;
  Sub(&both, {"x", "y"});
  Sub(&only_y, {"y"});
  CountingFrame frame("once");
  size_t total = registry_.DeliverNotification("x", false, "x", frame.lazy) +
                 registry_.DeliverNotification("y", false, "y", frame.lazy);
  EXPECT_EQ(total, 2u);
  EXPECT_THAT(both.frames, ElementsAre("once"));
  EXPECT_THAT(only_y.frames, ElementsAre("once"));
  EXPECT_EQ(frame.builds, 1);
}

TEST(PubsubRegistryCutOffTest, CutsOffEveryStreamOfTheTopicAndNoOther) {
  PubsubRegistry registry;
  RecordingSink exact;
  RecordingSink pattern;
  RecordingSink other;
  PubsubRegistry::Subscriber* subscribers[] = {registry.Subscribe(&exact, {"news"}),
                                               registry.Subscribe(&pattern, {"ne*", "sport"}),
                                               registry.Subscribe(&other, {"sport"})};
  EXPECT_EQ(registry.CutOffTopic("news", false, "why"), 1u);
  EXPECT_EQ(registry.CutOffTopic("ne*", true, "why"), 1u);
  EXPECT_EQ(registry.CutOffTopic("ne*", false, "why"), 0u);
  EXPECT_EQ(registry.CutOffTopic("nothing", false, "why"), 0u);
  EXPECT_THAT(exact.cut_off, ElementsAre("why"));
  EXPECT_THAT(pattern.cut_off, ElementsAre("why"));
  EXPECT_THAT(other.cut_off, IsEmpty());
  for (PubsubRegistry::Subscriber* subscriber : subscribers) registry.Unsubscribe(subscriber);
}

}  // namespace
}  // namespace ssebridge
