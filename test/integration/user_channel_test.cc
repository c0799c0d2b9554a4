// Per-user messages with the real binary (the Alfresco part of the access
// issue): who may open user:<name>, the user=me shorthand, patterns that
// must not see user channels, publishes addressed to users, and the offline
// queue in embedded mode and across two processes sharing Redis.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include "../unit/jwt_mint.h"
#include "harness.h"
#include "redis_test_fixture.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(5000);
const std::string kSecret = "user-channel-secret-user-channel-secret";

// A token for `sub`, valid for an hour, with `subscribe` grants (JSON array text).
std::string TokenFor(const std::string& sub, const std::string& subscribe = "[]") {
  return ssebridge::testing_jwt::Mint(JWT_ALG_HS256, kSecret,
                                      R"({"sub":")" + sub + R"(","exp":)" + std::to_string(time(nullptr) + 3600) +
                                          R"(,"ssebridge":{"subscribe":)" + subscribe + "}}");
}

std::vector<std::pair<std::string, std::string>> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

class UserChannelTest : public ::testing::Test {
 protected:
  void StartBridge(std::vector<std::string> args = {}) {
    std::vector<std::string> all = {"--jwt-secret-file", dir_.WriteFile("secret", kSecret)};
    all.insert(all.end(), args.begin(), args.end());
    ASSERT_TRUE(bridge_.Start(all)) << bridge_.process().output();
  }
  int port() { return bridge_.port(); }
  int Status(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    std::optional<HttpResponse> response = harness::HttpRequest(port(), "GET", target, "", headers);
    return response ? response->status : -1;
  }
  std::string Publish(const std::string& json) {
    std::optional<HttpResponse> response = harness::PublishJson(port(), json);
    EXPECT_TRUE(response && response->status == 200) << (response ? response->body : "no answer");
    return response ? harness::PublishedId(*response) : "";
  }

  harness::TempDir dir_;
  Bridge bridge_;
};

TEST_F(UserChannelTest, OwnChannelYesSomeoneElsesNoAndUserMeIsTheOwnOne) {
  StartBridge();
  // Anonymous subscribing is on (the default), yet not for user channels.
  EXPECT_EQ(Status("/events/user:alice"), 401);
  EXPECT_EQ(Status("/events/user:bob", Bearer(TokenFor("alice"))), 403);
  EXPECT_EQ(Status("/events?user=me"), 401);
  EXPECT_EQ(Status("/events/news?user=bob", Bearer(TokenFor("alice"))), 403);
  SseClient own;
  ASSERT_TRUE(own.Open(port(), "/events/user:alice", Bearer(TokenFor("alice"))));
  ASSERT_EQ(own.head().status, 200);
  SseClient me;
  ASSERT_TRUE(me.Open(port(), "/events?user=me&access_token=" + TokenFor("alice")));
  ASSERT_EQ(me.head().status, 200);
  SseClient me_channel;
  ASSERT_TRUE(me_channel.Open(port(), "/events/user:me", Bearer(TokenFor("alice"))));
  ASSERT_EQ(me_channel.head().status, 200);
  const std::string id = Publish(R"({"user":"alice","event":"delete","data":"workspace://SpacesStore/1234"})");
  for (SseClient* client : {&own, &me, &me_channel}) {
    std::optional<SseEvent> event = client->Next(kWait);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->event, "delete");
    EXPECT_EQ(event->data, "workspace://SpacesStore/1234");
    EXPECT_EQ(event->id, id);
  }
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_auth_failures_total{reason=\"forbidden\"}"), 2);
}

