// Access control with the real binary: tokens minted by the test with
// libjwt (HS256 and, with a key pair OpenSSL makes at test time, RS256),
// the 401/403 answers and their headers, the three token sources, the
// anonymous policies, and a stream that ends when its token expires.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <ctime>

#include "../unit/jwt_mint.h"
#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(5000);
const std::string kSecret = "integration-secret-integration-secret!";

std::string Token(const std::string& claims) { return ssebridge::testing_jwt::Mint(JWT_ALG_HS256, kSecret, claims); }

long long Now() { return static_cast<long long>(time(nullptr)); }

// Alice may read orders.* and news, and publish to orders.*.
std::string AliceToken() {
  return Token(R"({"sub":"alice","exp":)" + std::to_string(Now() + 3600) +
               R"(,"ssebridge":{"subscribe":["orders.*","news"],"publish":["orders.*"]}})");
}

std::vector<std::pair<std::string, std::string>> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

class AccessTest : public ::testing::Test {
 protected:
  void StartBridge(std::vector<std::string> args) {
    const std::string secret_file = dir_.WriteFile("secret", kSecret + "\n");
    std::vector<std::string> all = {"--jwt-secret-file", secret_file};
    all.insert(all.end(), args.begin(), args.end());
    ASSERT_TRUE(bridge_.Start(all)) << bridge_.process().output();
  }
  int port() { return bridge_.port(); }
  std::optional<HttpResponse> Get(const std::string& target,
                                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return harness::HttpRequest(port(), "GET", target, "", headers);
  }
  std::optional<HttpResponse> Publish(const std::string& json,
                                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return harness::HttpRequest(port(), "POST", "/publish", json, headers);
  }
  long long AuthFailures(const std::string& reason) {
    return harness::MetricValue(port(), "ssebridge_auth_failures_total{reason=\"" + reason + "\"}");
  }

  harness::TempDir dir_;
  Bridge bridge_;
};

TEST_F(AccessTest, AStreamWithoutATokenIs401WithABareChallengeWhenAnonymousSubscribeIsOff) {
  StartBridge({"--anonymous-subscribe", "off"});
  std::optional<HttpResponse> response = Get("/events/news");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(response->headers["www-authenticate"], "Bearer realm=\"ssebridge\"");
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_NE(response->body.find("\"error\":\"a token is required to subscribe\""), std::string::npos) << response->body;
  EXPECT_EQ(AuthFailures("missing_token"), 1);
}

TEST_F(AccessTest, ACrossOriginPageMayReadWhyItGotA401) {
  StartBridge({"--anonymous-subscribe", "off", "--cors-origin", "https://app.example"});
  std::optional<HttpResponse> response =
      Get("/events/news", {{"Origin", "https://app.example"}, {"Authorization", "Bearer not.a.token"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(response->headers["access-control-allow-origin"], "https://app.example");
  EXPECT_EQ(response->headers["access-control-expose-headers"], "WWW-Authenticate");
  EXPECT_EQ(response->headers["www-authenticate"].rfind("Bearer realm=\"ssebridge\", error=\"invalid_token\"", 0), 0u)
      << response->headers["www-authenticate"];
}

TEST_F(AccessTest, BadTokensAre401InvalidTokenAndNeverLogged) {
  StartBridge({"--anonymous-subscribe", "off", "--jwt-audience", "sse"});
  const long long now = Now();
  const std::string good =
      Token(R"({"aud":"sse","exp":)" + std::to_string(now + 60) + R"(,"ssebridge":{"subscribe":["news"]}})");
  std::string tampered = good;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  struct Case {
    std::string token;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {tampered, "signature"},
      {ssebridge::testing_jwt::Mint(JWT_ALG_NONE, "", R"({"aud":"sse"})"), "algorithm"},
      {Token(R"({"aud":"sse","exp":)" + std::to_string(now - 60) + "}"), "expired"},
      {Token(R"({"aud":"sse","nbf":)" + std::to_string(now + 600) + "}"), "not_yet_valid"},
      {Token(R"({"aud":"other"})"), "audience_or_issuer"},
  };
  for (const Case& c : cases) {
    std::optional<HttpResponse> response = Get("/events/news", Bearer(c.token));
    ASSERT_TRUE(response) << c.reason;
    EXPECT_EQ(response->status, 401) << c.reason;
    EXPECT_EQ(response->headers["www-authenticate"].rfind(
                  "Bearer realm=\"ssebridge\", error=\"invalid_token\", error_description=\"", 0),
              0u)
        << c.reason << ": " << response->headers["www-authenticate"];
    EXPECT_NE(response->body.find("invalid token"), std::string::npos) << response->body;
    EXPECT_EQ(AuthFailures(c.reason), 1) << c.reason;
  }
  // The good one streams; a bad one in the query is refused and logged redacted.
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/news", Bearer(good)));
  EXPECT_EQ(client.head().status, 200);
  std::optional<HttpResponse> query = Get("/events/news?access_token=" + tampered);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 401);
  const std::string log = bridge_.process().output();
  for (const Case& c : cases) EXPECT_EQ(log.find(c.token), std::string::npos) << "token in the log:\n" << log;
  EXPECT_NE(log.find("refusing a subscription"), std::string::npos) << log;
}

TEST_F(AccessTest, ClaimsDecideTheChannelsAndPatternsNeedTheSamePattern) {
  StartBridge({"--anonymous-subscribe", "off", "--anonymous-publish", "off"});
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/orders.7?channel=news", Bearer(AliceToken())));
  ASSERT_EQ(client.head().status, 200);
  std::optional<HttpResponse> published = Publish(R"({"channel":"orders.7","data":"shipped"})", Bearer(AliceToken()));
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200) << published->body;
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "shipped");
  // A claim for orders.* does not open "*", nor another channel.
  std::optional<HttpResponse> all = Get("/events?channel=*", Bearer(AliceToken()));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->status, 403);
  EXPECT_NE(all->body.find("the token does not allow subscribing to pattern '*'"), std::string::npos) << all->body;
  std::optional<HttpResponse> sports = Get("/events/news/sports", Bearer(AliceToken()));
  ASSERT_TRUE(sports);
  EXPECT_EQ(sports->status, 403);
  EXPECT_NE(sports->body.find("channel 'sports'"), std::string::npos) << sports->body;
  // A publish must be allowed on every channel it names.
  std::optional<HttpResponse> mixed =
      Publish(R"({"channels":["orders.7","news"],"data":"x"})", Bearer(AliceToken()));
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->status, 403);
  EXPECT_NE(mixed->body.find("publishing to channel 'news'"), std::string::npos) << mixed->body;
  EXPECT_EQ(AuthFailures("forbidden"), 3);
  // Without a token, publishing is a 401 even from loopback.
  std::optional<HttpResponse> anonymous = Publish(R"({"channel":"orders.7","data":"x"})");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->headers["www-authenticate"], "Bearer realm=\"ssebridge\"");
}

