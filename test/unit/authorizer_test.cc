// Unit tests for Authorizer (include/ssebridge/authorizer.h): where the token
// comes from, the anonymous policy, and the claim matching.

#include "ssebridge/authorizer.h"

#include <gtest/gtest.h>

#include "jwt_mint.h"

namespace ssebridge {
namespace {

using testing_jwt::Mint;

constexpr int64_t kNow = 1700000000;
const std::string kSecret = "a-secret-of-at-least-thirty-two-bytes!!";

std::unique_ptr<JwtVerifier> SecretVerifier() {
  JwtOptions options;
  options.secret = kSecret;
  std::string error;
  return JwtVerifier::Create(options, &error);
}

Authorizer Closed(std::string cookie = "") {
  AccessPolicy policy;
  policy.anonymous_subscribe = false;
  policy.anonymous_publish = AnonymousPublish::kOff;
  policy.cookie_name = std::move(cookie);
  return Authorizer(policy, SecretVerifier());
}

std::string AliceToken() {
  return Mint(JWT_ALG_HS256, kSecret,
              R"({"sub":"alice","ssebridge":{"subscribe":["orders.*","news"],"publish":["orders.*"]}})");
}

HttpRequest WithHeader(const std::string& name, const std::string& value) {
  HttpRequest request;
  request.method = "GET";
  request.headers.emplace_back(name, value);
  return request;
}

TEST(AuthorizerTest, FindsTheTokenInTheHeaderTheQueryOrTheCookie) {
  Authorizer authorizer = Closed("sse_token");
  Principal principal;
  EXPECT_TRUE(authorizer.Identify(WithHeader("authorization", "Bearer " + AliceToken()), "", false, kNow, &principal).allowed());
  EXPECT_TRUE(principal.authenticated);
  EXPECT_EQ(principal.grants.subject, "alice");
  EXPECT_TRUE(authorizer.Identify(WithHeader("authorization", "bearer   " + AliceToken() + " "), "", false, kNow, &principal)
                  .allowed());
  EXPECT_TRUE(principal.authenticated);
  EXPECT_TRUE(authorizer.Identify(HttpRequest(), "channel=news&access_token=" + AliceToken(), false, kNow, &principal)
                  .allowed());
  EXPECT_TRUE(principal.authenticated);
  EXPECT_TRUE(authorizer.Identify(WithHeader("cookie", "a=1; sse_token=" + AliceToken() + "; b=2"), "", false, kNow,
                                  &principal)
                  .allowed());
  EXPECT_TRUE(principal.authenticated);
  // Another cookie name, another auth scheme: no credential at all.
  EXPECT_TRUE(authorizer.Identify(WithHeader("cookie", "other=" + AliceToken()), "", false, kNow, &principal).allowed());
  EXPECT_FALSE(principal.authenticated);
  EXPECT_TRUE(authorizer.Identify(WithHeader("authorization", "Basic dXNlcjpwdw=="), "", false, kNow, &principal).allowed());
  EXPECT_FALSE(principal.authenticated);
}

TEST(AuthorizerTest, ACookieTokenSubscribesButNeverPublishes) {
  Authorizer authorizer = Closed("t");
  Principal principal;
  ASSERT_TRUE(authorizer.Identify(WithHeader("cookie", "t=" + AliceToken()), "", false, kNow, &principal).allowed());
  EXPECT_TRUE(principal.from_cookie);
  EXPECT_TRUE(authorizer.Decide(principal, AccessAction::kSubscribe, {"news"}).allowed());
  AccessDecision publish = authorizer.Decide(principal, AccessAction::kPublish, {"orders.1"});
  EXPECT_EQ(publish.status, 401);
  EXPECT_NE(publish.message.find("cookie"), std::string::npos);
  // The same token in the header publishes.
  ASSERT_TRUE(authorizer.Identify(WithHeader("authorization", "Bearer " + AliceToken()), "", false, kNow, &principal)
                  .allowed());
  EXPECT_TRUE(authorizer.Decide(principal, AccessAction::kPublish, {"orders.1"}).allowed());
}

TEST(AuthorizerTest, TheHeaderWinsOverTheQueryAndTheQueryOverTheCookie) {
  Authorizer authorizer = Closed("t");
  const std::string bob = Mint(JWT_ALG_HS256, kSecret, R"({"sub":"bob"})");
  Principal principal;
  HttpRequest request = WithHeader("authorization", "Bearer " + AliceToken());
  request.headers.emplace_back("cookie", "t=" + bob);
  authorizer.Identify(request, "access_token=" + bob, false, kNow, &principal);
  EXPECT_EQ(principal.grants.subject, "alice");
  authorizer.Identify(WithHeader("cookie", "t=" + AliceToken()), "access_token=" + bob, false, kNow, &principal);
  EXPECT_EQ(principal.grants.subject, "bob");
}

TEST(AuthorizerTest, ABadTokenIsA401WithAnInvalidTokenChallenge) {
  Authorizer authorizer = Closed();
  Principal principal;
  AccessDecision decision = authorizer.Identify(WithHeader("authorization", "Bearer " + AliceToken() + "x"), "", true,
                                                kNow, &principal);
  EXPECT_EQ(decision.status, 401);
  EXPECT_STREQ(decision.reason, "signature");
  EXPECT_EQ(decision.www_authenticate.rfind("Bearer realm=\"ssebridge\", error=\"invalid_token\", error_description=\"", 0),
            0u)
      << decision.www_authenticate;
  EXPECT_EQ(decision.message.find(AliceToken()), std::string::npos);
  // Refused even where anonymous access would be allowed.
  Authorizer open(AccessPolicy{}, SecretVerifier());
  EXPECT_EQ(open.Identify(HttpRequest(), "access_token=garbage", true, kNow, &principal).status, 401);
  // An expired token is counted as expired.
  const std::string expired = Mint(JWT_ALG_HS256, kSecret, R"({"exp":1600000000})");
  EXPECT_STREQ(open.Identify(HttpRequest(), "access_token=" + expired, true, kNow, &principal).reason, "expired");
}

TEST(AuthorizerTest, NoCredentialWhereOneIsRequiredIsA401WithoutAnErrorCode) {
  Authorizer authorizer = Closed();
  Principal anonymous;
  AccessDecision decision = authorizer.Decide(anonymous, AccessAction::kSubscribe, {"news"});
  EXPECT_EQ(decision.status, 401);
  EXPECT_EQ(decision.www_authenticate, "Bearer realm=\"ssebridge\"");
  EXPECT_STREQ(decision.reason, "missing_token");
  EXPECT_EQ(authorizer.Decide(anonymous, AccessAction::kPublish, {"news"}).status, 401);
}

TEST(AuthorizerTest, LiteralChannelsMatchGlobsPatternsNeedTheSamePattern) {
  Authorizer authorizer = Closed();
  Principal alice;
  ASSERT_TRUE(authorizer.Identify(WithHeader("authorization", "Bearer " + AliceToken()), "", false, kNow, &alice).allowed());
  EXPECT_TRUE(authorizer.Decide(alice, AccessAction::kSubscribe, {"news", "orders.1", "orders.*"}).allowed());
  AccessDecision all = authorizer.Decide(alice, AccessAction::kSubscribe, {"news", "*"});
  EXPECT_EQ(all.status, 403);
  EXPECT_STREQ(all.reason, "forbidden");
  EXPECT_NE(all.message.find("pattern '*'"), std::string::npos) << all.message;
  // orders.* matches the text "orders.?" but the pattern means more channels than that.
  EXPECT_EQ(authorizer.Decide(alice, AccessAction::kSubscribe, {"orders.?"}).status, 403);
  AccessDecision other = authorizer.Decide(alice, AccessAction::kSubscribe, {"news", "sports"});
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(other.message.find("channel 'sports'"), std::string::npos);
  // A publish must be allowed on every channel it names.
  EXPECT_TRUE(authorizer.Decide(alice, AccessAction::kPublish, {"orders.1", "orders.2"}).allowed());
  EXPECT_EQ(authorizer.Decide(alice, AccessAction::kPublish, {"orders.1", "news"}).status, 403);
}

TEST(AuthorizerTest, AnonymousPolicies) {
  Principal remote;
  Principal local;
  local.local = true;
  AccessPolicy policy;  // Defaults: subscribe on, publish local.
  Authorizer defaults(policy, SecretVerifier());
  EXPECT_TRUE(defaults.Decide(remote, AccessAction::kSubscribe, {"*"}).allowed());
  EXPECT_TRUE(defaults.Decide(local, AccessAction::kPublish, {"a"}).allowed());
  AccessDecision refused = defaults.Decide(remote, AccessAction::kPublish, {"a"});
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.message.find("another host"), std::string::npos);
  policy.anonymous_publish = AnonymousPublish::kOn;
  EXPECT_TRUE(Authorizer(policy, nullptr).Decide(remote, AccessAction::kPublish, {"a"}).allowed());
  policy.anonymous_publish = AnonymousPublish::kOff;
  EXPECT_EQ(Authorizer(policy, SecretVerifier()).Decide(local, AccessAction::kPublish, {"a"}).status, 401);
  // Without a key no token can help: 403 saying so, no challenge.
  AccessDecision keyless = Authorizer(policy, nullptr).Decide(local, AccessAction::kPublish, {"a"});
  EXPECT_EQ(keyless.status, 403);
  EXPECT_TRUE(keyless.www_authenticate.empty());
  // A token only adds rights: with anonymous subscribe on, a token without
  // the channel still subscribes.
  Principal token_holder;
  token_holder.authenticated = true;
  EXPECT_TRUE(defaults.Decide(token_holder, AccessAction::kSubscribe, {"sports"}).allowed());
}

// --- User channels -----------------------------------------------------------------

Principal Subject(const std::string& sub, std::vector<std::string> subscribe = {}) {
  Principal principal;
  principal.authenticated = true;
  principal.grants.subject = sub;
  principal.grants.subscribe = std::move(subscribe);
  return principal;
}

TEST(AuthorizerTest, AUserChannelIsOpenToItsSubjectOnly) {
  AccessPolicy open;  // Anonymous subscribing on: it does not reach user channels.
  auto check = [](const Authorizer& authorizer) {
    const Principal alice = Subject("alice");
    EXPECT_TRUE(authorizer.Decide(alice, AccessAction::kSubscribe, {"user:alice"}).allowed());
    EXPECT_TRUE(authorizer.Decide(alice, AccessAction::kSubscribe, {"user:me"}).allowed());
    AccessDecision other = authorizer.Decide(alice, AccessAction::kSubscribe, {"user:bob"});
    EXPECT_EQ(other.status, 403);
    EXPECT_NE(other.message.find("channel 'user:bob'"), std::string::npos) << other.message;
    EXPECT_EQ(authorizer.Decide(alice, AccessAction::kSubscribe, {"user:alice", "user:bob"}).status, 403);
    // No subject: no own channel.
    EXPECT_EQ(authorizer.Decide(Subject(""), AccessAction::kSubscribe, {"user:me"}).status, 403);
    EXPECT_EQ(authorizer.Decide(Subject(""), AccessAction::kSubscribe, {"user:"}).status, 403);
    // Anonymous: a token is required (401 with a challenge).
    AccessDecision anonymous = authorizer.Decide(Principal(), AccessAction::kSubscribe, {"user:alice"});
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_FALSE(anonymous.www_authenticate.empty());
    EXPECT_EQ(authorizer.Decide(Principal(), AccessAction::kSubscribe, {"user:me"}).status, 401);
  };
  check(Authorizer(open, SecretVerifier()));
  check(Closed());
  // Without a key no token can help: 403.
  EXPECT_EQ(Authorizer(open, nullptr).Decide(Principal(), AccessAction::kSubscribe, {"user:alice"}).status, 403);
}

TEST(AuthorizerTest, UserPatternsNeedAGrantThatNamesUserChannels) {
  AccessPolicy open;
  Authorizer authorizer(open, SecretVerifier());
  // "*" is everyone's shared channels: anonymous "*" stays allowed, and
  // neither it nor a "*" grant opens user channels.
  EXPECT_TRUE(authorizer.Decide(Principal(), AccessAction::kSubscribe, {"*"}).allowed());
  const Principal star = Subject("alice", {"*"});
  EXPECT_TRUE(authorizer.Decide(star, AccessAction::kSubscribe, {"*"}).allowed());
  EXPECT_EQ(authorizer.Decide(star, AccessAction::kSubscribe, {"user:bob"}).status, 403);
  EXPECT_EQ(authorizer.Decide(star, AccessAction::kSubscribe, {"user:*"}).status, 403);
  EXPECT_EQ(authorizer.Decide(Principal(), AccessAction::kSubscribe, {"user:*"}).status, 401);
  // A grant that names user channels does, by the usual glob rules.
  const Principal support = Subject("support", {"user:*"});
  EXPECT_TRUE(authorizer.Decide(support, AccessAction::kSubscribe, {"user:*"}).allowed());
  EXPECT_TRUE(authorizer.Decide(support, AccessAction::kSubscribe, {"user:bob"}).allowed());
  const Principal team = Subject("lead", {"user:team-*"});
  EXPECT_TRUE(authorizer.Decide(team, AccessAction::kSubscribe, {"user:team-1"}).allowed());
  EXPECT_EQ(authorizer.Decide(team, AccessAction::kSubscribe, {"user:*"}).status, 403);
  EXPECT_EQ(authorizer.Decide(team, AccessAction::kSubscribe, {"user:bob"}).status, 403);
  // Publishing to a user is a publish: the publish policy decides.
  Principal local;
  local.local = true;
  EXPECT_TRUE(authorizer.Decide(local, AccessAction::kPublish, {"user:bob"}).allowed());
}

TEST(AuthorizerTest, WithoutAKeyTokensAreIgnored) {
  Authorizer keyless(AccessPolicy{}, nullptr);
  Principal principal;
  EXPECT_TRUE(keyless.Identify(WithHeader("authorization", "Bearer junk"), "", false, kNow, &principal).allowed());
  EXPECT_FALSE(principal.authenticated);
  EXPECT_FALSE(keyless.accepts_tokens());
}

TEST(GrantsAllowTest, Rules) {
  const std::vector<std::string> grants{"orders.*", "news"};
  EXPECT_TRUE(GrantsAllow(grants, "orders.42"));
  EXPECT_TRUE(GrantsAllow(grants, "news"));
  EXPECT_TRUE(GrantsAllow(grants, "orders.*"));
  EXPECT_FALSE(GrantsAllow(grants, "orders.[12]"));
  EXPECT_FALSE(GrantsAllow(grants, "*"));
  EXPECT_FALSE(GrantsAllow(grants, "newsroom"));
  EXPECT_TRUE(GrantsAllow({"*"}, "*"));
  EXPECT_TRUE(GrantsAllow({"*"}, "anything"));
  EXPECT_FALSE(GrantsAllow({}, "a"));
}

TEST(GrantsAllowTest, UserGrantsAndOwnChannels) {
  EXPECT_TRUE(UserGrantsAllow({"user:*"}, "user:bob"));
  EXPECT_FALSE(UserGrantsAllow({"*"}, "user:bob"));
  EXPECT_FALSE(UserGrantsAllow({"user:a*"}, "user:*"));
  EXPECT_TRUE(OwnsUserChannel(Subject("bob"), "user:bob"));
  EXPECT_TRUE(OwnsUserChannel(Subject("bob"), "user:me"));
  EXPECT_FALSE(OwnsUserChannel(Subject("bob"), "user:bobby"));
  EXPECT_FALSE(OwnsUserChannel(Principal(), "user:me"));
}

TEST(TargetForLogTest, RedactsTheAccessTokenOnly) {
  EXPECT_EQ(TargetForLog("/events/a?access_token=eyJ.x.y&channel=b"), "/events/a?access_token=REDACTED&channel=b");
  EXPECT_EQ(TargetForLog("/events/a?channel=b&access%5Ftoken=abc"), "/events/a?channel=b&access%5Ftoken=REDACTED");
  EXPECT_EQ(TargetForLog("/events/a"), "/events/a");
  EXPECT_EQ(TargetForLog("/events/a?x=1&&y"), "/events/a?x=1&&y");
}

}  // namespace
}  // namespace ssebridge
