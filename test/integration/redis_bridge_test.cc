// The bridge in Redis mode against a real redis-server started per test: what
// only the Redis broker does (relaying other applications' PUBLISHes and
// envelopes, subscribing on demand, surviving Redis restarts, batching
// publishes into scripts). Scenarios both brokers share are in bridge_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "harness.h"
#include "redis_test_fixture.h"
#include "ssebridge/channel.h"

using harness::Bridge;
using harness::Eventually;
using harness::HttpResponse;
using harness::Millis;
using harness::NextData;
using harness::PublishJson;
using harness::RedisCommand;
using harness::RedisServer;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(5000);

class RedisBridgeTest : public harness::RedisTest {
 protected:

  std::vector<std::string> RedisChannels() {
    std::vector<std::string> channels = RedisCommand(redis_.port(), {"PUBSUB", "CHANNELS"}).elements;
    // Every bridge subscribes to the client-command channel; tests look at the rest.
    channels.erase(std::remove(channels.begin(), channels.end(), "ssebridge:control"), channels.end());
    std::sort(channels.begin(), channels.end());
    return channels;
  }

  // Redis confirms a subscription asynchronously; messages published before
  // that are (correctly) not delivered, so tests wait for it.
  void AwaitRedisChannels(const std::vector<std::string>& expected) {
    std::vector<std::string> sorted = expected;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_TRUE(Eventually([&] { return RedisChannels() == sorted; }, kWait));
  }

  long long PatternCount() { return RedisCommand(redis_.port(), {"PUBSUB", "NUMPAT"}).integer; }
};

TEST_F(RedisBridgeTest, RedisCliPublishArrivesAsExactData) {
  Bridge bridge;
  StartBridge(bridge);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/base"));
  AwaitRedisChannels({"base"});
  EXPECT_EQ(RedisCommand(redis_.port(), {"PUBLISH", "base", "[1, 2, 3]"}).integer, 1);
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "[1, 2, 3]");
  EXPECT_EQ(event->event, "message");
}

TEST_F(RedisBridgeTest, EnvelopesBecomeNamedEventsAndOtherJsonStaysData) {
  Bridge bridge;
  StartBridge(bridge);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/todo"));
  AwaitRedisChannels({"todo"});
  RedisCommand(redis_.port(), {"PUBLISH", "todo", R"({"event":"todochanged","data":{"n":7}})"});
  RedisCommand(redis_.port(), {"PUBLISH", "todo", R"({"event":"x","data":1,"extra":true})"});
  RedisCommand(redis_.port(), {"PUBLISH", "todo", R"({"event":"withid","data":"text","id":"app-42","retry":500})"});
  RedisCommand(redis_.port(), {"PUBLISH", "todo", "not json at all"});
  std::optional<SseEvent> named = client.Next(kWait);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->event, "todochanged");
  EXPECT_EQ(named->data, R"({"n":7})");
  std::optional<SseEvent> plain = client.Next(kWait);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->event, "message");
  EXPECT_EQ(plain->data, R"({"event":"x","data":1,"extra":true})");
  std::optional<SseEvent> with_id = client.Next(kWait);
  ASSERT_TRUE(with_id);
  EXPECT_EQ(with_id->event, "withid");
  EXPECT_EQ(with_id->id, "app-42");
  EXPECT_EQ(with_id->data, "text");
  EXPECT_EQ(client.retry_ms, 500);
  EXPECT_EQ(NextData(client, kWait), "not json at all");
}

TEST_F(RedisBridgeTest, EnvelopeRecognitionCanBeTurnedOff) {
  Bridge bridge;
  StartBridge(bridge, {"--redis-envelope", "off"});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/raw"));
  AwaitRedisChannels({"raw"});
  std::string payload = R"({"event":"todochanged","data":{"n":7}})";
  RedisCommand(redis_.port(), {"PUBLISH", "raw", payload});
  std::optional<SseEvent> event = client.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "message");
  EXPECT_EQ(event->data, payload);
}

