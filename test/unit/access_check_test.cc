// Unit tests for CheckAccess (include/ssebridge/handlers/access_check.h) and
// the handlers that call it, with a fake exchange: what a refusal looks like,
// what it counts, and that nothing reaches the broker or a stream.

#include "ssebridge/handlers/access_check.h"

#include "ssebridge/app_authorizer.h"

#include <ctime>

#include "fake_exchange.h"
#include "jwt_mint.h"
#include "ssebridge/handlers/publish_handler.h"
#include "ssebridge/handlers/stats_handler.h"
#include "ssebridge/handlers/stream_handler.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

const std::string kSecret = "unit-secret-unit-secret-unit-secret!!";

class AccessCheckTest : public testing_fakes::HandlerTest {
 protected:
  AccessCheckTest() {
    AccessPolicy policy;
    policy.anonymous_subscribe = false;
    policy.anonymous_publish = AnonymousPublish::kOff;
    JwtOptions options;
    options.secret = kSecret;
    std::string error;
    closed_ = std::make_unique<Authorizer>(policy, JwtVerifier::Create(options, &error));
    context_.authorizer = closed_.get();
  }
  static std::string Token(const std::string& claims) {
    return testing_jwt::Mint(JWT_ALG_HS256, kSecret, claims);
  }
  static std::string Header(const FakeExchange::Answer& answer, const std::string& name) {
    for (const auto& [key, value] : answer.extra) {
      if (key == name) return value;
    }
    return "";
  }

  std::unique_ptr<Authorizer> closed_;
};

TEST_F(AccessCheckTest, ARefusedStreamIsAnswered401WithAChallengeAndCounted) {
  HttpRequest request = Request("GET", "/events/news");
  FakeExchange exchange(&context_, request, "news");
  HandleStream(exchange);
  EXPECT_FALSE(exchange.stream);
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 401);
  EXPECT_EQ(exchange.answers[0].content_type, "application/json");
  EXPECT_EQ(Header(exchange.answers[0], "WWW-Authenticate"), "Bearer realm=\"ssebridge\"");
  EXPECT_EQ(counters_.auth_failures[0], 1u);  // missing_token
  EXPECT_EQ(counters_.http_errors, 1u);
}

// With --auth-url, a request without a token must wait for the
// application; an exchange that cannot wait is refused with 503, never let
// through, and nothing is sent.
TEST_F(AccessCheckTest, AnApplicationCheckThatCannotWaitIs503) {
  AppAuthOptions options;
  ASSERT_EQ(ParseHttpUrl("http://127.0.0.1:9/auth", &options.url), "");
  AppAuthorizer app(&loop_, options, &counters_);
  context_.app_authorizer = &app;
  HttpRequest request = Request("GET", "/events/news");
  FakeExchange exchange(&context_, request, "news");
  HandleStream(exchange);
  EXPECT_FALSE(exchange.stream);
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 503);
  EXPECT_EQ(Header(exchange.answers[0], "Retry-After"), "1");
  EXPECT_EQ(app.in_flight(), 0u);
  EXPECT_EQ(counters_.auth_failures[9], 1u);  // application_unavailable
  context_.app_authorizer = nullptr;
}

// A valid token decides alone: the application is not consulted.
TEST_F(AccessCheckTest, ATokenIsNotCheckedAtTheApplication) {
  AppAuthOptions options;
  ASSERT_EQ(ParseHttpUrl("http://127.0.0.1:9/auth", &options.url), "");
  AppAuthorizer app(&loop_, options, &counters_);
  context_.app_authorizer = &app;
  HttpRequest request = Request("GET", "/events/news");
  request.headers.emplace_back("authorization",
                               "Bearer " + Token(R"({"sub":"bob","ssebridge":{"subscribe":["news"]}})"));
  FakeExchange exchange(&context_, request, "news");
  HandleStream(exchange);
  EXPECT_TRUE(exchange.stream);
  EXPECT_EQ(app.in_flight(), 0u);
  context_.app_authorizer = nullptr;
}

