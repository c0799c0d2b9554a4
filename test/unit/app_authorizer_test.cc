// The pure parts of asking the application: the request it is sent, the
// cache key, and what each kind of answer means.
#include "ssebridge/app_authorizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssebridge {
namespace {

HttpUrl Url(const std::string& text) {
  HttpUrl url;
  EXPECT_EQ(ParseHttpUrl(text, &url), "");
  return url;
}

HttpClientResponse Answer(int status, const std::string& body) {
  HttpClientResponse response;
  response.status = status;
  response.body = body;
  return response;
}

TEST(AppCheckRequest, CarriesTheCredentialsTheChannelsAndThePeer) {
  const std::string cookie = "session=abc; theme=dark";
  const std::string authorization = "Basic dXNlcjpwYXNz";
  const std::string request = BuildAppCheckRequest(Url("http://127.0.0.1:9000/auth/check"), AccessAction::kSubscribe,
                                                   {"orders.42", "news\"x"}, "10.0.0.7", &cookie, &authorization);
  EXPECT_EQ(request.rfind("POST /auth/check HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("\r\nHost: 127.0.0.1:9000\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nCookie: session=abc; theme=dark\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nConnection: close\r\n"), std::string::npos);
  const std::string body = R"({"action":"subscribe","channels":["orders.42","news\"x"],"peer":"10.0.0.7"})";
  EXPECT_EQ(request.substr(request.size() - body.size()), body);
  EXPECT_NE(request.find("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"), std::string::npos);
}

TEST(AppCheckRequest, LeavesOutAbsentHeadersAndNamesAPublish) {
  const std::string request =
      BuildAppCheckRequest(Url("http://unix:/run/app.sock:/check"), AccessAction::kPublish, {"a"}, "unix", nullptr,
                           nullptr);
  EXPECT_EQ(request.find("Cookie:"), std::string::npos);
  EXPECT_EQ(request.find("Authorization:"), std::string::npos);
  EXPECT_NE(request.find("\r\nHost: localhost\r\n"), std::string::npos);
  EXPECT_NE(request.find(R"({"action":"publish","channels":["a"])"), std::string::npos);
}

TEST(AppCheckRequest, NeverForwardsAHeaderThatWouldSplitTheRequest) {
  const std::string cookie = "a=b\r\nX-Injected: 1";
  const std::string request =
      BuildAppCheckRequest(Url("http://127.0.0.1:1/c"), AccessAction::kSubscribe, {"a"}, "p", &cookie, nullptr);
  EXPECT_EQ(request.find("X-Injected"), std::string::npos);
}

TEST(AppCheckKey, IsAHashThatDependsOnEveryPartButNotOnChannelOrder) {
  const std::string cookie = "session=secret-session-id";
  const std::string other_cookie = "session=another-one";
  const std::string authorization = "Basic x";
  const std::string key = AppCheckKey(AccessAction::kSubscribe, &cookie, nullptr, {"a", "b"});
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find("secret"), std::string::npos);
  EXPECT_EQ(key, AppCheckKey(AccessAction::kSubscribe, &cookie, nullptr, {"b", "a"}));
  EXPECT_NE(key, AppCheckKey(AccessAction::kPublish, &cookie, nullptr, {"a", "b"}));
  EXPECT_NE(key, AppCheckKey(AccessAction::kSubscribe, &other_cookie, nullptr, {"a", "b"}));
  EXPECT_NE(key, AppCheckKey(AccessAction::kSubscribe, &cookie, &authorization, {"a", "b"}));
  EXPECT_NE(key, AppCheckKey(AccessAction::kSubscribe, nullptr, &cookie, {"a", "b"}));
  EXPECT_NE(key, AppCheckKey(AccessAction::kSubscribe, &cookie, nullptr, {"a"}));
  EXPECT_NE(key, AppCheckKey(AccessAction::kSubscribe, &cookie, nullptr, {"ab"}));
}

TEST(AppVerdictParsing, A200ListsTheChannelsAndTheSubject) {
  AppVerdict verdict = VerdictFromResponse(AccessAction::kSubscribe, 0,
                                           Answer(200, R"({"subject":"alice","channels":["orders.*","news"]})"));
  ASSERT_TRUE(verdict.allowed()) << verdict.message;
  EXPECT_STREQ(verdict.outcome, "allowed");
  EXPECT_EQ(verdict.grants.subject, "alice");
  EXPECT_EQ(verdict.grants.subscribe, (std::vector<std::string>{"orders.*", "news"}));
  EXPECT_TRUE(verdict.grants.publish.empty());
  verdict = VerdictFromResponse(AccessAction::kPublish, 0, Answer(200, R"({"channels":["orders.1"]})"));
  ASSERT_TRUE(verdict.allowed());
  EXPECT_EQ(verdict.grants.subject, "");
  EXPECT_EQ(verdict.grants.publish, (std::vector<std::string>{"orders.1"}));
  EXPECT_TRUE(verdict.grants.subscribe.empty());
}

TEST(AppVerdictParsing, A401OrA403RefusesWithTheApplicationsWords) {
  AppVerdict verdict = VerdictFromResponse(AccessAction::kSubscribe, 0, Answer(401, R"({"error":"log in first"})"));
  EXPECT_EQ(verdict.status, 401);
  EXPECT_STREQ(verdict.outcome, "unauthorized");
  EXPECT_NE(verdict.message.find("log in first"), std::string::npos);
  verdict = VerdictFromResponse(AccessAction::kSubscribe, 0, Answer(403, "<html>no</html>"));
  EXPECT_EQ(verdict.status, 403);
  EXPECT_STREQ(verdict.outcome, "forbidden");
  EXPECT_FALSE(verdict.message.empty());
  EXPECT_EQ(verdict.message.find("html"), std::string::npos);
}

TEST(AppVerdictParsing, NoUsableAnswerIs503NeverAllowed) {
  struct Case {
    int error;
    int status;
    const char* body;
    const char* outcome;
  };
  const Case cases[] = {
      {UV_ETIMEDOUT, 0, "", "timeout"},
      {UV_ECONNREFUSED, 0, "", "unavailable"},
      {UV_EPROTO, 0, "", "unavailable"},
      {0, 500, R"({"channels":["*"]})", "unavailable"},
      {0, 302, "", "unavailable"},
      {0, 200, "not json", "invalid"},
      {0, 200, R"(["a"])", "invalid"},
      {0, 200, R"({"subject":"bob"})", "invalid"},
      {0, 200, R"({"channels":"*"})", "invalid"},
      {0, 200, R"({"channels":["a",1]})", "invalid"},
      {0, 200, R"({"subject":7,"channels":["a"]})", "invalid"},
  };
  for (const Case& c : cases) {
    const AppVerdict verdict = VerdictFromResponse(AccessAction::kSubscribe, c.error, Answer(c.status, c.body));
    EXPECT_EQ(verdict.status, 503) << c.status << " " << c.body;
    EXPECT_STREQ(verdict.outcome, c.outcome) << c.status << " " << c.body;
    EXPECT_FALSE(verdict.message.empty());
  }
}

}  // namespace
}  // namespace ssebridge