TEST_F(RedisBridgeTest, HttpPublishOnOneProcessReachesClientsOfAnother) {
  Bridge first;
  Bridge second;
  StartBridge(first);
  StartBridge(second);
  SseClient on_first;
  SseClient on_second;
  ASSERT_TRUE(on_first.Open(first.port(), "/events/shared"));
  ASSERT_TRUE(on_second.Open(second.port(), "/events/shared"));
  EXPECT_TRUE(harness::AwaitSubscribers(redis_.port(), "shared", 2));
  std::optional<HttpResponse> response =
      PublishJson(first.port(), R"({"channel":"shared","event":"update","data":{"k":[1,2,{"b":1,"a":2}]}})");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  for (SseClient* client : {&on_first, &on_second}) {
    std::optional<SseEvent> event = client->Next(kWait);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->event, "update");
    EXPECT_EQ(event->data, R"({"k":[1,2,{"b":1,"a":2}]})");
    EXPECT_FALSE(event->id.empty());
    EXPECT_NE(response->body.find("\"id\":\"" + event->id + "\""), std::string::npos) << response->body;
  }
}

TEST_F(RedisBridgeTest, SubscribesOnlyWhileLocalSubscribersExist) {
  Bridge bridge;
  StartBridge(bridge);
  AwaitRedisChannels({});
  {
    SseClient a1;
    SseClient a2;
    ASSERT_TRUE(a1.Open(bridge.port(), "/events?channel=alpha&channel=beta.*"));
    ASSERT_TRUE(a2.Open(bridge.port(), "/events/alpha"));
    AwaitRedisChannels({"alpha"});
    EXPECT_TRUE(Eventually([&] { return PatternCount() == 1; }, kWait));
    a1.socket().Close();
    // alpha still has a subscriber; the pattern does not.
    EXPECT_TRUE(Eventually([&] { return PatternCount() == 0; }, kWait));
    EXPECT_EQ(RedisChannels(), std::vector<std::string>{"alpha"});
  }
  AwaitRedisChannels({});
  // And it comes back for a new subscriber.
  SseClient again;
  ASSERT_TRUE(again.Open(bridge.port(), "/events/alpha"));
  AwaitRedisChannels({"alpha"});
  RedisCommand(redis_.port(), {"PUBLISH", "alpha", "back"});
  EXPECT_EQ(NextData(again, kWait), "back");
}

TEST_F(RedisBridgeTest, RedisRestartMidStreamResubscribesAndDelivers) {
  Bridge bridge;
  StartBridge(bridge);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events?channel=live&channel=li*"));
  AwaitRedisChannels({"live"});
  RedisCommand(redis_.port(), {"PUBLISH", "live", "before"});
  EXPECT_EQ(NextData(client, kWait), "before");

  redis_.Stop();
  EXPECT_TRUE(Eventually(
      [&] {
        auto health = harness::HttpRequest(bridge.port(), "GET", "/readyz");
        return health && health->status == 503;
      },
      kWait));
  // Publishing while Redis is down must fail loudly, not vanish.
  std::optional<HttpResponse> refused = PublishJson(bridge.port(), R"({"channel":"live","data":"lost?"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->body.rfind("{\"error\":", 0), 0u) << refused->body;

  ASSERT_TRUE(redis_.Start());
  AwaitRedisChannels({"live"});
  EXPECT_TRUE(Eventually([&] { return PatternCount() == 1; }, kWait));
  EXPECT_TRUE(Eventually(
      [&] {
        auto health = harness::HttpRequest(bridge.port(), "GET", "/readyz");
        return health && health->status == 200;
      },
      Millis(10000)));
  RedisCommand(redis_.port(), {"PUBLISH", "live", "after"});
  auto published = PublishJson(bridge.port(), R"({"channel":"live","data":"after-http"})");
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200) << published->body;
  std::optional<SseEvent> after = client.Next(kWait);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->data, "after");
  EXPECT_EQ(NextData(client, kWait), "after-http");
  EXPECT_FALSE(client.closed());
}

