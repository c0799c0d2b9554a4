// server-event-mgr compatibility (docs/compat.md#server-event-mgr) against the
// real binary, on both brokers: client ids (the registered event and the
// X-SSE-Client-Id header, chosen ids and replacement), the private channel
// client:<id>, and the /clients endpoints that change a live stream.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker_test_fixture.h"
#include "harness.h"
#include "redis_test_fixture.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::PublishJson;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(5000);
constexpr char kChosenId[] = "page-7f3a9c21e0b84d55";

std::string NextEvent(SseClient& client) {
  std::optional<SseEvent> event = client.Next(kWait);
  if (!event) return "(no event within 5 s)";
  return event->event + "/" + event->data;
}

class ServerEventMgrCompatTest : public harness::BrokerTest {
 protected:
  void SetUp() override {
    harness::BrokerTest::SetUp();
    StartBridge(bridge_);
  }

  // Opens a registered stream and reads its registered event; returns the id.
  std::string OpenRegistered(SseClient& client, const std::string& target) {
    if (!client.Open(bridge_.port(), target)) return "(stream did not open)";
    std::optional<SseEvent> event = client.Next(kWait);
    if (!event || event->event != "registered") return "(no registered event)";
    auto header = client.head().headers.find("x-sse-client-id");
    if (header == client.head().headers.end() || header->second != event->data) return "(header differs)";
    return event->data;
  }

  int Publish(const std::string& channel, const std::string& data) {
    std::optional<HttpResponse> answer =
        PublishJson(bridge_.port(), R"({"channel":")" + channel + R"(","data":")" + data + R"("})");
    return answer ? answer->status : 0;
  }

  std::optional<HttpResponse> Command(const std::string& method, const std::string& target,
                                      const std::string& body = "") {
    return harness::HttpRequest(bridge_.port(), method, target, body, {{"Content-Type", "application/json"}});
  }

  Bridge bridge_;
};

TEST_P(ServerEventMgrCompatTest, RegisterGivesAnIdInTheFirstEventAndAHeaderAndAPrivateChannel) {
  SseClient client;
  const std::string id = OpenRegistered(client, "/events/news?register=1");
  ASSERT_EQ(id.size(), 32u) << id;
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_TRUE(client.last_event_id.empty());  // The registered event has no id.
  AwaitSubscriptions({"news", "client:" + id});
  ASSERT_EQ(Publish("client:" + id, "task done"), 200);
  EXPECT_EQ(NextEvent(client), "message/task done");
  if (redis_mode()) {
    // A plain PUBLISH from an application reaches the private channel too.
    EXPECT_EQ(harness::RedisCommand(redis_port(), {"PUBLISH", "client:" + id, "from redis"}).integer, 1);
    EXPECT_EQ(NextEvent(client), "message/from redis");
  }
  ASSERT_EQ(Publish("news", "headline"), 200);
  EXPECT_EQ(NextEvent(client), "message/headline");

  // Another stream gets another id.
  SseClient other;
  const std::string other_id = OpenRegistered(other, "/events/news?register=1");
  EXPECT_EQ(other_id.size(), 32u) << other_id;
  EXPECT_NE(other_id, id);
}

TEST_P(ServerEventMgrCompatTest, StreamsThatDoNotAskAreUnchanged) {
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/news"));
  EXPECT_EQ(client.head().headers.count("x-sse-client-id"), 0u);
  AwaitSubscriptions({"news"});
  ASSERT_EQ(Publish("news", "first"), 200);
  EXPECT_EQ(NextEvent(client), "message/first");
}

TEST_P(ServerEventMgrCompatTest, AChosenIdIsKeptAndANewerStreamWithItReplacesTheOlder) {
  SseClient older;
  ASSERT_EQ(OpenRegistered(older, std::string("/events/a?client_id=") + kChosenId), kChosenId);
  SseClient newer;
  ASSERT_EQ(OpenRegistered(newer, std::string("/events/b?client_id=") + kChosenId), kChosenId);
  EXPECT_TRUE(older.WaitEnd(kWait));
  EXPECT_TRUE(older.saw_final_chunk());
  AwaitSubscriptions({"b", std::string("client:") + kChosenId});
  ASSERT_EQ(Publish(std::string("client:") + kChosenId, "for the newer"), 200);
  EXPECT_EQ(NextEvent(newer), "message/for the newer");
}

TEST_P(ServerEventMgrCompatTest, BadClientIdsAndPollsAsking) {
  std::optional<HttpResponse> short_id = harness::HttpRequest(bridge_.port(), "GET", "/events/a?client_id=abc");
  ASSERT_TRUE(short_id);
  EXPECT_EQ(short_id->status, 400);
  EXPECT_EQ(short_id->body, R"({"error":"client_id must be 16 to 64 characters long"})");
  std::optional<HttpResponse> poll = harness::HttpRequest(bridge_.port(), "GET", "/events/a?register=1&poll=1");
  ASSERT_TRUE(poll);
  EXPECT_EQ(poll->status, 400);
  EXPECT_EQ(poll->body, R"({"error":"a long poll cannot register a client id: open an event stream"})");
}

