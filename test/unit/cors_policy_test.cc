#include "ssebridge/cors_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ssebridge {
namespace {

HttpRequest WithOrigin(const char* origin) {
  HttpRequest request;
  request.method = "OPTIONS";
  request.target = "/publish";
  if (origin != nullptr) request.headers.emplace_back("origin", origin);
  return request;
}

TEST(CorsPolicy, NoOriginsConfiguredMeansNoHeaders) {
  CorsPolicy policy({});
  EXPECT_TRUE(policy.Headers(WithOrigin("https://a.example")).empty());
  EXPECT_TRUE(policy.PreflightHeaders(WithOrigin("https://a.example")).empty());
}

TEST(CorsPolicy, WildcardAllowsAnyOriginWithoutCredentials) {
  CorsPolicy policy({"*"});
  EXPECT_EQ(policy.Headers(WithOrigin("https://a.example")),
            (HeaderList{{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Expose-Headers", "WWW-Authenticate"}}));
  EXPECT_TRUE(policy.Headers(WithOrigin(nullptr)).empty());
}

TEST(CorsPolicy, ListedOriginIsEchoedWithCredentialsAndVary) {
  CorsPolicy policy({"https://a.example"});
  EXPECT_EQ(policy.Headers(WithOrigin("https://a.example")),
            (HeaderList{{"Access-Control-Allow-Origin", "https://a.example"},
                        {"Access-Control-Allow-Credentials", "true"},
                        {"Vary", "Origin"},
                        {"Access-Control-Expose-Headers", "WWW-Authenticate"}}));
  EXPECT_TRUE(policy.Headers(WithOrigin("https://b.example")).empty());
}

// A cross-origin page that got a 401 must be able to read the challenge to
// learn why (invalid_token, expired) and fetch a new token.
TEST(CorsPolicy, AnAllowedOriginMayReadTheAuthenticationChallenge) {
  for (const char* allowed : {"*", "https://a.example"}) {
    CorsPolicy policy({allowed});
    HeaderList headers = policy.Headers(WithOrigin("https://a.example"));
    const auto expose = std::find_if(headers.begin(), headers.end(), [](const auto& header) {
      return header.first == "Access-Control-Expose-Headers";
    });
    ASSERT_NE(expose, headers.end()) << allowed;
    EXPECT_NE(expose->second.find("WWW-Authenticate"), std::string::npos) << allowed;
  }
  // Nothing is exposed to an origin that may not read the answer at all.
  EXPECT_TRUE(CorsPolicy({"https://a.example"}).Headers(WithOrigin("https://b.example")).empty());
}

TEST(CorsPolicy, PreflightEchoesPlainHeaderListsOnly) {
  CorsPolicy policy({"*"});
  HttpRequest request = WithOrigin("https://a.example");
  request.headers.emplace_back("access-control-request-headers", "content-type, x-token");
  HeaderList headers = policy.PreflightHeaders(request);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"}));
  EXPECT_EQ(headers[1].second, "content-type, x-token");
  EXPECT_EQ(headers[2], (std::pair<std::string, std::string>{"Access-Control-Max-Age", "600"}));

  HttpRequest hostile = WithOrigin("https://a.example");
  hostile.headers.emplace_back("access-control-request-headers", "x\r\nSet-Cookie: a=b");
  EXPECT_EQ(policy.PreflightHeaders(hostile)[1].second, "Content-Type, Last-Event-ID, Cache-Control");
  EXPECT_TRUE(policy.PreflightHeaders(WithOrigin(nullptr)).empty());
}

}  // namespace
}  // namespace ssebridge
