// Unit tests for the pure parts of a long-poll answer (include/ssebridge/long_poll.h).

#include "ssebridge/long_poll.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

SubscribeRequest Poll(std::optional<PollCursor> cursor, std::optional<std::string> last_event_id = std::nullopt) {
  SubscribeRequest subscribe;
  subscribe.channels = {"base"};
  subscribe.last_event_id = std::move(last_event_id);
  subscribe.poll = PollRequest{cursor};
  return subscribe;
}

TEST(LongPollTest, ResumePoint) {
  using State = PollHolds::State;
  // The client's own resume point always counts.
  EXPECT_EQ(PollResumePoint(Poll(PollCursor{1, 5}, "9"), State::kComplete), "9");
  // A complete hold has everything since the last poll: no replay.
  EXPECT_EQ(PollResumePoint(Poll(PollCursor{1, 5}), State::kComplete), std::nullopt);
  // Otherwise the cursor's id.
  EXPECT_EQ(PollResumePoint(Poll(PollCursor{1, 5}), State::kMissing), "5");
  EXPECT_EQ(PollResumePoint(Poll(PollCursor{1, 5}), State::kIncomplete), "5");
  // Nothing to resume from.
  EXPECT_EQ(PollResumePoint(Poll(PollCursor{1, 0}), State::kMissing), std::nullopt);
  EXPECT_EQ(PollResumePoint(Poll(std::nullopt), State::kMissing), std::nullopt);
}

TEST(LongPollTest, NextLastIdCarriesTheCursorsWhenNothingNewWasSent) {
  LongPoll poll;
  EXPECT_EQ(NextPollLastId(poll, 0), 0u);
  EXPECT_EQ(NextPollLastId(poll, 12), 12u);
  poll.cursor = PollCursor{3, 7};
  EXPECT_EQ(NextPollLastId(poll, 0), 7u);
  EXPECT_EQ(NextPollLastId(poll, 12), 12u);
  // After a replay the stream's position counts, even 0 (an id unknown here,
  // nothing retained): the cursor's id must not come back at every poll.
  poll.resumed = true;
  EXPECT_EQ(NextPollLastId(poll, 0), 0u);
  EXPECT_EQ(NextPollLastId(poll, 12), 12u);
}

TEST(LongPollTest, DrainQueueTakesEveryByteInOrder) {
  WriteQueue queue(1 << 20);
  std::string expected;
  for (int i = 0; i < 200; ++i) {  // More than one Fill() round.
    std::string event = "data: " + std::to_string(i) + "\n\n";
    queue.PushUnbounded(Frame::FromPayload(event), false);
    expected += event;
  }
  EXPECT_EQ(DrainQueue(&queue), expected);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(LongPollTest, AnswerHasContentLengthCursorAndCookie) {
  LongPoll poll;
  poll.channels = {"base"};
  poll.headers = {{"Access-Control-Allow-Origin", "*"}};
  poll.http_minor = 1;
  const std::string body = "retry: 3000\n\ndata: hi\n\n";
  const std::string answer = BuildPollAnswer(poll, body, PollCursor{0xab, 42}, "/sse", 60);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(answer.find("Content-Type: text/event-stream; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(answer.find("X-SSE-Poll-Cursor: 00000000000000ab.42\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Set-Cookie: " + PollCookieName({"base"}) + "=00000000000000ab.42; Path=/sse; Max-Age=60"),
            std::string::npos);
  EXPECT_NE(answer.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos);
  // An allowed origin may read the cursor header.
  EXPECT_NE(answer.find("Access-Control-Expose-Headers: X-SSE-Poll-Cursor\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(answer.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(answer.substr(answer.size() - body.size()), body);
}

TEST(LongPollTest, CursorJoinsTheHeadersThePolicyAlreadyExposes) {
  LongPoll poll;
  poll.channels = {"base"};
  poll.headers = {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Expose-Headers", "WWW-Authenticate"}};
  const std::string answer = BuildPollAnswer(poll, "", PollCursor{1, 2}, "/sse", 60);
  EXPECT_NE(answer.find("Access-Control-Expose-Headers: WWW-Authenticate, X-SSE-Poll-Cursor\r\n"), std::string::npos);
  // One list, not a second header.
  const size_t first = answer.find("Access-Control-Expose-Headers");
  EXPECT_EQ(answer.find("Access-Control-Expose-Headers", first + 1), std::string::npos);
}

TEST(LongPollTest, OutcomeIsEventsOnlyWhenSomethingPastPreambleAndHeartbeatIsQueued) {
  LongPoll poll;
  poll.preamble_bytes = 13;  // "retry: 3000\n\n"
  EXPECT_STREQ(PollOutcome(poll, 13 + 10, false), "events");
  poll.timed_out = true;
  // Only the heartbeat that ends an empty poll.
  EXPECT_STREQ(PollOutcome(poll, 13 + kPollTimeoutHeartbeat.size(), false), "timeout");
  EXPECT_STREQ(PollOutcome(poll, 13 + kPollTimeoutHeartbeat.size(), true), "shutdown");
  // An event that arrived in the same turn as the timeout still counts as one.
  EXPECT_STREQ(PollOutcome(poll, 13 + kPollTimeoutHeartbeat.size() + 10, false), "events");
  EXPECT_STREQ(PollOutcome(poll, 13 + kPollTimeoutHeartbeat.size() + 10, true), "events");
}

TEST(LongPollTest, Http10AnswerToo) {
  LongPoll poll;
  poll.channels = {"base"};
  poll.http_minor = 0;
  const std::string answer = BuildPollAnswer(poll, ":\n\n", PollCursor{1, 0}, "", 60);
  EXPECT_EQ(answer.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_NE(answer.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_EQ(answer.find("Access-Control"), std::string::npos);  // No CORS asked, none given.
}

}  // namespace
}  // namespace ssebridge
