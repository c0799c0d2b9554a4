// Unit tests for GET /stats (include/ssebridge/handlers/stats_handler.h).

#include "ssebridge/handlers/stats_handler.h"

#include "fake_exchange.h"
#include "ssebridge/poll_holds.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

class NullSink final : public StreamSink {
 public:
  void SendFrame(const FrameRef&) override {}
  void CutOff(const char*) override {}
};

using StatsHandlerTest = testing_fakes::HandlerTest;

TEST_F(StatsHandlerTest, EmptyRegistry) {
  auto answer = AnswerTo(HandleStats, "GET", "/stats");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, R"({"channels":{},"patterns":{},"subscribers":0,"streams":0,"poll_holds":0,)"
            R"("channel_messages":{},"pattern_messages":{}})");
}

TEST_F(StatsHandlerTest, CountsSubscribersPerChannelAndPatternSortedByName) {
  NullSink one, two, three;
  auto* a = registry_.Subscribe(&one, {"news", "alerts"});
  auto* b = registry_.Subscribe(&two, {"news"});
  auto* c = registry_.Subscribe(&three, {"orders.*", "caf\xc3\xa9\""});
  EXPECT_EQ(StatsJson(context_),
            "{\"channels\":{\"alerts\":1,\"caf\xc3\xa9\\\"\":1,\"news\":2},\"patterns\":{\"orders.*\":1},"
            "\"subscribers\":3,\"streams\":3,\"poll_holds\":0,"
            "\"channel_messages\":{\"alerts\":{\"total\":0,\"per_second\":0.00},"
            "\"caf\xc3\xa9\\\"\":{\"total\":0,\"per_second\":0.00},\"news\":{\"total\":0,\"per_second\":0.00}},"
            "\"pattern_messages\":{\"orders.*\":{\"total\":0,\"per_second\":0.00}}}");
  registry_.Unsubscribe(a);
  registry_.Unsubscribe(b);
  registry_.Unsubscribe(c);
}

TEST_F(StatsHandlerTest, APollersHoldCountsAsASubscriberButNotAStream) {
  PollHolds holds(&registry_, PollHolds::Options{});
  context_.poll_holds = &holds;
  NullSink stream;
  auto* subscriber = registry_.Subscribe(&stream, {"base"});
  holds.Open({"base"}, 0);
  EXPECT_EQ(StatsJson(context_),
            R"({"channels":{"base":2},"patterns":{},"subscribers":2,"streams":1,"poll_holds":1,)"
            R"("channel_messages":{"base":{"total":0,"per_second":0.00}},"pattern_messages":{}})");
  registry_.Unsubscribe(subscriber);
  holds.Clear();
  context_.poll_holds = nullptr;
}

TEST_F(StatsHandlerTest, CountsMessagesPerChannelAndPatternWhileSubscribed) {
  NullSink exact, pattern;
  auto* a = registry_.Subscribe(&exact, {"news"});
  auto* b = registry_.Subscribe(&pattern, {"n*"});
  for (int i = 0; i < 3; ++i) {
    PubsubRegistry::LazyFrame frame([] { return Frame::FromPayload("data: x\n\n"); });
    registry_.Publish("news", frame);
  }
  PubsubRegistry::LazyFrame other([] { return Frame::FromPayload("data: y\n\n"); });
  registry_.Publish("nothing-else", other);
  const std::string json = StatsJson(context_);
  // Three messages within the first second read as three per second.
  EXPECT_NE(json.find(R"("channel_messages":{"news":{"total":3,"per_second":3.00}})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("pattern_messages":{"n*":{"total":4,"per_second":4.00}})"), std::string::npos) << json;
  registry_.Unsubscribe(a);
  registry_.Unsubscribe(b);
}

}  // namespace
}  // namespace ssebridge
