// cyclone-sse compatibility (issue 11): GET / with channels is an event
// stream, jQuery-polyfill long polls end with Content-Length and lose nothing
// between polls, GET /stats counts subscribers, and cyclone-sse's own nginx
// block works unchanged. Real ssebridge, real redis-server, real nginx.
#include <gtest/gtest.h>

#include "broker_test_fixture.h"
#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::SseClient;
using harness::SseEvent;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// What $.ajax({cache: false}) sends from the same origin.
const Headers kJqueryHeaders = {{"Accept", "*/*"}, {"X-Requested-With", "XMLHttpRequest"}};

struct Event {
  std::string id;
  std::string data;
};

// The events of a poll body, in order; comments and the retry line are skipped.
std::vector<Event> EventsOf(const std::string& body) {
  std::vector<Event> events;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\n\n", start);
    if (end == std::string::npos) end = body.size();
    std::string block = body.substr(start, end - start);
    start = end + 2;
    Event event;
    bool has_data = false;
    size_t line_start = 0;
    while (line_start < block.size()) {
      size_t line_end = block.find('\n', line_start);
      if (line_end == std::string::npos) line_end = block.size();
      std::string line = block.substr(line_start, line_end - line_start);
      line_start = line_end + 1;
      if (line.rfind("id: ", 0) == 0) event.id = line.substr(4);
      if (line.rfind("data: ", 0) == 0) {
        event.data = line.substr(6);
        has_data = true;
      }
    }
    if (has_data) events.push_back(event);
  }
  return events;
}

std::vector<std::string> DataOf(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& event : events) out.push_back(event.data);
  return out;
}

// "name=value" of a Set-Cookie header, as a browser sends it back.
std::string CookiePair(const HttpResponse& response) {
  auto it = response.headers.find("set-cookie");
  if (it == response.headers.end()) return "";
  return it->second.substr(0, it->second.find(';'));
}

// A poll in flight on its own connection.
class PendingPoll {
 public:
  bool Send(int port, const std::string& target, const Headers& headers) {
    if (!socket_.Connect(port)) return false;
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    return socket_.SendAll(request + "\r\n");
  }
  // The whole answer; it must be framed by Content-Length.
  std::optional<HttpResponse> Answer(Millis timeout) {
    std::optional<HttpResponse> response = harness::ReadResponse(socket_, buffer_, timeout);
    if (response && response->headers.count("content-length") == 0) {
      ADD_FAILURE() << "poll answer without Content-Length:\n" << response->raw_head;
    }
    return response;
  }
  harness::Socket& socket() { return socket_; }

 private:
  harness::Socket socket_;
  std::string buffer_;
};

std::string Stats(int port) {
  auto response = harness::HttpRequest(port, "GET", "/stats");
  return response && response->status == 200 ? response->body : "";
}

// Waits until /stats shows `count` subscribers of `channel` on this process:
// the event that says a poll (which answers nothing yet) has subscribed.
bool AwaitLocalSubscribers(int port, const std::string& channel, int count) {
  const std::string needle = "\"" + channel + "\":" + std::to_string(count);
  return harness::Eventually([&] { return Stats(port).find(needle) != std::string::npos; }, Millis(5000));
}

std::string PublishText(int port, const std::string& channel, const std::string& data) {
  auto response = harness::PublishJson(port, R"({"channel":")" + channel + R"(","data":")" + data + "\"}");
  if (!response || response->status != 200) return "";
  return harness::PublishedId(*response);
}

// How a client hands its cursor back.
enum class Return { kCookie, kCursorParameter };

// Polls until `want` events arrived (at most 10 polls, each bounded by the
// bridge's --poll-timeout), handing back the cursor each answer gave. In
// Redis mode a message may reach the bridge after the poll that was meant to
// get it has been answered; it must then be in the next one.
std::vector<Event> PollUntil(int port, size_t want, Return how, std::string* cookie, std::string* cursor) {
  std::vector<Event> events;
  for (int poll = 0; poll < 10 && events.size() < want; ++poll) {
    PendingPoll next;
    bool sent = false;
    if (how == Return::kCookie) {
      Headers headers = kJqueryHeaders;
      headers.emplace_back("Cookie", *cookie);
      sent = next.Send(port, "/?channels=base&_=" + std::to_string(1700000000000 + poll), headers);
    } else {
      sent = next.Send(port, "/?channels=base&cursor=" + *cursor, {});
    }
    if (!sent) break;
    std::optional<HttpResponse> answer = next.Answer(Millis(10000));
    if (!answer || answer->status != 200) {
      ADD_FAILURE() << "poll " << poll << " got no answer";
      break;
    }
    for (Event& event : EventsOf(answer->body)) events.push_back(std::move(event));
    *cookie = CookiePair(*answer);
    *cursor = answer->headers["x-sse-poll-cursor"];
  }
  return events;
}

