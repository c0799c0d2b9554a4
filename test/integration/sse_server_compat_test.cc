// W3C SSE-Server compatibility (docs/compat.md) against the real binary, on
// both brokers: the all-channels stream, publishing by GET query (on
// /publish/... and on the stream URL), the control port and the FIFO with
// their line grammar, and the status and halt commands.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "broker_test_fixture.h"
#include "harness.h"

using harness::Bridge;
using harness::HttpResponse;
using harness::Millis;
using harness::PublishJson;
using harness::SseClient;
using harness::SseEvent;
using harness::Socket;
using harness::TempDir;

namespace {

constexpr Millis kWait(5000);

// "event/data" of the next event, or a note saying none came.
std::string NextEvent(SseClient& client) {
  std::optional<SseEvent> event = client.Next(kWait);
  if (!event) return "(no event within 5 s)";
  return event->event + "/" + event->data;
}

// The control port a bridge logged, or 0.
int ControlPort(Bridge& bridge) {
  const std::string needle = "control port: taking lines on 127.0.0.1:";
  std::optional<std::string> line = bridge.process().WaitForLine(needle, kWait);
  if (!line) return 0;
  return atoi(line->c_str() + line->find(needle) + needle.size());
}

// Runs `command` with /bin/sh, bounded in time, as an operator's script would.
int Shell(const std::string& command) {
  std::string bounded = "timeout 5 /bin/sh -c '" + command + "'";
  return std::system(bounded.c_str());
}

class SseServerCompatTest : public harness::BrokerTest {
 protected:
  // Publishes a marker on `channel` over POST and expects it to be the next
  // event of every client: so nothing (no duplicate) came in between.
  void ExpectNextIsMarker(const std::string& channel, std::vector<SseClient*> clients) {
    std::optional<HttpResponse> answer =
        PublishJson(bridge_.port(), R"({"channel":")" + channel + R"(","data":"marker"})");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    for (SseClient* client : clients) EXPECT_EQ(NextEvent(*client), "message/marker");
  }

  Bridge bridge_;
  TempDir dir_;
};

TEST_P(SseServerCompatTest, AStreamWithoutChannelIs400ByDefault) {
  StartBridge(bridge_);
  std::optional<HttpResponse> answer = harness::HttpRequest(bridge_.port(), "GET", "/events");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_EQ(answer->headers["content-type"], "application/json");
  EXPECT_NE(answer->body.find("no channel given"), std::string::npos) << answer->body;
}

TEST_P(SseServerCompatTest, AStreamWithoutChannelGetsEveryChannelWithTheOption) {
  StartBridge(bridge_, {"--empty-subscribe-all"});
  SseClient all;
  ASSERT_TRUE(all.Open(bridge_.port(), "/events"));
  ASSERT_EQ(all.head().status, 200);
  AwaitSubscriptions({}, 1);  // PSUBSCRIBE * in Redis mode.
  ASSERT_TRUE(PublishJson(bridge_.port(), R"({"channel":"news","data":"one"})"));
  ASSERT_TRUE(PublishJson(bridge_.port(), R"({"channel":"other","event":"e","data":"two"})"));
  EXPECT_EQ(NextEvent(all), "message/one");
  EXPECT_EQ(NextEvent(all), "e/two");
}

TEST_P(SseServerCompatTest, GetPublishSendsEachTypeToBothChannelsOncePerClient) {
  StartBridge(bridge_, {"--allow-get-publish"});
  SseClient color, page, both;
  ASSERT_TRUE(color.Open(bridge_.port(), "/events/color"));
  ASSERT_TRUE(page.Open(bridge_.port(), "/events/page"));
  ASSERT_TRUE(both.Open(bridge_.port(), "/events/color/page"));
  AwaitSubscriptions({"color", "page"});

  std::optional<HttpResponse> answer = harness::HttpRequest(bridge_.port(), "GET", "/publish/color/page?q1=go&q2=end");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(answer->body, "OK\r\n");
  EXPECT_EQ(answer->headers["content-type"].rfind("text/plain", 0), 0u) << answer->headers["content-type"];
  for (SseClient* client : {&color, &page, &both}) {
    EXPECT_EQ(NextEvent(*client), "q1/go");
    EXPECT_EQ(NextEvent(*client), "q2/end");
  }
  // The client on both channels got each message once: the marker is next.
  ExpectNextIsMarker("page", {&page, &both});
}

TEST_P(SseServerCompatTest, TheStreamUrlQueryPublishesWithIdsAndHistory) {
  StartBridge(bridge_, {"--allow-get-publish"});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color"));
  AwaitSubscriptions({"color"});
  // SSE-Server's own form: the query on the stream URL.
  std::optional<HttpResponse> first = harness::HttpRequest(bridge_.port(), "GET", "/events/color?message=first");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->body, "OK\r\n");
  std::optional<HttpResponse> second = harness::HttpRequest(bridge_.port(), "GET", "/events/color?q1=second+one");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200) << second->body;

  std::optional<SseEvent> one = client.Next(kWait);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->event + "/" + one->data, "message/first");
  EXPECT_FALSE(one->id.empty());  // A resumable message, like a POST's.
  EXPECT_EQ(NextEvent(client), "q1/second one");

  // Resuming after the first replays the second from history.
  SseClient resumed;
  ASSERT_TRUE(resumed.Open(bridge_.port(), "/events/color", {{"Last-Event-ID", one->id}}));
  EXPECT_EQ(NextEvent(resumed), "q1/second one");
}

