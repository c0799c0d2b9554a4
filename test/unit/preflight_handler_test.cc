// Unit tests for HandlePreflight and the route table's dispatch of 404, 405
// and OPTIONS (include/ssebridge/handlers/).

#include "ssebridge/handlers/preflight_handler.h"

#include "fake_exchange.h"
#include "ssebridge/handlers/route_table.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

using PreflightHandlerTest = testing_fakes::HandlerTest;

const std::string* Find(const HeaderList& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (header.first == name) return &header.second;
  }
  return nullptr;
}

TEST_F(PreflightHandlerTest, AnswersNoContentWithTheRoutesAllowAndCorsHeaders) {
  HttpRequest request = Request("OPTIONS", "/publish");
  request.headers.emplace_back("origin", "https://app.example");
  request.headers.emplace_back("access-control-request-method", "POST");
  FakeExchange exchange(&context_, request);
  HandlePreflight(exchange, "POST, OPTIONS");
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 204);
  EXPECT_EQ(exchange.answers[0].body, "");
  const std::string* allow = Find(exchange.answers[0].extra, "Allow");
  ASSERT_NE(allow, nullptr);
  EXPECT_EQ(*allow, "POST, OPTIONS");
  EXPECT_NE(Find(exchange.answers[0].extra, "Access-Control-Allow-Methods"), nullptr);
}

// The bridge's dispatch, run as a handler would be.
void DispatchBridgeRoute(Exchange& exchange) {
  const std::string& target = exchange.request().target;
  Dispatch(exchange, MatchRoute(BridgeRoutes(), "", exchange.request().method, target), target);
}

TEST_F(PreflightHandlerTest, DispatchAnswersUnknownPaths) {
  FakeExchange::Answer not_found = AnswerTo(DispatchBridgeRoute, "GET", "/nope");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_NE(not_found.body.find("no such endpoint: /nope"), std::string::npos);
}

TEST_F(PreflightHandlerTest, DispatchAnswersMethodsTheRouteDoesNotTake) {
  FakeExchange::Answer not_allowed = AnswerTo(DispatchBridgeRoute, "GET", "/publish");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_NE(not_allowed.body.find("method GET not allowed; use POST, OPTIONS"), std::string::npos);
  const std::string* allow = Find(not_allowed.extra, "Allow");
  ASSERT_NE(allow, nullptr);
  EXPECT_EQ(*allow, "POST, OPTIONS");
  EXPECT_TRUE(broker_.published.empty());
}

TEST_F(PreflightHandlerTest, DispatchSendsOptionsToThePreflightNotTheHandler) {
  HttpRequest request = Request("OPTIONS", "/events/a");
  FakeExchange exchange(&context_, request, "a");
  Dispatch(exchange, MatchRoute(BridgeRoutes(), "", "OPTIONS", "/events/a"), "/events/a");
  EXPECT_FALSE(exchange.stream.has_value());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 204);
}

}  // namespace
}  // namespace ssebridge