class CycloneCompatTest : public harness::BrokerTest {
 protected:
  // Sends a jQuery-style poll and waits until it has subscribed.
  void StartPoll(PendingPoll& poll, const std::string& target, Headers headers = kJqueryHeaders) {
    ASSERT_TRUE(poll.Send(bridge_.port(), target, headers));
    ASSERT_TRUE(AwaitLocalSubscribers(bridge_.port(), "base", 1)) << Stats(bridge_.port());
    AwaitSubscriptions({"base"});
  }

  Bridge bridge_;
};

TEST_P(CycloneCompatTest, RootWithChannelsIsAnEventStream) {
  StartBridge(bridge_);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/?channels=base&channels=other&uuid=42"));
  ASSERT_EQ(client.head().status, 200);
  EXPECT_EQ(client.head().headers.at("content-type").substr(0, 17), "text/event-stream");
  EXPECT_EQ(client.head().headers.at("transfer-encoding"), "chunked");
  AwaitSubscriptions({"base", "other"});
  ASSERT_FALSE(PublishText(bridge_.port(), "base", "one").empty());
  ASSERT_FALSE(PublishText(bridge_.port(), "other", "two").empty());
  EXPECT_EQ(harness::NextData(client, Millis(5000)), "one");
  EXPECT_EQ(harness::NextData(client, Millis(5000)), "two");
}

TEST_P(CycloneCompatTest, RootWithoutChannelsIsTheDemoPage) {
  StartBridge(bridge_);
  for (const char* target : {"/", "/?_=1700000000000&uuid=7"}) {
    auto response = harness::HttpRequest(bridge_.port(), "GET", target, "", kJqueryHeaders);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 200) << target;
    EXPECT_EQ(response->headers["content-type"], "text/html; charset=utf-8") << target;
  }
}

TEST_P(CycloneCompatTest, CurlStyleGetWithoutPollMarkersKeepsStreaming) {
  StartBridge(bridge_);
  harness::Socket socket;
  ASSERT_TRUE(socket.Connect(bridge_.port()));
  ASSERT_TRUE(socket.SendAll("GET /?channels=base HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\n"
                             "Accept: */*\r\n\r\n"));
  std::string received;
  ASSERT_TRUE(harness::Eventually(
      [&] { return socket.ReadSome(&received, Millis(200)) > 0 && received.find("\r\n\r\n") != std::string::npos; },
      Millis(5000)));
  EXPECT_EQ(received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << received;
  EXPECT_NE(received.find("Transfer-Encoding: chunked"), std::string::npos) << received;
  EXPECT_EQ(received.find("Content-Length"), std::string::npos) << received;
  AwaitSubscriptions({"base"});
  // Two messages one after the other on the same response: it is a stream.
  for (const char* data : {"first", "second"}) {
    ASSERT_FALSE(PublishText(bridge_.port(), "base", data).empty());
    ASSERT_TRUE(harness::Eventually(
        [&] {
          socket.ReadSome(&received, Millis(200));
          return received.find(std::string("data: ") + data) != std::string::npos;
        },
        Millis(5000)))
        << received;
  }
}

TEST_P(CycloneCompatTest, APollWaitsForAnEventAndEndsWithContentLength) {
  StartBridge(bridge_);
  PendingPoll poll;
  StartPoll(poll, "/?channels=base&_=1700000000000");
  const std::string id = PublishText(bridge_.port(), "base", "hello");
  ASSERT_FALSE(id.empty());
  std::optional<HttpResponse> answer = poll.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->headers["content-type"], "text/event-stream; charset=utf-8");
  EXPECT_EQ(answer->headers.count("transfer-encoding"), 0u);
  // The polyfill reads the retry line and one block per event; no comment before them.
  EXPECT_EQ(answer->body, "retry: 3000\n\nid: " + id + "\ndata: hello\n\n");
  EXPECT_EQ(answer->headers["x-sse-poll-cursor"].substr(16), "." + id);
  EXPECT_NE(CookiePair(*answer).find(answer->headers["x-sse-poll-cursor"]), std::string::npos);
  EXPECT_TRUE(poll.socket().WaitClosed(Millis(5000)));
}