TEST_P(SseServerCompatTest, QueryPublishingWithoutTheOptionIs400AndPublishesNothing) {
  StartBridge(bridge_);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color"));
  AwaitSubscriptions({"color"});
  for (const char* target : {"/events/color?message=first", "/publish/color?q1=go"}) {
    // A complete answer, not a stream that would hang the publishing script.
    std::optional<HttpResponse> answer = harness::HttpRequest(bridge_.port(), "GET", target);
    ASSERT_TRUE(answer) << target;
    EXPECT_EQ(answer->status, 400) << target;
    EXPECT_EQ(answer->headers["content-type"], "application/json") << target;
    EXPECT_NE(answer->body.find("--allow-get-publish"), std::string::npos) << answer->body;
  }
  ExpectNextIsMarker("color", {&client});
}

TEST_P(SseServerCompatTest, ControlPortLinesInBothFormsABadLineSkippedTheConnectionKept) {
  StartBridge(bridge_, {"--control-port", "0"});
  const int control_port = ControlPort(bridge_);
  ASSERT_GT(control_port, 0) << bridge_.process().output();
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color/page"));
  AwaitSubscriptions({"color", "page"});

  Socket control;
  ASSERT_TRUE(control.Connect(control_port));
  ASSERT_TRUE(control.SendAll("  color/q1 =  go  \n"));
  EXPECT_EQ(NextEvent(client), "q1/go");
  ASSERT_TRUE(control.SendAll("this is no line\npage = some data here\n"));
  EXPECT_EQ(NextEvent(client), "message/some data here");
  EXPECT_TRUE(bridge_.process().WaitForLine("skipped a bad line", kWait));
  // Split across writes, on the same connection.
  ASSERT_TRUE(control.SendAll("color/q2"));
  ASSERT_TRUE(control.SendAll(" = end\n"));
  EXPECT_EQ(NextEvent(client), "q2/end");
  // Three lines published, one refused; the last event arrived, so all were counted.
  EXPECT_EQ(harness::MetricValue(bridge_.port(),
                                 "ssebridge_control_lines_total{source=\"control_port\",outcome=\"accepted\"}"),
            3);
  EXPECT_EQ(harness::MetricValue(bridge_.port(),
                                 "ssebridge_control_lines_total{source=\"control_port\",outcome=\"refused\"}"),
            1);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_control_lines_total{source=\"fifo\",outcome=\"accepted\"}"),
            0);
}

TEST_P(SseServerCompatTest, FifoLinesFromOneShellWriterAfterAnother) {
  const std::string fifo = dir_.path() + "/sse.fifo";
  StartBridge(bridge_, {"--fifo", fifo});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color/page"));
  AwaitSubscriptions({"color", "page"});
  // Exactly as the SSE-Server documentation shows it: each echo opens,
  // writes and closes the FIFO.
  ASSERT_EQ(Shell("echo \"color/q1 = go\" > " + fifo), 0);
  EXPECT_EQ(NextEvent(client), "q1/go");
  ASSERT_EQ(Shell("echo \"page/q2 = end\" > " + fifo), 0);
  EXPECT_EQ(NextEvent(client), "q2/end");
  ASSERT_EQ(Shell("printf \"bad\\ncolor = last\\n\" > " + fifo), 0);
  EXPECT_EQ(NextEvent(client), "message/last");
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_control_lines_total{source=\"fifo\",outcome=\"accepted\"}"),
            3);
  EXPECT_EQ(harness::MetricValue(bridge_.port(), "ssebridge_control_lines_total{source=\"fifo\",outcome=\"refused\"}"),
            1);
}