TEST_F(AccessTest, TheCookieAndTheQueryCarryTokensAndAccessTokenIsNeverAGetPublish) {
  StartBridge({"--anonymous-subscribe", "off", "--anonymous-publish", "off", "--jwt-cookie", "sse_token",
               "--allow-get-publish"});
  SseClient by_cookie;
  ASSERT_TRUE(by_cookie.Open(port(), "/events/news", {{"Cookie", "theme=dark; sse_token=" + AliceToken()}}));
  EXPECT_EQ(by_cookie.head().status, 200);
  // The cookie would ride along on a forged cross-site POST: it never publishes.
  std::optional<HttpResponse> cookie_publish =
      Publish(R"({"channel":"orders.1","data":"x"})", {{"Cookie", "sse_token=" + AliceToken()}});
  ASSERT_TRUE(cookie_publish);
  EXPECT_EQ(cookie_publish->status, 401);
  EXPECT_NE(cookie_publish->body.find("a token in a cookie does not allow publishing"), std::string::npos)
      << cookie_publish->body;
  // access_token on a stream URL is a credential, not a GET publish of an
  // event called "access_token".
  SseClient by_query;
  ASSERT_TRUE(by_query.Open(port(), "/events/news?access_token=" + AliceToken()));
  EXPECT_EQ(by_query.head().status, 200);
  // A GET publish obeys the publish claims: news is not Alice's to publish.
  std::optional<HttpResponse> get_publish = Get("/publish/news?message=hi&access_token=" + AliceToken());
  ASSERT_TRUE(get_publish);
  EXPECT_EQ(get_publish->status, 403);
  std::optional<HttpResponse> allowed = Get("/publish/orders.1?message=hi&access_token=" + AliceToken());
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200) << allowed->body;
}

TEST_F(AccessTest, ControlRoutesObeyThePublishPolicy) {
  StartBridge({"--anonymous-publish", "off"});
  std::optional<HttpResponse> stats = Get("/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 401);
  // /stats names every channel: it takes a publish claim for "*".
  std::optional<HttpResponse> partial = Get("/stats", Bearer(AliceToken()));
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->status, 403);
  const std::string admin = Token(R"({"sub":"ops","ssebridge":{"publish":["*"]}})");
  std::optional<HttpResponse> full = Get("/stats", Bearer(admin));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 200) << full->body;
  std::optional<HttpResponse> end_client =
      harness::HttpRequest(port(), "DELETE", "/clients/0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(end_client);
  EXPECT_EQ(end_client->status, 401);
  std::optional<HttpResponse> with_token =
      harness::HttpRequest(port(), "DELETE", "/clients/0123456789abcdef0123456789abcdef", "", Bearer(admin));
  ASSERT_TRUE(with_token);
  EXPECT_EQ(with_token->status, 404);  // Allowed; no such client.
}