TEST_P(CycloneCompatTest, CrossOriginPollWithoutXRequestedWithIsAPollToo) {
  StartBridge(bridge_, {"--cors-origin", "*"});
  PendingPoll poll;
  StartPoll(poll, "/?channels=base&_=1700000000001", {{"Accept", "*/*"}, {"Origin", "https://app.example"}});
  ASSERT_FALSE(PublishText(bridge_.port(), "base", "across").empty());
  std::optional<HttpResponse> answer = poll.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->headers["access-control-allow-origin"], "*");
  // The cursor joins the headers every allowed origin may read (the 401 challenge).
  EXPECT_EQ(answer->headers["access-control-expose-headers"], "WWW-Authenticate, X-SSE-Poll-Cursor");
  EXPECT_EQ(DataOf(EventsOf(answer->body)), (std::vector<std::string>{"across"}));
}

TEST_P(CycloneCompatTest, AnEmptyPollEndsWithAHeartbeatAfterThePollTimeout) {
  StartBridge(bridge_, {"--poll-timeout", "1"});
  PendingPoll poll;
  StartPoll(poll, "/?channels=base&poll=1");
  std::optional<HttpResponse> answer = poll.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "retry: 3000\n\n:\n\n");
  EXPECT_EQ(answer->headers["x-sse-poll-cursor"].substr(16), ".0");
}

TEST_P(CycloneCompatTest, MetricsCountPollsByOutcomeAndTheHoldsKeptBetweenThem) {
  StartBridge(bridge_, {"--poll-timeout", "1", "--poll-hold", "60"});
  const std::string events = "ssebridge_long_polls_total{outcome=\"events\"}";
  const std::string timeout = "ssebridge_long_polls_total{outcome=\"timeout\"}";
  EXPECT_EQ(harness::MetricValue(bridge_.port(), events), 0);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), timeout), 0);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_poll_holds"), 0);
  // An empty poll ends after --poll-timeout with the heartbeat only.
  PendingPoll empty;
  StartPoll(empty, "/?channels=base&poll=1");
  std::optional<HttpResponse> answer = empty.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "retry: 3000\n\n:\n\n");
  EXPECT_EQ(harness::MetricValue(bridge_.port(), timeout), 1);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), events), 0);
  // Its hold waits for the next poll.
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_poll_holds"), 1);
  // The next poll brings the cursor back and gets a message: the old hold is
  // taken, a new one opened.
  const std::string cursor = answer->headers["x-sse-poll-cursor"];
  ASSERT_FALSE(PublishText(bridge_.port(), "base", "counted").empty());
  answer = harness::HttpRequest(bridge_.port(), "GET", "/?channels=base&poll=1&cursor=" + cursor);
  ASSERT_TRUE(answer);
  EXPECT_EQ(DataOf(EventsOf(answer->body)), (std::vector<std::string>{"counted"}));
  EXPECT_EQ(harness::MetricValue(bridge_.port(), events), 1);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), timeout), 1);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_poll_holds"), 1);
}

TEST_P(CycloneCompatTest, ConsecutivePollsLoseNoHttpPublishes) {
  StartBridge(bridge_, {"--poll-timeout", "2"});
  PendingPoll first;
  StartPoll(first, "/?channels=base&_=1");
  ASSERT_FALSE(PublishText(bridge_.port(), "base", "m0").empty());
  std::optional<HttpResponse> answer = first.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(DataOf(EventsOf(answer->body)), (std::vector<std::string>{"m0"}));
  std::string cookie = CookiePair(*answer);
  std::string cursor = answer->headers["x-sse-poll-cursor"];
  ASSERT_FALSE(cookie.empty());
  for (Return how : {Return::kCookie, Return::kCursorParameter}) {
    // Published while no poll is open (the polyfill waits `retry` ms in between).
    std::vector<std::string> expected;
    std::string last_id;
    for (int i = 0; i < 3; ++i) {
      expected.push_back((how == Return::kCookie ? "c" : "p") + std::to_string(i));
      last_id = PublishText(bridge_.port(), "base", expected.back());
      ASSERT_FALSE(last_id.empty());
    }
    EXPECT_EQ(DataOf(PollUntil(bridge_.port(), expected.size(), how, &cookie, &cursor)), expected);
    EXPECT_EQ(cursor.substr(17), last_id);
  }
}