TEST_P(SseServerCompatTest, StatusLogsALinePerClientWithAllowCommands) {
  StartBridge(bridge_, {"--control-port", "0", "--allow-commands", "--empty-subscribe-all"});
  const int control_port = ControlPort(bridge_);
  ASSERT_GT(control_port, 0);
  SseClient color, several, all;
  ASSERT_TRUE(color.Open(bridge_.port(), "/events/color"));
  ASSERT_TRUE(several.Open(bridge_.port(), "/events/page/color"));
  ASSERT_TRUE(all.Open(bridge_.port(), "/events"));
  Socket control;
  ASSERT_TRUE(control.Connect(control_port));
  ASSERT_TRUE(control.SendAll("status\n"));
  EXPECT_TRUE(bridge_.process().WaitForLine("status: 3 connection(s), 3 stream(s)", kWait));
  EXPECT_TRUE(bridge_.process().WaitForLine("stream on \"color\",", kWait));
  EXPECT_TRUE(bridge_.process().WaitForLine("stream on \"page\", \"color\"", kWait));
  EXPECT_TRUE(bridge_.process().WaitForLine("stream on all channels", kWait));
}

TEST_P(SseServerCompatTest, HaltOnTheFifoEndsTheStreamsAndExitsZeroWithAllowCommands) {
  const std::string fifo = dir_.path() + "/sse.fifo";
  StartBridge(bridge_, {"--fifo", fifo, "--allow-commands"});
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color"));
  ASSERT_EQ(Shell("echo halt > " + fifo), 0);
  EXPECT_TRUE(client.WaitEnd(kWait));
  EXPECT_TRUE(client.saw_final_chunk());
  client.socket().Close();  // The bridge need not linger for our FIN.
  std::optional<int> status = bridge_.process().WaitExit(Millis(8000));
  ASSERT_TRUE(status) << "still running after halt";
  EXPECT_EQ(*status, 0) << bridge_.process().output();
}

TEST_P(SseServerCompatTest, HaltOnTheControlPortExitsZeroWithAllowCommands) {
  StartBridge(bridge_, {"--control-port", "0", "--allow-commands"});
  const int control_port = ControlPort(bridge_);
  ASSERT_GT(control_port, 0);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color"));
  Socket control;
  ASSERT_TRUE(control.Connect(control_port));
  ASSERT_TRUE(control.SendAll("halt\ncolor = after halt\n"));
  EXPECT_TRUE(client.WaitEnd(kWait));  // Ended, and "after halt" never came.
  client.socket().Close();
  EXPECT_TRUE(control.WaitClosed(kWait));
  std::optional<int> status = bridge_.process().WaitExit(Millis(8000));
  ASSERT_TRUE(status) << "still running after halt";
  EXPECT_EQ(*status, 0);
}

TEST_P(SseServerCompatTest, CommandsAreRefusedWithoutAllowCommands) {
  const std::string fifo = dir_.path() + "/sse.fifo";
  StartBridge(bridge_, {"--control-port", "0", "--fifo", fifo});
  const int control_port = ControlPort(bridge_);
  ASSERT_GT(control_port, 0);
  SseClient client;
  ASSERT_TRUE(client.Open(bridge_.port(), "/events/color"));
  AwaitSubscriptions({"color"});
  Socket control;
  ASSERT_TRUE(control.Connect(control_port));
  ASSERT_TRUE(control.SendAll("halt\nstatus\n"));
  EXPECT_TRUE(bridge_.process().WaitForLine("command 'halt' refused", kWait));
  EXPECT_TRUE(bridge_.process().WaitForLine("command 'status' refused", kWait));
  ASSERT_EQ(Shell("echo halt > " + fifo), 0);
  // Still serving: a line after the refused commands, on the same connection, arrives.
  ASSERT_TRUE(control.SendAll("color = still here\n"));
  EXPECT_EQ(NextEvent(client), "message/still here");
  EXPECT_TRUE(bridge_.process().running());
  EXPECT_EQ(bridge_.process().output().find("status: "), std::string::npos);
  // Both refusals of halt were logged (the FIFO's, too).
  EXPECT_TRUE(bridge_.process().WaitForLine("fifo " + fifo + ": command 'halt' refused", kWait));
}

INSTANTIATE_TEST_SUITE_P(Brokers, SseServerCompatTest, harness::BothBrokers(), harness::BrokerName);

}  // namespace
