// Hostile input that must bounce off: field injection into the event stream
// through every field a client controls, invalid UTF-8, and Redis dying under
// a stream of publishes. In each test a bystander subscribed before the
// attack must receive every message answered 200, in order, and the bridge
// must still be running afterwards.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "harness.h"

using harness::Bridge;
using harness::Bystander;
using harness::HttpResponse;
using harness::Millis;
using harness::PublishJson;
using harness::RedisServer;
using harness::SseClient;
using harness::SseEvent;

namespace {

constexpr Millis kWait(5000);

const std::vector<std::pair<std::string, std::string>> kJson = {{"Content-Type", "application/json"}};
const std::vector<std::pair<std::string, std::string>> kForm = {
    {"Content-Type", "application/x-www-form-urlencoded"}};

bool Running(Bridge& bridge) { return kill(bridge.process().pid(), 0) == 0; }

struct Refusal {
  const char* name;
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Sends each request on its own connection; each must get 400 with a JSON error.
void ExpectEachRefusedWith400(int port, const std::vector<Refusal>& refusals) {
  for (const Refusal& refusal : refusals) {
    std::optional<HttpResponse> response =
        harness::HttpRequest(port, refusal.method, refusal.target, refusal.body, refusal.headers);
    ASSERT_TRUE(response) << refusal.name;
    EXPECT_EQ(response->status, 400) << refusal.name << ": " << response->body;
    EXPECT_EQ(response->body.rfind("{\"error\":\"", 0), 0u) << refusal.name << ": " << response->body;
  }
}

// Every way a client could try to smuggle an SSE field (id:, event:, retry:,
// a blank line ending the event early) into other subscribers' streams: each
// is refused with 400 and a JSON error, and nothing reaches the stream.
TEST(HostileInjectionTest, FieldsCannotBeInjectedThroughChannelEventOrId) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start()) << bridge.process().output();
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander"));
  ASSERT_TRUE(bystander.Publish());
  SseClient target;
  ASSERT_TRUE(target.Open(bridge.port(), "/events/victim"));

  const std::vector<Refusal> refusals = {
      {"event with LF", "POST", "/publish", R"({"channel":"victim","event":"x\nid: 666","data":"a"})", kJson},
      {"event with CR", "POST", "/publish", R"({"channel":"victim","event":"x\rid: 666","data":"a"})", kJson},
      {"event with NUL", "POST", "/publish", R"({"channel":"victim","event":"x\u0000y","data":"a"})", kJson},
      {"channel with CRLF", "POST", "/publish", R"({"channel":"victim\r\nevent: evil","data":"a"})", kJson},
      {"channel with NUL", "POST", "/publish", R"({"channel":"victim\u0000","data":"a"})", kJson},
      {"form event with CRLF", "POST", "/publish", "channel=victim&message=a&event=x%0D%0Aid%3A%20666", kForm},
      {"path channel with LF", "GET", "/events/victim%0Aevent:%20evil", "", {}},
      {"query channel with CR", "GET", "/events?channel=victim%0D", "", {}},
      {"lastEventId with LF", "GET", "/events/victim?lastEventId=1%0Aevent:%20evil", "", {}},
      {"lastEventId with CR", "GET", "/events/victim?lastEventId=1%0D", "", {}},
  };
  ExpectEachRefusedWith400(bridge.port(), refusals);

  // Data may hold any line break: each line becomes its own data: field, so
  // "id:" or "event:" at the start of a line stays data.
  ASSERT_TRUE(PublishJson(bridge.port(), R"({"channel":"victim","data":"a\rid: 666\r\nevent: evil\n\nretry: 1\n"})"));
  std::optional<SseEvent> event = target.Next(kWait);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "message");
  EXPECT_NE(target.last_event_id, "666");
  EXPECT_FALSE(target.retry_ms.has_value() && *target.retry_ms == 1);
  // The WHATWG parser turns every line break into LF.
  EXPECT_EQ(event->data, "a\nid: 666\nevent: evil\n\nretry: 1\n");

  ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Running(bridge));
}

// Browsers decode event streams as UTF-8 and would mangle other bytes; the
// bridge refuses them rather than relaying something else than was sent.
TEST(HostileInjectionTest, InvalidUtf8IsRefused) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start()) << bridge.process().output();
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander"));
  ASSERT_TRUE(bystander.Publish());

  const std::vector<Refusal> refusals = {
      {"form message", "POST", "/publish", "channel=bystander&message=%FF%FEabc", kForm},
      {"form overlong encoding", "POST", "/publish", "channel=bystander&message=%C0%AF", kForm},
      {"form surrogate", "POST", "/publish", "channel=bystander&message=%ED%A0%80", kForm},
      {"form event", "POST", "/publish", "channel=bystander&message=ok&event=%FF", kForm},
      {"json raw bytes", "POST", "/publish", "{\"channel\":\"bystander\",\"data\":\"\xff\xfe\"}", kJson},
      {"json lone surrogate", "POST", "/publish", R"({"channel":"bystander","data":"\ud800"})", kJson},
      {"channel", "POST", "/publish", "channel=by%FFstander&message=ok", kForm},
      {"path channel", "GET", "/events/by%FFstander", "", {}},
  };
  ExpectEachRefusedWith400(bridge.port(), refusals);
  ASSERT_TRUE(bystander.Publish());
  EXPECT_EQ(bystander.Verify(kWait), "");
  EXPECT_TRUE(Running(bridge));
}

// Redis stopped (SIGTERM) and started again while a publisher keeps going:
// publishes during the outage are refused with 503, never answered 200 and
// lost; every 200 reaches the bystander, in order, once.
TEST(HostileInjectionTest, RedisKilledWhilePublishingLosesNothingAnswered200) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  Bridge bridge;
  ASSERT_TRUE(bridge.StartWithRedis(redis.url())) << bridge.process().output();
  Bystander bystander;
  ASSERT_TRUE(bystander.Open(bridge.port(), "bystander", redis.port()));

  // The publisher runs until told to stop (or for at most 60 s, or 5,000
  // publishes answered 200); the test moves on by waiting for its progress
  // counters. Refusals do not count against the 5,000: they come back at
  // once, and a reconnect that takes a connect timeout (1 s) on a busy
  // machine used to spend the whole budget on them before Redis was back.
  std::mutex mutex;
  std::condition_variable progressed;
  int succeeded = 0;
  int refused = 0;
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    const auto deadline = harness::Clock::now() + Millis(60000);
    for (int answered = 0; answered < 5000 && !stop && harness::Clock::now() < deadline;) {
      bool ok = bystander.Publish();
      if (ok) ++answered;
      std::lock_guard<std::mutex> lock(mutex);
      ++(ok ? succeeded : refused);
      progressed.notify_all();
    }
  });
  auto await = [&](const std::function<bool()>& condition) {
    std::unique_lock<std::mutex> lock(mutex);
    return progressed.wait_for(lock, Millis(20000), condition);
  };

  EXPECT_TRUE(await([&] { return succeeded >= 100; }));
  redis.Stop();
  EXPECT_TRUE(await([&] { return refused > 0; })) << "no publish saw the outage";
  ASSERT_TRUE(redis.Start());
  int before_restart = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    before_restart = succeeded;
  }
  EXPECT_TRUE(await([&] { return succeeded >= before_restart + 100; }))
      << "publishing did not recover after Redis came back\n"
      << bridge.process().output();
  stop = true;
  publisher.join();

  EXPECT_EQ(bystander.Verify(Millis(20000)), "");
  EXPECT_TRUE(Running(bridge));
}

}  // namespace
