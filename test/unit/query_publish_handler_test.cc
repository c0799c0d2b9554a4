// Unit tests for HandleQueryPublish (include/ssebridge/handlers/query_publish_handler.h)
// and its stream-URL form through HandleStream, with a fake exchange and
// broker: no socket, no loop turn.

#include "ssebridge/handlers/query_publish_handler.h"

#include "ssebridge/handlers/stream_handler.h"

#include "fake_exchange.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

class QueryPublishHandlerTest : public testing_fakes::HandlerTest {
 protected:
  QueryPublishHandlerTest() { config_.allow_get_publish = true; }

  void CompleteAll(int status = 200) {
    for (size_t i = 0; i < broker_.callbacks.size(); ++i) {
      PublishOutcome outcome;
      outcome.status = status;
      outcome.id = std::to_string(100 + i);
      if (status != 200) outcome.error = "Redis is not connected; the message was not published";
      broker_.callbacks[i](outcome);
    }
  }
};

TEST_F(QueryPublishHandlerTest, PublishesEachTypeToAllChannelsAndAnswersOkAfterTheLastOutcome) {
  HttpRequest request = Request("GET", "/publish/color/page?q1=go&q2=end");
  FakeExchange exchange(&context_, request, "color/page", "q1=go&q2=end");
  HandleQueryPublish(exchange);
  ASSERT_EQ(broker_.published.size(), 2u);
  EXPECT_EQ(broker_.published[0].channels, (std::vector<std::string>{"color", "page"}));
  EXPECT_EQ(broker_.published[0].event, "q1");
  EXPECT_EQ(broker_.published[1].event, "q2");
  EXPECT_TRUE(exchange.answers.empty());
  EXPECT_EQ(exchange.deferred, 1u);  // One answer for the request.

  PublishOutcome first;
  first.id = "1";
  broker_.callbacks[0](first);
  EXPECT_TRUE(owner_.completed.empty());  // Waits for the second.
  broker_.callbacks[1](first);
  ASSERT_EQ(owner_.completed.size(), 1u);
  const std::string& response = owner_.completed[0].response;
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Type: text/plain"), std::string::npos) << response;
  EXPECT_EQ(response.substr(response.size() - 6), "\r\nOK\r\n") << response;
}

TEST_F(QueryPublishHandlerTest, AFailureOfAnyMessageIsTheAnswer) {
  HttpRequest request = Request("GET", "/publish/a?q1=go&q2=end");
  FakeExchange exchange(&context_, request, "a", "q1=go&q2=end");
  HandleQueryPublish(exchange);
  ASSERT_EQ(broker_.callbacks.size(), 2u);
  PublishOutcome ok;
  broker_.callbacks[0](ok);
  PublishOutcome failed;
  failed.status = 503;
  failed.error = "Redis is not connected; the message was not published";
  broker_.callbacks[1](failed);
  ASSERT_EQ(owner_.completed.size(), 1u);
  EXPECT_EQ(owner_.completed[0].response.rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_NE(owner_.completed[0].response.find("Redis is not connected"), std::string::npos);
  EXPECT_EQ(counters_.http_errors, 1u);
}

TEST_F(QueryPublishHandlerTest, OffByDefaultIs400WithoutTheBroker) {
  config_.allow_get_publish = false;
  HttpRequest request = Request("GET", "/publish/a?q=1");
  FakeExchange exchange(&context_, request, "a", "q=1");
  HandleQueryPublish(exchange);
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
  EXPECT_NE(exchange.answers[0].body.find("--allow-get-publish"), std::string::npos);
}

TEST_F(QueryPublishHandlerTest, ABadQueryIs400WithoutTheBroker) {
  HttpRequest request = Request("GET", "/publish/a?halt");
  FakeExchange exchange(&context_, request, "a", "halt");
  HandleQueryPublish(exchange);
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
}

TEST_F(QueryPublishHandlerTest, AMessageNoStreamCouldQueueIs413AndNothingIsPublished) {
  std::string big(5000, 'x');  // The fixture's --client-buffer-bytes is 4096.
  std::string query = "small=1&big=" + big;
  HttpRequest request = Request("GET", "/publish/a?" + query);
  FakeExchange exchange(&context_, request, "a", query);
  HandleQueryPublish(exchange);
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 413);
}

TEST_F(QueryPublishHandlerTest, ThePublishRateLimitApplies) {
  ClientLimits::Options options;
  options.publish.per_second = 1;
  options.publish.burst = 1;
  SetLimits(options);
  HttpRequest request = Request("GET", "/publish/a?q=1");
  FakeExchange first(&context_, request, "a", "q=1");
  HandleQueryPublish(first);
  FakeExchange second(&context_, request, "a", "q=1");
  HandleQueryPublish(second);
  EXPECT_EQ(broker_.published.size(), 1u);
  ASSERT_EQ(second.answers.size(), 1u);
  EXPECT_EQ(second.answers[0].status, 429);
}

TEST_F(QueryPublishHandlerTest, TheStreamUrlWithAPublishQueryPublishes) {
  HttpRequest request = Request("GET", "/events/color?message=first");
  FakeExchange exchange(&context_, request, "color", "message=first");
  HandleStream(exchange);
  EXPECT_FALSE(exchange.stream.has_value());
  ASSERT_EQ(broker_.published.size(), 1u);
  EXPECT_EQ(broker_.published[0].channels, std::vector<std::string>{"color"});
  EXPECT_EQ(broker_.published[0].event, "");
  EXPECT_EQ(broker_.published[0].data, "first");
  CompleteAll();
  ASSERT_EQ(owner_.completed.size(), 1u);
  EXPECT_EQ(owner_.completed[0].response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(QueryPublishHandlerTest, TheStreamUrlWithAPublishQueryIs400WhenOffNeverAStream) {
  config_.allow_get_publish = false;
  HttpRequest request = Request("GET", "/events/color?message=first");
  FakeExchange exchange(&context_, request, "color", "message=first");
  HandleStream(exchange);
  EXPECT_FALSE(exchange.stream.has_value());
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
}

TEST_F(QueryPublishHandlerTest, TheStreamUrlWithStreamParametersStillStreams) {
  HttpRequest request = Request("GET", "/events/color?channel=page&lastEventId=3");
  FakeExchange exchange(&context_, request, "color", "channel=page&lastEventId=3");
  HandleStream(exchange);
  ASSERT_TRUE(exchange.stream.has_value());
  EXPECT_EQ(exchange.stream->channels, (std::vector<std::string>{"color", "page"}));
  EXPECT_TRUE(broker_.published.empty());
}

}  // namespace
}  // namespace ssebridge