TEST_P(ServerEventMgrCompatTest, ChannelsAddedAndRemovedOnALiveStream) {
  SseClient client;
  const std::string id = OpenRegistered(client, "/events/a?register=1");
  ASSERT_EQ(id.size(), 32u) << id;
  std::optional<HttpResponse> added = Command("POST", "/clients/" + id + "/channels", R"({"channels":["b","c.*"]})");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 200) << added->body;
  EXPECT_EQ(added->body, R"({"status":"ok","client":")" + id + R"(","topics":4})");
  AwaitSubscriptions({"a", "b", "client:" + id}, 1);
  ASSERT_EQ(Publish("b", "on b"), 200);
  EXPECT_EQ(NextEvent(client), "message/on b");
  ASSERT_EQ(Publish("c.1", "on c.1"), 200);
  EXPECT_EQ(NextEvent(client), "message/on c.1");

  // A form body works too, and so does removing.
  std::optional<HttpResponse> removed = harness::HttpRequest(bridge_.port(), "DELETE", "/clients/" + id + "/channels/b");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200) << removed->body;
  AwaitSubscriptions({"a", "client:" + id}, 1);
  ASSERT_EQ(Publish("b", "not for the stream"), 200);
  ASSERT_EQ(Publish("a", "marker"), 200);
  EXPECT_EQ(NextEvent(client), "message/marker");  // Nothing from b came before it.

  std::optional<HttpResponse> form =
      harness::HttpRequest(bridge_.port(), "POST", "/clients/" + id + "/channels", "channel=d",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 200) << form->body;
  AwaitSubscriptions({"a", "d", "client:" + id}, 1);
  ASSERT_EQ(Publish("d", "on d"), 200);
  EXPECT_EQ(NextEvent(client), "message/on d");
}

// Unknown here: 404 with the embedded broker; with Redis another process
// may hold the stream, so the command is sent there and answered 202.
TEST_P(ServerEventMgrCompatTest, DeleteEndsTheStreamAndUnknownIdsAre404OrSentOn) {
  SseClient client;
  const std::string id = OpenRegistered(client, "/events/a?register=1");
  ASSERT_EQ(id.size(), 32u) << id;
  std::optional<HttpResponse> ended = Command("DELETE", "/clients/" + id);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 200) << ended->body;
  EXPECT_TRUE(client.WaitEnd(kWait));
  EXPECT_TRUE(client.saw_final_chunk());

  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"DELETE", "/clients/" + id},
           {"POST", "/clients/" + id + "/channels"},
           {"DELETE", "/clients/" + id + "/channels/a"}}) {
    std::optional<HttpResponse> answer = Command(method, target, R"({"channel":"x"})");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->headers["content-type"], "application/json");
    if (redis_mode()) {
      EXPECT_EQ(answer->status, 202) << method << " " << target;
      EXPECT_EQ(answer->body, R"({"status":"accepted","client":")" + id + R"("})");
    } else {
      EXPECT_EQ(answer->status, 404) << method << " " << target;
      EXPECT_EQ(answer->body, R"({"error":"no client with id ')" + id + R"(' on this server"})");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Brokers, ServerEventMgrCompatTest, harness::BothBrokers(), harness::BrokerName);

// Two processes on one Redis: commands received by one reach the stream the
// other holds, through the control channel.
class ServerEventMgrRedisTest : public harness::RedisTest {
 protected:
  static std::optional<HttpResponse> Json(int port, const std::string& method, const std::string& target,
                                          const std::string& body = "") {
    return harness::HttpRequest(port, method, target, body, {{"Content-Type", "application/json"}});
  }
  static int Publish(int port, const std::string& channel, const std::string& data) {
    std::optional<HttpResponse> answer =
        PublishJson(port, R"({"channel":")" + channel + R"(","data":")" + data + R"("})");
    return answer ? answer->status : 0;
  }
};

TEST_F(ServerEventMgrRedisTest, CommandsSentToOneProcessReachAStreamHeldByAnother) {
  Bridge front;
  Bridge holder;
  StartBridge(front);
  StartBridge(holder);
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "ssebridge:control", 2));

  SseClient client;
  ASSERT_TRUE(client.Open(holder.port(), "/events/a?register=1"));
  std::optional<SseEvent> registered = client.Next(kWait);
  ASSERT_TRUE(registered);
  ASSERT_EQ(registered->event, "registered");
  const std::string id = registered->data;
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "client:" + id, 1));

  // The private channel, published on the other process.
  ASSERT_EQ(Publish(front.port(), "client:" + id, "task done"), 200);
  EXPECT_EQ(NextEvent(client), "message/task done");

  std::optional<HttpResponse> added = Json(front.port(), "POST", "/clients/" + id + "/channels", R"({"channels":["b"]})");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 202) << added->body;
  EXPECT_EQ(added->body, R"({"status":"accepted","client":")" + id + R"("})");
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "b", 1));
  ASSERT_EQ(Publish(front.port(), "b", "on b"), 200);
  EXPECT_EQ(NextEvent(client), "message/on b");

  std::optional<HttpResponse> removed = Json(front.port(), "DELETE", "/clients/" + id + "/channels/b");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 202) << removed->body;
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "b", 0));
  ASSERT_EQ(Publish(front.port(), "b", "not for the stream"), 200);
  ASSERT_EQ(Publish(front.port(), "a", "marker"), 200);
  EXPECT_EQ(NextEvent(client), "message/marker");

  std::optional<HttpResponse> ended = Json(front.port(), "DELETE", "/clients/" + id);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 202) << ended->body;
  EXPECT_TRUE(client.WaitEnd(kWait));
  EXPECT_TRUE(client.saw_final_chunk());
  // The holder itself answers at once for its own streams: the id is gone there now.
  std::optional<HttpResponse> again = Json(holder.port(), "DELETE", "/clients/" + id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202);
}

}  // namespace