TEST_F(UserChannelTest, PatternsSeeUserChannelsOnlyWhenAGrantNamesThem) {
  StartBridge({"--empty-subscribe-all"});
  SseClient anonymous_all;  // "*" without a token, and "/events" (every channel).
  ASSERT_TRUE(anonymous_all.Open(port(), "/events?channel=*"));
  ASSERT_EQ(anonymous_all.head().status, 200);
  SseClient everything;
  ASSERT_TRUE(everything.Open(port(), "/events"));
  ASSERT_EQ(everything.head().status, 200);
  // A "*" grant is every shared channel, not everyone's private one.
  EXPECT_EQ(Status("/events?channel=user:*", Bearer(TokenFor("eve", R"(["*"])"))), 403);
  EXPECT_EQ(Status("/events?channel=user:*"), 401);
  SseClient support;
  ASSERT_TRUE(support.Open(port(), "/events?channel=user:*", Bearer(TokenFor("support", R"(["user:*"])"))));
  ASSERT_EQ(support.head().status, 200);
  SseClient bob;
  ASSERT_TRUE(bob.Open(port(), "/events?user=me", Bearer(TokenFor("bob"))));
  Publish(R"({"user":"bob","data":"private"})");
  Publish(R"({"channel":"news","data":"public"})");
  EXPECT_EQ(harness::NextData(bob, kWait), "private");
  EXPECT_EQ(harness::NextData(support, kWait), "private");
  // The pattern subscribers' first event is the public one: the private one
  // never reached them.
  EXPECT_EQ(harness::NextData(anonymous_all, kWait), "public");
  EXPECT_EQ(harness::NextData(everything, kWait), "public");
  // Nor does a resume of "*" replay it from history.
  SseClient resumed;
  ASSERT_TRUE(resumed.Open(port(), "/events?channel=*&lastEventId=1"));
  std::optional<SseEvent> gap = resumed.Next(kWait);  // 1 is no id this process issued.
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_EQ(harness::NextData(resumed, kWait), "public");
}