TEST_F(AccessCheckTest, AnAllowedStreamCarriesTheTimeLeftOnItsToken) {
  const long long exp = static_cast<long long>(time(nullptr)) + 100;
  HttpRequest request = Request("GET", "/events/news");
  request.headers.emplace_back(
      "authorization", "Bearer " + Token(R"({"exp":)" + std::to_string(exp) + R"(,"ssebridge":{"subscribe":["news"]}})"));
  FakeExchange exchange(&context_, request, "news");
  HandleStream(exchange);
  ASSERT_TRUE(exchange.stream) << (exchange.answers.empty() ? "" : exchange.answers[0].body);
  ASSERT_TRUE(exchange.stream->credential_ttl_ms);
  EXPECT_GT(*exchange.stream->credential_ttl_ms, 98000u);
  EXPECT_LE(*exchange.stream->credential_ttl_ms, 100000u);
}

TEST_F(AccessCheckTest, AForbiddenPublishNeverReachesTheBroker) {
  HttpRequest request = Request("POST", "/publish", R"({"channels":["a","b"],"data":"x"})");
  request.headers.emplace_back("content-type", "application/json");
  request.headers.emplace_back("authorization", "Bearer " + Token(R"({"ssebridge":{"publish":["a"]}})"));
  FakeExchange exchange(&context_, request);
  HandlePublish(exchange);
  EXPECT_TRUE(broker_.published.empty());
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 403);
  EXPECT_EQ(Header(exchange.answers[0], "WWW-Authenticate"), "");
  EXPECT_NE(exchange.answers[0].body.find("channel 'b'"), std::string::npos);
  EXPECT_EQ(counters_.auth_failures[1], 1u);  // forbidden
}

TEST_F(AccessCheckTest, StatsNeedsAPublishGrantForEveryChannel) {
  HttpRequest request = Request("GET", "/stats");
  request.headers.emplace_back("authorization", "Bearer " + Token(R"({"ssebridge":{"publish":["*"]}})"));
  FakeExchange exchange(&context_, request);
  HandleStats(exchange);
  ASSERT_EQ(exchange.answers.size(), 1u);
  EXPECT_EQ(exchange.answers[0].status, 200);
  HttpRequest narrow = Request("GET", "/stats");
  narrow.headers.emplace_back("authorization", "Bearer " + Token(R"({"ssebridge":{"publish":["a.*"]}})"));
  FakeExchange refused(&context_, narrow);
  HandleStats(refused);
  ASSERT_EQ(refused.answers.size(), 1u);
  EXPECT_EQ(refused.answers[0].status, 403);
}

TEST_F(AccessCheckTest, LoopbackIsLocalOnlyWithoutForwardingHeaders) {
  IpAddress loopback;
  ASSERT_TRUE(ParseIpAddress("127.0.0.1", &loopback));
  HttpRequest direct = Request("GET", "/");
  EXPECT_TRUE(FakeExchange(&context_, direct, {}, {}, loopback).ClientIsLocal());
  HttpRequest forwarded = Request("GET", "/");
  forwarded.headers.emplace_back("x-forwarded-for", "203.0.113.5");
  EXPECT_FALSE(FakeExchange(&context_, forwarded, {}, {}, loopback).ClientIsLocal());
  IpAddress remote;
  ASSERT_TRUE(ParseIpAddress("192.0.2.1", &remote));
  EXPECT_FALSE(FakeExchange(&context_, direct, {}, {}, remote).ClientIsLocal());
  // Behind a trusted proxy on loopback the named client decides.
  CidrRange proxy;
  ASSERT_EQ(ParseCidrRange("127.0.0.1", &proxy), "");
  trusted_.push_back(proxy);
  EXPECT_FALSE(FakeExchange(&context_, forwarded, {}, {}, loopback).ClientIsLocal());
  HttpRequest from_local = Request("GET", "/");
  from_local.headers.emplace_back("x-forwarded-for", "::1");
  EXPECT_TRUE(FakeExchange(&context_, from_local, {}, {}, loopback).ClientIsLocal());
}

}  // namespace
}  // namespace ssebridge