TEST_P(CycloneCompatTest, WithoutHoldsTheCursorsIdResumesFromHistory) {
  StartBridge(bridge_, {"--poll-hold", "0", "--poll-timeout", "2"});
  PendingPoll first;
  StartPoll(first, "/?channels=base&_=1");
  ASSERT_FALSE(PublishText(bridge_.port(), "base", "m0").empty());
  std::optional<HttpResponse> answer = first.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  const std::string cursor = answer->headers["x-sse-poll-cursor"];
  EXPECT_EQ(cursor.substr(0, 16), "0000000000000000");  // No hold.
  for (const char* data : {"m1", "m2"}) ASSERT_FALSE(PublishText(bridge_.port(), "base", data).empty());
  // Nothing held them: the next poll replays them by id from the history.
  std::string cookie = CookiePair(*answer);
  std::string next_cursor = cursor;
  EXPECT_EQ(DataOf(PollUntil(bridge_.port(), 2, Return::kCursorParameter, &cookie, &next_cursor)),
            (std::vector<std::string>{"m1", "m2"}));
}

TEST_P(CycloneCompatTest, ACursorIdUnknownHereIsReportedOnceNotAtEveryPoll) {
  StartBridge(bridge_, {"--poll-hold", "0", "--poll-timeout", "1"});
  // An id newer than any issued (another deployment's, say): a gap, at once.
  auto answer = harness::HttpRequest(bridge_.port(), "GET", "/?channels=base&cursor=0000000000000000.999999999999999999");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_NE(answer->body.find("event: gap\ndata: {\"lastEventId\":\"999999999999999999\""), std::string::npos)
      << answer->body;
  EXPECT_NE(answer->body.find("\"reason\":\"unknown-id\""), std::string::npos) << answer->body;
  const std::string cursor = answer->headers["x-sse-poll-cursor"];
  EXPECT_EQ(cursor, "0000000000000000.0");
  // The next poll has nothing to resume from: it waits, and ends with a heartbeat.
  answer = harness::HttpRequest(bridge_.port(), "GET", "/?channels=base&cursor=" + cursor);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "retry: 3000\n\n:\n\n");
}

TEST_P(CycloneCompatTest, APollResumesFromLastEventId) {
  StartBridge(bridge_);
  std::vector<std::string> ids;
  for (const char* data : {"r1", "r2", "r3"}) {
    ids.push_back(PublishText(bridge_.port(), "base", data));
    ASSERT_FALSE(ids.back().empty());
  }
  for (const Headers& resume : {Headers{{"Last-Event-ID", ids[0]}}, Headers{}}) {
    const std::string query = resume.empty() ? "&lastEventId=" + ids[0] : "";
    auto answer = harness::HttpRequest(bridge_.port(), "GET", "/?channels=base&poll=1" + query, "", resume);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(DataOf(EventsOf(answer->body)), (std::vector<std::string>{"r2", "r3"}));
  }
}

TEST_P(CycloneCompatTest, StatsCountsSubscribersPerChannelAndPattern) {
  StartBridge(bridge_);
  SseClient a, b, c;
  ASSERT_TRUE(a.Open(bridge_.port(), "/?channels=base"));
  ASSERT_TRUE(b.Open(bridge_.port(), "/events/base/news"));
  ASSERT_TRUE(c.Open(bridge_.port(), "/events?channel=orders.*"));
  auto response = harness::HttpRequest(bridge_.port(), "GET", "/stats");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_EQ(response->body,
            R"({"channels":{"base":2,"news":1},"patterns":{"orders.*":1},"subscribers":3,"streams":3,"poll_holds":0,)"
            R"("channel_messages":{"base":{"total":0,"per_second":0.00},"news":{"total":0,"per_second":0.00}},)"
            R"("pattern_messages":{"orders.*":{"total":0,"per_second":0.00}}})");
  b.socket().Close();
  EXPECT_TRUE(AwaitLocalSubscribers(bridge_.port(), "base", 1)) << Stats(bridge_.port());
  EXPECT_EQ(Stats(bridge_.port()).find("news"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Brokers, CycloneCompatTest, harness::BothBrokers(), harness::BrokerName);

// Plain `redis-cli PUBLISH` messages carry no id: only the hold keeps them
// between polls.
class CyclonePollRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    ASSERT_TRUE(bridge_.StartWithRedis(redis_.url(), {"--poll-timeout", "2"})) << bridge_.process().output();
  }
  // PUBLISH's answer is the number of Redis subscribers: 1 proves the bridge
  // (its poll or the hold) was still subscribed when the message went out.
  void RedisPublish(const std::string& data) {
    harness::RedisReply reply = harness::RedisCommand(redis_.port(), {"PUBLISH", "base", data});
    ASSERT_TRUE(reply.ok) << reply.text;
    EXPECT_EQ(reply.integer, 1) << "nobody was subscribed when '" << data << "' was published";
  }

  harness::RedisServer redis_;
  Bridge bridge_;
};