TEST_F(UserChannelTest, UsersFanOutToEveryStreamOfEachUser) {
  StartBridge();
  SseClient alice_tab1, alice_tab2, bob, carol;
  ASSERT_TRUE(alice_tab1.Open(port(), "/events?user=me", Bearer(TokenFor("alice"))));
  ASSERT_TRUE(alice_tab2.Open(port(), "/events/user:alice", Bearer(TokenFor("alice"))));
  ASSERT_TRUE(bob.Open(port(), "/events?user=me", Bearer(TokenFor("bob"))));
  ASSERT_TRUE(carol.Open(port(), "/events?user=me", Bearer(TokenFor("carol"))));
  Publish(R"({"users":["alice","bob"],"data":"both"})");
  // Form publishes address users too.
  std::optional<HttpResponse> form = harness::HttpRequest(port(), "POST", "/publish", "user=carol&message=form",
                                                          {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 200) << form->body;
  for (SseClient* client : {&alice_tab1, &alice_tab2, &bob}) EXPECT_EQ(harness::NextData(*client, kWait), "both");
  EXPECT_EQ(harness::NextData(carol, kWait), "form");
}

TEST_F(UserChannelTest, EmbeddedQueueKeepsMessagesForAnAbsentUserAndBoundsThem) {
  StartBridge({"--user-queue-size", "2"});
  for (int i = 1; i <= 4; ++i) Publish(R"({"user":"dave","data":"m)" + std::to_string(i) + R"("})");
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_user_messages_queued_total"), 4);
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_user_messages_dropped_total"), 2);
  SseClient dave;
  ASSERT_TRUE(dave.Open(port(), "/events?user=me", Bearer(TokenFor("dave"))));
  std::optional<SseEvent> gap = dave.Next(kWait);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_NE(gap->data.find("\"reason\":\"user-queue-full\",\"dropped\":2"), std::string::npos) << gap->data;
  EXPECT_EQ(harness::NextData(dave, kWait), "m3");
  EXPECT_EQ(harness::NextData(dave, kWait), "m4");
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_user_messages_delivered_total"), 2);
  // Delivered once: a second stream of dave gets the next live message first.
  SseClient again;
  ASSERT_TRUE(again.Open(port(), "/events?user=me", Bearer(TokenFor("dave"))));
  Publish(R"({"user":"dave","data":"live"})");
  EXPECT_EQ(harness::NextData(again, kWait), "live");
  EXPECT_EQ(harness::NextData(dave, kWait), "live");
}

TEST_F(UserChannelTest, EmbeddedQueueForgetsMessagesAfterTheirLifetime) {
  StartBridge({"--user-queue-ttl", "1"});
  Publish(R"({"user":"erin","data":"stale"})");
  // The periodic sweep drops it once its second has passed.
  EXPECT_TRUE(harness::Eventually(
      [&] { return harness::MetricValue(port(), "ssebridge_user_messages_dropped_total") == 1; }, kWait));
  SseClient erin;
  ASSERT_TRUE(erin.Open(port(), "/events?user=me", Bearer(TokenFor("erin"))));
  Publish(R"({"user":"erin","data":"fresh"})");
  EXPECT_EQ(harness::NextData(erin, kWait), "fresh");
  EXPECT_EQ(harness::MetricValue(port(), "ssebridge_user_messages_delivered_total"), 0);
}

// --- Two processes sharing Redis ---------------------------------------------------

class UserQueueRedisTest : public harness::RedisTest {
 protected:
  void StartBoth() {
    const std::string secret = dir_.WriteFile("secret", kSecret);
    StartBridge(first_, {"--jwt-secret-file", secret});
    StartBridge(second_, {"--jwt-secret-file", secret});
  }
  harness::TempDir dir_;
  Bridge first_;
  Bridge second_;
};

TEST_F(UserQueueRedisTest, AMessageSentWhileAliceIsAwayReachesHerOnTheOtherProcessOnce) {
  StartBoth();
  // Redis matches "*" against user:alice too; the relay must not pass it on.
  SseClient everything;
  ASSERT_TRUE(everything.Open(first_.port(), "/events?channel=*"));
  ASSERT_EQ(everything.head().status, 200);
  ASSERT_TRUE(harness::Eventually(
      [&] { return harness::RedisCommand(redis_.port(), {"PUBSUB", "NUMPAT"}).integer == 1; }, kWait));
  {
    // Alice was here (on the first process), then left.
    SseClient earlier;
    ASSERT_TRUE(earlier.Open(first_.port(), "/events?user=me", Bearer(TokenFor("alice"))));
    ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "user:alice", 1));
  }
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "user:alice", 0));
  std::optional<HttpResponse> sent = harness::PublishJson(first_.port(), R"({"user":"alice","data":"while away"})");
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200) << sent->body;
  EXPECT_EQ(harness::MetricValue(first_.port(), "ssebridge_user_messages_queued_total"), 1);
  // She comes back on the other process, with a new page (no Last-Event-ID).
  SseClient alice;
  ASSERT_TRUE(alice.Open(second_.port(), "/events?user=me", Bearer(TokenFor("alice"))));
  std::optional<SseEvent> event = alice.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "while away");
  EXPECT_EQ(event->id, harness::PublishedId(*sent));
  EXPECT_TRUE(harness::Eventually(
      [&] { return harness::MetricValue(second_.port(), "ssebridge_user_messages_delivered_total") == 1; }, kWait));
  // Once: another stream of hers, on the first process, starts with what is
  // published next, and so does the one that got the queued message.
  SseClient second_tab;
  ASSERT_TRUE(second_tab.Open(first_.port(), "/events?user=me", Bearer(TokenFor("alice"))));
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "user:alice", 2));
  ASSERT_TRUE(harness::PublishJson(second_.port(), R"({"user":"alice","data":"live"})"));
  EXPECT_EQ(harness::NextData(second_tab, kWait), "live");
  EXPECT_EQ(harness::NextData(alice, kWait), "live");
  EXPECT_EQ(harness::MetricValue(first_.port(), "ssebridge_user_messages_delivered_total"), 0);
  // The "*" stream saw none of alice's messages: its first event is public.
  ASSERT_TRUE(harness::PublishJson(second_.port(), R"({"channel":"news","data":"public"})"));
  EXPECT_EQ(harness::NextData(everything, kWait), "public");
}

}  // namespace
