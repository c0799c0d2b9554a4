// Unit tests for HandleRoot (include/ssebridge/handlers/root_handler.h): the
// cyclone-sse root is a stream when the query names a channel, else the demo page.

#include "ssebridge/handlers/root_handler.h"

#include "fake_exchange.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

using RootHandlerTest = testing_fakes::HandlerTest;

TEST(QueryNamesChannelsTest, RecognisesEverySpelling) {
  EXPECT_TRUE(QueryNamesChannels("channels=base"));
  EXPECT_TRUE(QueryNamesChannels("channel=base"));
  EXPECT_TRUE(QueryNamesChannels("_=1&channels%5B%5D=base"));
  EXPECT_TRUE(QueryNamesChannels("channels="));  // Empty: the stream handler answers 400.
  EXPECT_FALSE(QueryNamesChannels(""));
  EXPECT_FALSE(QueryNamesChannels("_=1&uuid=abc"));
  EXPECT_FALSE(QueryNamesChannels("channelz=base"));
}

TEST_F(RootHandlerTest, WithChannelsItIsAStreamIgnoringOtherParameters) {
  HttpRequest request = Request("GET", "/?channels=base&channels=news&uuid=7");
  FakeExchange exchange(&context_, request, "", "channels=base&channels=news&uuid=7");
  HandleRoot(exchange);
  ASSERT_TRUE(exchange.stream.has_value());
  EXPECT_EQ(exchange.stream->channels, (std::vector<std::string>{"base", "news"}));
  EXPECT_FALSE(exchange.stream->poll.has_value());
  EXPECT_TRUE(exchange.answers.empty());
}

TEST_F(RootHandlerTest, AJqueryPollIsAPoll) {
  HttpRequest request = Request("GET", "/?channels=base&_=1700000000000");
  request.headers.emplace_back("accept", "*/*");
  request.headers.emplace_back("x-requested-with", "XMLHttpRequest");
  FakeExchange exchange(&context_, request, "", "channels=base&_=1700000000000");
  HandleRoot(exchange);
  ASSERT_TRUE(exchange.stream.has_value());
  ASSERT_TRUE(exchange.stream->poll.has_value());
  EXPECT_FALSE(exchange.stream->poll->cursor.has_value());
}

TEST_F(RootHandlerTest, WithoutChannelsItIsTheDemoPage) {
  for (const char* target : {"/", "/?_=1", "/?uuid=3"}) {
    HttpRequest request = Request("GET", target);
    std::string_view query = std::string_view(target).substr(1);
    if (!query.empty()) query.remove_prefix(1);
    FakeExchange exchange(&context_, request, "", query);
    HandleRoot(exchange);
    EXPECT_FALSE(exchange.stream.has_value()) << target;
    ASSERT_EQ(exchange.answers.size(), 1u) << target;
    EXPECT_EQ(exchange.answers[0].status, 200);
    EXPECT_EQ(exchange.answers[0].content_type, "text/html; charset=utf-8");
  }
}

TEST_F(RootHandlerTest, HeadIsAlwaysTheDemoPage) {
  HttpRequest request = Request("HEAD", "/?channels=base");
  FakeExchange exchange(&context_, request, "", "channels=base");
  HandleRoot(exchange);
  EXPECT_FALSE(exchange.stream.has_value());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].content_type, "text/html; charset=utf-8");
}

TEST_F(RootHandlerTest, ABadChannelIs400) {
  HttpRequest request = Request("GET", "/?channels=");
  FakeExchange exchange(&context_, request, "", "channels=");
  HandleRoot(exchange);
  EXPECT_FALSE(exchange.stream.has_value());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
}

}  // namespace
}  // namespace ssebridge