TEST_F(CyclonePollRedisTest, ConsecutivePollsLoseNoPlainPublishes) {
  PendingPoll first;
  ASSERT_TRUE(first.Send(bridge_.port(), "/?channels=base&_=1", kJqueryHeaders));
  ASSERT_TRUE(harness::AwaitSubscribers(redis_.port(), "base", 1));
  RedisPublish("p0");
  std::optional<HttpResponse> answer = first.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "retry: 3000\n\ndata: p0\n\n");
  std::string cookie = CookiePair(*answer);
  std::string cursor = answer->headers["x-sse-poll-cursor"];
  for (int round = 1; round <= 4; ++round) {
    std::vector<std::string> expected;
    for (int i = 0; i < 3; ++i) {
      expected.push_back("p" + std::to_string(round) + "." + std::to_string(i));
      RedisPublish(expected.back());
    }
    // Odd rounds come back like a browser (the cookie), even ones like an
    // explicit client (the cursor parameter).
    const Return how = round % 2 == 1 ? Return::kCookie : Return::kCursorParameter;
    EXPECT_EQ(DataOf(PollUntil(bridge_.port(), expected.size(), how, &cookie, &cursor)), expected)
        << "round " << round;
  }
}

TEST_F(CyclonePollRedisTest, AnExpiredHoldLetsGoOfItsRedisSubscription) {
  Bridge bridge;
  ASSERT_TRUE(bridge.StartWithRedis(redis_.url(), {"--poll-hold", "1", "--poll-timeout", "1"}))
      << bridge.process().output();
  auto answer = harness::HttpRequest(bridge.port(), "GET", "/?channels=held&poll=1");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "retry: 3000\n\n:\n\n");
  // The hold keeps "held" subscribed after the answer for a second, then lets it go.
  EXPECT_TRUE(harness::Eventually(
      [&] { return harness::RedisCommand(redis_.port(), {"PUBSUB", "NUMSUB", "held"}).elements.size() == 2 &&
                   harness::RedisCommand(redis_.port(), {"PUBSUB", "NUMSUB", "held"}).elements[1] == "0"; },
      Millis(5000)));
  EXPECT_EQ(Stats(bridge.port()), R"({"channels":{},"patterns":{},"subscribers":0,"streams":0,"poll_holds":0,)"
            R"("channel_messages":{},"pattern_messages":{}})");
}

// cyclone-sse's README nginx block, unchanged.
class CycloneNginxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bridge_.Start()) << bridge_.process().output();
    // The block maps every path to /, so the demo page says it is up.
    ASSERT_TRUE(nginx_.Start("    location /sse/ {\n"
                             "        rewrite                 ^(.*)$ / break; # to root of our tornado\n"
                             "        proxy_buffering         off; # to push immediately\n"
                             "        proxy_pass              http://127.0.0.1:" +
                                 std::to_string(bridge_.port()) + ";\n    }\n",
                             "/sse/"))
        << nginx_.error();
    port_ = nginx_.port();
  }

  Bridge bridge_;
  harness::Nginx nginx_;
  int port_ = 0;
};

TEST_F(CycloneNginxTest, EventStreamThroughTheCycloneBlock) {
  SseClient client;
  ASSERT_TRUE(client.Open(port_, "/sse/?channels=base"));
  ASSERT_EQ(client.head().status, 200);
  EXPECT_EQ(client.head().headers.at("content-type").substr(0, 17), "text/event-stream");
  for (int i = 0; i < 3; ++i) {
    const std::string data = "through nginx " + std::to_string(i);
    ASSERT_FALSE(PublishText(bridge_.port(), "base", data).empty());
    std::optional<SseEvent> event = client.Next(Millis(5000));
    ASSERT_TRUE(event) << "event " << i << " was held back by the proxy";
    EXPECT_EQ(event->data, data);
  }
}

TEST_F(CycloneNginxTest, PollThroughTheCycloneBlock) {
  PendingPoll poll;
  ASSERT_TRUE(poll.Send(port_, "/sse/?channels=base&_=1700000000000", kJqueryHeaders));
  ASSERT_TRUE(AwaitLocalSubscribers(bridge_.port(), "base", 1)) << Stats(bridge_.port());
  ASSERT_FALSE(PublishText(bridge_.port(), "base", "polled through nginx").empty());
  std::optional<HttpResponse> answer = poll.Answer(Millis(5000));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(DataOf(EventsOf(answer->body)), (std::vector<std::string>{"polled through nginx"}));
}

}  // namespace
