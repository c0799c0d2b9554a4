// IntraMine compatibility (docs/compat.md) against the real binary, on both
// brokers: a page registers for the named event "todochanged", another
// server asks for a broadcast that carries no payload, and every registered
// view gets the event. The client here parses like a browser (WHATWG): an
// event without a data line is never dispatched, so these tests fail if a
// signal goes out without one.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "broker_test_fixture.h"
#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(5000);
constexpr const char* kForm = "application/x-www-form-urlencoded";

// "event/data" of the next event, or a note saying none came.
std::string NextEvent(SseClient& client) {
  std::optional<SseEvent> event = client.Next(kWait);
  if (!event) return "(no event within 5 s)";
  return event->event + "/" + event->data;
}

std::optional<HttpResponse> PublishForm(int port, const std::string& body) {
  return harness::HttpRequest(port, "POST", "/publish", body, {{"Content-Type", kForm}});
}

class IntraMineCompatTest : public harness::BrokerTest {
 protected:
  // Two views of the ToDo page, registered for the channel "todo".
  void OpenViews() {
    for (SseClient* view : {&first_view_, &second_view_}) {
      ASSERT_TRUE(view->Open(bridge_.port(), "/events/todo"));
      ASSERT_EQ(view->head().status, 200);
    }
    AwaitSubscriptions({"todo"});
  }

  // Publishes a marker and expects it next in both views: nothing else (no
  // stray or repeated signal) came in between.
  void ExpectMarkerNext() {
    std::optional<HttpResponse> answer = harness::PublishJson(bridge_.port(), R"({"channel":"todo","data":"marker"})");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    EXPECT_EQ(NextEvent(first_view_), "message/marker");
    EXPECT_EQ(NextEvent(second_view_), "message/marker");
  }

  Bridge bridge_;
  SseClient first_view_;
  SseClient second_view_;
};

TEST_P(IntraMineCompatTest, AJsonSignalWithoutDataReachesEveryView) {
  StartBridge(bridge_);
  OpenViews();
  std::optional<HttpResponse> answer = harness::PublishJson(bridge_.port(), R"({"channel":"todo","event":"todochanged"})");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(NextEvent(first_view_), "todochanged/");
  EXPECT_EQ(NextEvent(second_view_), "todochanged/");
  ExpectMarkerNext();
}

TEST_P(IntraMineCompatTest, AFormSignalWithoutMessageReachesEveryView) {
  StartBridge(bridge_);
  OpenViews();
  std::optional<HttpResponse> answer = PublishForm(bridge_.port(), "channel=todo&event=todochanged");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(NextEvent(first_view_), "todochanged/");
  EXPECT_EQ(NextEvent(second_view_), "todochanged/");
  ExpectMarkerNext();
}

TEST_P(IntraMineCompatTest, ASignalIsReplayedToAViewThatWasAway) {
  StartBridge(bridge_);
  OpenViews();
  ExpectMarkerNext();
  const std::string seen = first_view_.last_event_id;
  ASSERT_FALSE(seen.empty());
  std::optional<HttpResponse> answer = harness::PublishJson(bridge_.port(), R"({"channel":"todo","event":"todochanged"})");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  // A view that reconnects after the signal gets it from history.
  SseClient returning;
  ASSERT_TRUE(returning.Open(bridge_.port(), "/events/todo", {{"Last-Event-ID", seen}}));
  EXPECT_EQ(NextEvent(returning), "todochanged/");
  EXPECT_EQ(returning.last_event_id, harness::PublishedId(*answer));
}

TEST_P(IntraMineCompatTest, AnUnnamedPublishWithoutDataIsStill400) {
  StartBridge(bridge_);
  std::optional<HttpResponse> json = harness::PublishJson(bridge_.port(), R"({"channel":"todo"})");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 400);
  EXPECT_NE(json->body.find("missing \\\"data\\\""), std::string::npos) << json->body;
  std::optional<HttpResponse> form = PublishForm(bridge_.port(), "channel=todo");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 400);
  EXPECT_NE(form->body.find("missing message"), std::string::npos) << form->body;
}

INSTANTIATE_TEST_SUITE_P(Brokers, IntraMineCompatTest, harness::BothBrokers(), harness::BrokerName);

// Another server may broadcast straight through Redis, without HTTP: the
// envelope names the event and leaves "data" out.
TEST(IntraMineRedisTest, ARedisEnvelopeWithoutDataReachesEveryView) {
  harness::RedisServer redis;
  ASSERT_TRUE(redis.Start()) << "redis-server did not start";
  Bridge bridge;
  ASSERT_TRUE(bridge.StartWithRedis(redis.url())) << bridge.process().output();
  SseClient first_view, second_view;
  ASSERT_TRUE(first_view.Open(bridge.port(), "/events/todo"));
  ASSERT_TRUE(second_view.Open(bridge.port(), "/events/todo"));
  ASSERT_TRUE(harness::AwaitSubscribers(redis.port(), "todo", 1));
  harness::RedisReply reply = harness::RedisCommand(redis.port(), {"PUBLISH", "todo", R"({"event":"todochanged"})"});
  ASSERT_TRUE(reply.ok) << reply.text;
  EXPECT_EQ(reply.integer, 1);  // The one bridge process.
  EXPECT_EQ(NextEvent(first_view), "todochanged/");
  EXPECT_EQ(NextEvent(second_view), "todochanged/");
  // And nothing else came along: the next message is the next event.
  ASSERT_TRUE(harness::RedisCommand(redis.port(), {"PUBLISH", "todo", "marker"}).ok);
  EXPECT_EQ(NextEvent(first_view), "message/marker");
  EXPECT_EQ(NextEvent(second_view), "message/marker");
}

}  // namespace
