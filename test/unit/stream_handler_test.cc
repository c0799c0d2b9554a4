// Unit tests for HandleStream (include/ssebridge/handlers/stream_handler.h)
// with a fake exchange: no socket, no loop turn.

#include "ssebridge/handlers/stream_handler.h"

#include "fake_exchange.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

using StreamHandlerTest = testing_fakes::HandlerTest;

TEST_F(StreamHandlerTest, StartsAStreamOnThePathAndQueryChannels) {
  HttpRequest request = Request("GET", "/events/a?channel=b");
  request.headers.emplace_back("last-event-id", "9");
  FakeExchange exchange(&context_, request, "a", "channel=b");
  HandleStream(exchange);
  ASSERT_TRUE(exchange.stream.has_value());
  EXPECT_EQ(exchange.stream->channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(exchange.stream->last_event_id, "9");
  EXPECT_FALSE(exchange.counted.has_value());  // No per-client limit configured.
  EXPECT_TRUE(exchange.answers.empty());
}

TEST_F(StreamHandlerTest, NoChannelIs400) {
  HttpRequest request = Request("GET", "/events");
  FakeExchange exchange(&context_, request);
  HandleStream(exchange);
  EXPECT_FALSE(exchange.stream.has_value());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
}

TEST_F(StreamHandlerTest, NoChannelIsEveryChannelWithEmptySubscribeAll) {
  config_.empty_subscribe_all = true;
  HttpRequest request = Request("GET", "/events");
  FakeExchange exchange(&context_, request);
  HandleStream(exchange);
  ASSERT_TRUE(exchange.stream.has_value());
  EXPECT_EQ(exchange.stream->channels, std::vector<std::string>{"*"});
  EXPECT_TRUE(exchange.answers.empty());
}

TEST_F(StreamHandlerTest, WaitsBehindEarlierAnswersBeforeParsing) {
  HttpRequest request = Request("GET", "/events");  // Invalid, but not looked at yet.
  FakeExchange exchange(&context_, request);
  exchange.earlier_answers_owed = true;
  HandleStream(exchange);
  EXPECT_TRUE(exchange.held);
  EXPECT_TRUE(exchange.answers.empty());
  EXPECT_FALSE(exchange.stream.has_value());
}

TEST_F(StreamHandlerTest, TheStreamHoldsTheClientsCountAndTheNextOverTheLimitIs429) {
  ClientLimits::Options options;
  options.max_streams = 1;
  SetLimits(options);
  IpAddress peer;
  ASSERT_TRUE(ParseIpAddress("192.0.2.7", &peer));
  HttpRequest request = Request("GET", "/events/a");
  FakeExchange first(&context_, request, "a", "", peer);
  HandleStream(first);
  ASSERT_TRUE(first.counted.has_value());
  EXPECT_EQ(*first.counted, peer);

  FakeExchange second(&context_, request, "a", "", peer);
  HandleStream(second);
  EXPECT_FALSE(second.stream.has_value());
  ASSERT_EQ(second.answers.size(), 1u);
  EXPECT_EQ(second.answers[0].status, 429);
  EXPECT_EQ(counters_.rejected_per_ip_streams, 1u);
  EXPECT_EQ(counters_.http_errors, 1u);
}

TEST_F(StreamHandlerTest, APollMarkerMakesItAPollWithItsCursor) {
  HttpRequest request = Request("GET", "/events/a?poll=1&cursor=0000000000000003.5");
  FakeExchange exchange(&context_, request, "a", "poll=1&cursor=0000000000000003.5");
  HandleStream(exchange);
  ASSERT_TRUE(exchange.stream.has_value());
  ASSERT_TRUE(exchange.stream->poll.has_value());
  ASSERT_TRUE(exchange.stream->poll->cursor.has_value());
  EXPECT_EQ(*exchange.stream->poll->cursor, (PollCursor{3, 5}));
}

TEST_F(StreamHandlerTest, ABadPollParameterIs400) {
  HttpRequest request = Request("GET", "/events/a?poll=2");
  FakeExchange exchange(&context_, request, "a", "poll=2");
  HandleStream(exchange);
  EXPECT_FALSE(exchange.stream.has_value());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
  EXPECT_NE(exchange.answers[0].body.find("poll must be 1 or 0"), std::string::npos);
}

}  // namespace
}  // namespace ssebridge