TEST_F(AccessTest, LoopbackPublishesAnonymouslyByDefaultUnlessAProxyForwardedIt) {
  StartBridge({});
  std::optional<HttpResponse> local = Publish(R"({"channel":"a","data":"x"})");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200) << local->body;
  // A proxy on this host that is not a --trusted-proxy relays remote clients.
  std::optional<HttpResponse> forwarded = Publish(R"({"channel":"a","data":"x"})", {{"X-Forwarded-For", "203.0.113.9"}});
  ASSERT_TRUE(forwarded);
  EXPECT_EQ(forwarded->status, 401);
  EXPECT_NE(forwarded->body.find("a token is required to publish from another host"), std::string::npos)
      << forwarded->body;
  // Anonymous subscribing stays on by default.
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events?channel=*"));
  EXPECT_EQ(client.head().status, 200);
}

TEST_F(AccessTest, AStreamEndsWithATokenExpiredEventWhenItsTokenExpires) {
  StartBridge({"--anonymous-subscribe", "off"});
  const std::string brief = Token(R"({"sub":"alice","exp":)" + std::to_string(Now() + 2) +
                                  R"(,"ssebridge":{"subscribe":["news"]}})");
  SseClient client;
  ASSERT_TRUE(client.Open(port(), "/events/news", Bearer(brief)));
  ASSERT_EQ(client.head().status, 200);
  std::optional<HttpResponse> published = Publish(R"({"channel":"news","data":"before"})");
  ASSERT_TRUE(published);
  std::optional<SseEvent> first = client.Next(kWait);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data, "before");
  // exp is at most 2 s away (whole seconds) and the sweep runs every 250 ms.
  std::optional<SseEvent> expired = client.Next(Millis(5000));
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->event, "token-expired");
  EXPECT_EQ(expired->id, first->id);  // It has no id: Last-Event-ID stays where the data left it.
  EXPECT_TRUE(client.WaitEnd(kWait));
  EXPECT_TRUE(client.saw_final_chunk());
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_streams_token_expired_total"), 1);
}

TEST(AccessKeys, Rs256WithAPublicKeyAndTheAlgorithmConfusionRefused) {
  harness::TempDir dir;
  const ssebridge::testing_jwt::KeyPair pair = ssebridge::testing_jwt::RsaKeyPair();
  const std::string key_file = dir.WriteFile("public.pem", pair.public_pem);
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--jwt-public-key", key_file, "--anonymous-subscribe", "off"})) << bridge.process().output();
  const std::string claims = R"({"sub":"bob","ssebridge":{"subscribe":["news"]}})";
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/news",
                          Bearer(ssebridge::testing_jwt::Mint(JWT_ALG_RS256, pair.private_pem, claims))));
  EXPECT_EQ(client.head().status, 200);
  // HS256 with the public key's PEM text as the secret.
  std::optional<HttpResponse> forged = harness::HttpRequest(
      bridge.port(), "GET", "/events/news", "", Bearer(ssebridge::testing_jwt::Mint(JWT_ALG_HS256, pair.public_pem, claims)));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  EXPECT_NE(forged->headers["www-authenticate"].find("does not match the configured key"), std::string::npos)
      << forged->headers["www-authenticate"];
}

TEST(AccessKeys, AnUnusableKeyStopsTheStartWithStatus2) {
  harness::TempDir dir;
  const std::string not_a_key = dir.WriteFile("bad.pem", "hello\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--jwt-public-key", not_a_key}, std::vector<std::string>{"--jwt-secret-file", dir.path() + "/missing"},
        std::vector<std::string>{"--anonymous-publish", "sometimes"}}) {
    harness::Subprocess process;
    std::vector<std::string> argv = {SSEBRIDGE_BINARY, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    ASSERT_TRUE(process.Start(argv));
    std::optional<int> status = process.WaitExit(Millis(5000));
    ASSERT_TRUE(status) << args[0];
    EXPECT_EQ(*status, 2) << args[0];
    EXPECT_NE(process.output().find(args[0]), std::string::npos) << process.output();
  }
}

TEST(AccessKeys, AnyoneMayPublishOnAllInterfacesIsAWarning) {
  harness::Subprocess process;
  ASSERT_TRUE(process.Start({SSEBRIDGE_BINARY, "--listen", "0.0.0.0:0", "--anonymous-publish", "on"}));
  std::optional<std::string> line = process.WaitForLine("--anonymous-publish on", Millis(5000));
  ASSERT_TRUE(line) << process.output();
  EXPECT_NE(line->find("WARN"), std::string::npos) << *line;
  EXPECT_EQ(process.Stop(SIGTERM, Millis(5000)), 0);
}

}  // namespace