TEST_F(RedisBridgeTest, SubscriberConnectionKilledIsRestored) {
  Bridge bridge;
  StartBridge(bridge);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/k"));
  AwaitRedisChannels({"k"});
  EXPECT_GE(RedisCommand(redis_.port(), {"CLIENT", "KILL", "TYPE", "pubsub"}).integer, 1);
  EXPECT_TRUE(bridge.process().WaitForLine("redis-subscriber: connection lost", kWait));
  AwaitRedisChannels({"k"});
  RedisCommand(redis_.port(), {"PUBLISH", "k", "restored"});
  EXPECT_EQ(NextData(client, kWait), "restored");
}

TEST_F(RedisBridgeTest, UnreachableRedisAtStartupIsRetriedAndReported) {
  redis_.Stop();
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--redis", redis_.url()}));
  auto health = harness::HttpRequest(bridge.port(), "GET", "/readyz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  ASSERT_TRUE(redis_.Start());
  EXPECT_TRUE(bridge.process().WaitForLine("redis-commands: connected", Millis(15000)));
  EXPECT_TRUE(Eventually(
      [&] {
        auto again = harness::HttpRequest(bridge.port(), "GET", "/readyz");
        return again && again->status == 200;
      },
      Millis(15000)));
}

// Publishes of one loop turn go to Redis in one script call. A message whose
// channel cannot store history (its stream key holds another type) must fail
// alone, as a whole, without touching the others of its batch.
TEST_F(RedisBridgeTest, BatchedPublishesFailOneByOneAndNeverHalfway) {
  Bridge bridge;
  StartBridge(bridge);
  ASSERT_EQ(RedisCommand(redis_.port(), {"SET", "ssebridge:stream:broken", "not a stream"}).text, "OK");
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/good"));
  AwaitRedisChannels({"good"});
  auto publish = [](const std::string& body) {
    return "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  // Sent in one write, so the bridge reads and batches them together.
  std::vector<bool> should_succeed;
  std::string pipeline;
  for (int i = 0; i < 10; ++i) {
    if (i == 3) {
      pipeline += publish(R"({"channel":"broken","data":"lost"})");
      should_succeed.push_back(false);
    }
    if (i == 6) {
      pipeline += publish(R"({"channels":["good","broken"],"data":"half"})");
      should_succeed.push_back(false);
    }
    pipeline += publish(R"({"channel":"good","data":"m)" + std::to_string(i) + "\"}");
    should_succeed.push_back(true);
  }
  harness::Socket socket;
  ASSERT_TRUE(socket.Connect(bridge.port()));
  ASSERT_TRUE(socket.SendAll(pipeline));
  std::string buffer;
  for (size_t i = 0; i < should_succeed.size(); ++i) {
    std::optional<HttpResponse> response = harness::ReadResponse(socket, buffer, kWait);
    ASSERT_TRUE(response) << "response " << i;
    if (should_succeed[i]) {
      EXPECT_EQ(response->status, 200) << "response " << i << ": " << response->body;
    } else {
      EXPECT_EQ(response->status, 503) << "response " << i << ": " << response->body;
      EXPECT_NE(response->body.find("WRONGTYPE"), std::string::npos) << response->body;
    }
  }
  // The subscriber gets the ten good messages in order and nothing of the
  // message that was also addressed to the broken channel.
  for (int i = 0; i < 10; ++i) {
    std::optional<SseEvent> event = client.Next(kWait);
    ASSERT_TRUE(event) << "event " << i;
    EXPECT_EQ(event->data, "m" + std::to_string(i));
  }
  EXPECT_EQ(RedisCommand(redis_.port(), {"XLEN", "ssebridge:stream:good"}).integer, 10);
  EXPECT_EQ(RedisCommand(redis_.port(), {"GET", "ssebridge:stream:broken"}).text, "not a stream");
  auto metrics = harness::HttpRequest(bridge.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nssebridge_messages_published_total 10\n"), std::string::npos) << metrics->body;
}

// Redis can lose its script cache (SCRIPT FLUSH, a failover to a replica
// that never saw SCRIPT LOAD) while the bridge stays connected: EVALSHA then
// answers NOSCRIPT and the bridge must resend the source, not fail publishes.
TEST_F(RedisBridgeTest, PublishesSurviveAFlushedScriptCache) {
  Bridge bridge;
  StartBridge(bridge);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/cache"));
  AwaitRedisChannels({"cache"});
  std::optional<HttpResponse> first = PublishJson(bridge.port(), R"({"channel":"cache","data":"before"})");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  ASSERT_EQ(RedisCommand(redis_.port(), {"SCRIPT", "FLUSH"}).text, "OK");
  std::optional<HttpResponse> response = PublishJson(bridge.port(), R"({"channel":"cache","data":"after"})");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  for (const char* expected : {"before", "after"}) {
    std::optional<SseEvent> event = client.Next(kWait);
    ASSERT_TRUE(event) << expected;
    EXPECT_EQ(event->data, expected);
  }
}

TEST(RedisConnectionOptionsTest, PasswordInUrlWorksAndMissingPasswordIsReported) {
  RedisServer redis;
  redis.set_extra_args({"--requirepass", "s3cret:pw"});
  ASSERT_TRUE(redis.Start());
  // A password with a reserved character, percent-encoded in the URL (and a
  // database number); the same server over its socket without the password.
  for (const std::string& url : {"unix://" + redis.socket_path() + "?db=2",
                                 "redis://:s3cret%3Apw@127.0.0.1:" + std::to_string(redis.port()) + "/2"}) {
    bool uses_password = url.rfind("redis://", 0) == 0;
    Bridge bridge;
    ASSERT_TRUE(bridge.Start({"--redis", url})) << bridge.process().output();
    if (!uses_password) {
      // Over the socket without the password Redis refuses: /readyz must say so.
      EXPECT_TRUE(bridge.process().WaitForLine("AUTH", kWait) || bridge.process().WaitForLine("NOAUTH", kWait))
          << bridge.process().output();
      auto health = harness::HttpRequest(bridge.port(), "GET", "/readyz");
      ASSERT_TRUE(health);
      EXPECT_EQ(health->status, 503);
      continue;
    }
    ASSERT_TRUE(bridge.process().WaitForLine("redis-subscriber: connected", kWait)) << bridge.process().output();
    ASSERT_TRUE(bridge.process().WaitForLine("redis-commands: connected", kWait)) << bridge.process().output();
    SseClient client;
    ASSERT_TRUE(client.Open(bridge.port(), "/events/authed"));
    ASSERT_TRUE(harness::AwaitSubscribers(redis.port(), "authed", 1, "s3cret:pw"));
    auto response = PublishJson(bridge.port(), R"({"channel":"authed","data":"with a password"})");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(NextData(client, kWait), "with a password");
  }
}

// An ACL user (Redis 6+) limited to ssebridge's keys and without admin
// commands: with its password the bridge relays both ways; with a wrong one
// it says why in its log and on /readyz, and refuses publishes, while
// /healthz still says the process is alive.
TEST(RedisConnectionOptionsTest, AclUserWorksAndAWrongPasswordIsReported) {
  RedisServer redis;
  redis.set_extra_args({"--requirepass", "admin-pw", "--user", "sse", "on", ">sse-pw", "~ssebridge:*", "&*", "+@all",
                        "-@admin"});
  ASSERT_TRUE(redis.Start());
  const std::string base = "127.0.0.1:" + std::to_string(redis.port());
  {
    Bridge bridge;
    ASSERT_TRUE(bridge.StartWithRedis("redis://sse:sse-pw@" + base + "/0")) << bridge.process().output();
    EXPECT_TRUE(harness::Healthy(bridge.port()));
    SseClient client;
    ASSERT_TRUE(client.Open(bridge.port(), "/events/acl"));
    ASSERT_TRUE(harness::AwaitSubscribers(redis.port(), "acl", 1, "admin-pw"));
    auto response = PublishJson(bridge.port(), R"({"channel":"acl","data":"as an ACL user"})");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body << bridge.process().output();
    EXPECT_EQ(NextData(client, kWait), "as an ACL user");
    // The history the publish script wrote is under the user's key pattern.
    EXPECT_EQ(RedisCommand(redis.port(), {"EXISTS", "ssebridge:stream:acl"}, "admin-pw").integer, 1);
  }
  Bridge wrong;
  ASSERT_TRUE(wrong.Start({"--redis", "redis://sse:not-the-password@" + base})) << wrong.process().output();
  EXPECT_TRUE(wrong.process().WaitForLine("AUTH failed: WRONGPASS", kWait)) << wrong.process().output();
  std::optional<HttpResponse> ready = harness::HttpRequest(wrong.port(), "GET", "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find(R"("down":["subscriber","commands"])"), std::string::npos) << ready->body;
  std::optional<HttpResponse> alive = harness::HttpRequest(wrong.port(), "GET", "/healthz");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);
  std::optional<HttpResponse> refused = PublishJson(wrong.port(), R"({"channel":"acl","data":"lost"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
}

TEST(RedisConnectionOptionsTest, UnixSocketUrl) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--redis", "unix://" + redis.socket_path()})) << bridge.process().output();
  ASSERT_TRUE(bridge.process().WaitForLine("redis-subscriber: connected to " + redis.socket_path(), kWait))
      << bridge.process().output();
  ASSERT_TRUE(bridge.process().WaitForLine("redis-commands: connected", kWait));
  SseClient client;
  ASSERT_TRUE(client.Open(bridge.port(), "/events/sock"));
  ASSERT_TRUE(harness::AwaitSubscribers(redis.port(), "sock", 1));
  RedisCommand(redis.port(), {"PUBLISH", "sock", "over a unix socket"});
  EXPECT_EQ(NextData(client, kWait), "over a unix socket");
}

// The embedded broker must match patterns exactly as Redis does. Redis's KEYS
// uses the same matcher (stringmatchlen) as PSUBSCRIBE, so it is the oracle.
TEST_F(RedisBridgeTest, GlobMatchingAgreesWithRedis) {
  const std::vector<std::string> names = {
      "news",     "news.uk", "news.", "newsX",   "a",     "ab",    "abc",   "a*b",  "a?b", "a[b",
      "a]b",      "a-b",     "a\\b", "x.y.z",   "room1", "room9", "roomA", "b",    "c",   "^x",
      "hello",    "hallo",   "hxllo", "heeeello", "h\xc3\xa9llo", "z-a", "m",  "-",    "]",   "[",
  };
  const std::vector<std::string> patterns = {
      "*",     "news*", "news.*", "news?",  "a*b",   "a\\*b", "a?b",    "a[b-c]", "a[^b]*", "room[0-9]",
      "room[^0-9]", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "[z-a]", "a[\\]]b", "a[", "a\\",  "[-]",
      "[]]",   "x.*.z", "**a**", "?",      "[^a-z]", "h[a-e]llo", "[\\^x]*", "a[b-]", "*[",  "\\[",
  };
  for (const std::string& name : names) ASSERT_TRUE(RedisCommand(redis_.port(), {"SET", name, "1"}).ok);
  for (const std::string& pattern : patterns) {
    std::vector<std::string> keys = RedisCommand(redis_.port(), {"KEYS", pattern}).elements;
    std::set<std::string> redis_matches(keys.begin(), keys.end());
    for (const std::string& name : names) {
      EXPECT_EQ(ssebridge::GlobMatch(pattern, name), redis_matches.count(name) == 1)
          << "pattern '" << pattern << "' name '" << name << "'";
    }
  }
}

}  // namespace
