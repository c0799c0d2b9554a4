// Unit tests for HandlePublish (include/ssebridge/handlers/publish_handler.h)
// with a fake exchange and broker: no socket, no loop turn.

#include "ssebridge/handlers/publish_handler.h"

#include "fake_exchange.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

class PublishHandlerTest : public testing_fakes::HandlerTest {
 protected:
  HttpRequest JsonPublish(std::string body) {
    HttpRequest request = Request("POST", "/publish", std::move(body));
    request.headers.emplace_back("content-type", "application/json");
    return request;
  }
};

TEST_F(PublishHandlerTest, HandsTheMessageToTheBrokerAndAnswersWhenItCompletes) {
  HttpRequest request = JsonPublish(R"({"channel":"a","data":"hi"})");
  request.headers.emplace_back("origin", "https://app.example");
  FakeExchange exchange(&context_, request);
  HandlePublish(exchange);
  ASSERT_EQ(broker_.published.size(), 1u);
  EXPECT_EQ(broker_.published[0].channels, std::vector<std::string>{"a"});
  EXPECT_EQ(broker_.published[0].data, "hi");
  EXPECT_TRUE(exchange.answers.empty());  // Deferred: nothing answered inside the call.
  EXPECT_EQ(exchange.deferred, 1u);
  EXPECT_TRUE(owner_.completed.empty());

  PublishOutcome outcome;
  outcome.id = "42";
  broker_.callbacks[0](outcome);
  ASSERT_EQ(owner_.completed.size(), 1u);
  EXPECT_EQ(owner_.completed[0].id, 7u);
  EXPECT_EQ(owner_.completed[0].sequence, 0u);
  const std::string& response = owner_.completed[0].response;
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("{\"status\":\"ok\",\"id\":\"42\"}"), std::string::npos) << response;
  EXPECT_EQ(counters_.http_errors, 0u);
}

TEST_F(PublishHandlerTest, ABrokerFailureIsAnsweredAndCountedAsAnError) {
  HttpRequest request = JsonPublish(R"({"channel":"a","data":"hi"})");
  FakeExchange exchange(&context_, request);
  HandlePublish(exchange);
  PublishOutcome outcome;
  outcome.status = 503;
  outcome.error = "redis is down";
  broker_.callbacks[0](outcome);
  ASSERT_EQ(owner_.completed.size(), 1u);
  EXPECT_EQ(owner_.completed[0].response.rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_NE(owner_.completed[0].response.find("redis is down"), std::string::npos);
  EXPECT_EQ(counters_.http_errors, 1u);
}

TEST_F(PublishHandlerTest, APublisherThatHungUpIsNotCounted) {
  HttpRequest request = JsonPublish(R"({"channel":"a","data":"hi"})");
  FakeExchange exchange(&context_, request);
  HandlePublish(exchange);
  owner_.gone = true;
  PublishOutcome outcome;
  outcome.status = 503;
  broker_.callbacks[0](outcome);
  EXPECT_TRUE(owner_.completed.empty());
  EXPECT_EQ(counters_.http_errors, 0u);
}

TEST_F(PublishHandlerTest, AnUnparsableBodyIsRefusedWithoutTheBroker) {
  HttpRequest request = JsonPublish("{not json");
  FakeExchange exchange(&context_, request);
  HandlePublish(exchange);
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 400);
  EXPECT_EQ(exchange.deferred, 0u);
}

TEST_F(PublishHandlerTest, AMessageNoStreamCouldQueueIs413) {
  config_.client_buffer_bytes = 64;
  HttpRequest request = JsonPublish(R"({"channel":"a","data":")" + std::string(100, 'x') + "\"}");
  FakeExchange exchange(&context_, request);
  HandlePublish(exchange);
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 413);
  EXPECT_NE(exchange.answers[0].body.find("--client-buffer-bytes"), std::string::npos);
}

TEST_F(PublishHandlerTest, OverThePublishRateIs429WithRetryAfter) {
  ClientLimits::Options options;
  options.publish.per_second = 1;
  options.publish.burst = 1;
  SetLimits(options);
  HttpRequest request = JsonPublish(R"({"channel":"a","data":"hi"})");
  FakeExchange first(&context_, request);
  HandlePublish(first);
  FakeExchange second(&context_, request);
  HandlePublish(second);
  EXPECT_EQ(broker_.published.size(), 1u);
  ASSERT_EQ(second.answers.size(), 1u);
  EXPECT_EQ(second.answers[0].status, 429);
  ASSERT_EQ(second.answers[0].extra.size(), 1u);
  EXPECT_EQ(second.answers[0].extra[0].first, "Retry-After");
  EXPECT_EQ(second.answers[0].extra[0].second, "1");
  EXPECT_EQ(counters_.publish_rate_limited, 1u);
  EXPECT_EQ(counters_.http_errors, 1u);
}

}  // namespace
}  // namespace ssebridge
