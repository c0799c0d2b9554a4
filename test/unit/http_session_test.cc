// HttpSession fed bytes without a socket: a fake connection records what the
// session queues, whether it reads, and how it asks to close.
#include "ssebridge/http_session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ssebridge/connection.h"
#include "ssebridge/metrics.h"

namespace ssebridge {
namespace {

class FakeSession final : public HttpSession {
 public:
  explicit FakeSession(const Settings& settings) : HttpSession(settings) {}

  // Requests seen, by target; the handler answers "<target>;" unless the
  // target asks otherwise: /defer* reserves a slot, /stream* is held behind
  // earlier answers and then becomes a stream, /big answers 130 KiB.
  std::vector<std::string> seen;
  std::vector<uint64_t> deferred;
  std::string out;
  size_t queued = 0;  // What the client has not read yet.
  bool reading = false;
  bool timeout_tracked = false;
  bool close_after_flush = false;
  bool closed = false;
  bool cut_off = false;
  bool streaming = false;

  void Feed(const std::string& bytes) { OnInput(bytes.data(), bytes.size()); }
  // The client reads everything queued.
  void ClientReads() {
    queued = 0;
    NoteAnswersProgress();
  }

 private:
  void HandleRequest(HttpRequest& request) override {
    seen.push_back(request.target + (request.body.empty() ? "" : "=" + request.body));
    const bool keep_alive = request.keep_alive;
    if (request.target.rfind("/defer", 0) == 0) {
      deferred.push_back(ReserveSlot(keep_alive));
    } else if (request.target.rfind("/stream", 0) == 0) {
      if (HoldBehindEarlierAnswers(request)) return;
      streaming = true;
      Finish();
      Send("stream;");
    } else if (request.target == "/big") {
      Answer(std::string(130 * 1024, 'x'), keep_alive);
    } else {
      Answer(request.target + ";", keep_alive);
    }
  }
  void Send(std::string bytes) override {
    out += bytes;
    queued += bytes.size();
  }
  size_t queued_bytes() const override { return queued; }
  void CutOffAtNextFlush() override { cut_off = true; }
  void CloseAfterFlush() override { close_after_flush = true; }
  void Close() override { closed = true; }
  bool closing() const override { return closed; }
  void StartReading() override { reading = true; }
  void StopReading() override { reading = false; }
  void TrackRequestTimeout() override { timeout_tracked = true; }
  void UntrackRequestTimeout() override { timeout_tracked = false; }
  std::string Peer() const override { return "127.0.0.1:1"; }
};

class HttpSessionTest : public ::testing::Test {
 protected:
  HttpSessionTest() {
    settings_.counters = &counters_;
    settings_.spare_request = &spare_;
    settings_.client_buffer_bytes = 0;
    settings_.header_timeout_seconds = 10;
    session_ = std::make_unique<FakeSession>(settings_);
    session_->Start();
  }

  static std::string Get(const std::string& target, const std::string& extra = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
  }

  Counters counters_;
  HttpRequest spare_;
  HttpSession::Settings settings_;
  std::unique_ptr<FakeSession> session_;
};

TEST_F(HttpSessionTest, StartReadsAndRunsTheHeaderTimeout) {
  EXPECT_TRUE(session_->reading);
  EXPECT_TRUE(session_->timeout_tracked);
  EXPECT_TRUE(session_->reading_requests());
}

TEST_F(HttpSessionTest, KeepAliveAnswersEveryPipelinedRequestInOrder) {
  session_->Feed(Get("/a") + Get("/b") + Get("/c"));
  EXPECT_EQ(session_->out, "/a;/b;/c;");
  EXPECT_FALSE(session_->close_after_flush);
  EXPECT_TRUE(session_->reading_requests());
}

TEST_F(HttpSessionTest, ConnectionCloseAnswersThenClosesAndReadsNoFurtherRequest) {
  session_->Feed(Get("/a", "Connection: close\r\n") + Get("/b"));
  EXPECT_EQ(session_->out, "/a;");
  EXPECT_TRUE(session_->close_after_flush);
  EXPECT_FALSE(session_->reading_requests());
  session_->Feed(Get("/c"));
  EXPECT_EQ(session_->seen, (std::vector<std::string>{"/a"}));
}

TEST_F(HttpSessionTest, ADeferredAnswerCompletingLastReleasesTheAnswersBehindIt) {
  session_->Feed(Get("/a") + Get("/defer") + Get("/c"));
  EXPECT_EQ(session_->out, "/a;");
  ASSERT_EQ(session_->deferred.size(), 1u);
  EXPECT_FALSE(session_->timeout_tracked);
  session_->Complete(session_->deferred[0], "B;");
  EXPECT_EQ(session_->out, "/a;B;/c;");
  EXPECT_TRUE(session_->reading_requests());
  EXPECT_TRUE(session_->timeout_tracked);
}

TEST_F(HttpSessionTest, DeferredAnswersCompletingOutOfOrderLeaveInRequestOrder) {
  session_->Feed(Get("/defer1") + Get("/defer2") + Get("/c"));
  ASSERT_EQ(session_->deferred.size(), 2u);
  session_->Complete(session_->deferred[1], "2;");
  EXPECT_EQ(session_->out, "");
  session_->Complete(session_->deferred[0], "1;");
  EXPECT_EQ(session_->out, "1;2;/c;");
  // A sequence already answered (or never issued) is ignored.
  session_->Complete(session_->deferred[0], "again;");
  session_->Complete(99, "never;");
  EXPECT_EQ(session_->out, "1;2;/c;");
}

TEST_F(HttpSessionTest, ADeferredConnectionCloseClosesOnceItsAnswerLeaves) {
  session_->Feed(Get("/defer", "Connection: close\r\n") + Get("/b"));
  EXPECT_EQ(session_->seen, (std::vector<std::string>{"/defer"}));
  EXPECT_FALSE(session_->close_after_flush);
  session_->Complete(session_->deferred[0], "D;");
  EXPECT_EQ(session_->out, "D;");
  EXPECT_TRUE(session_->close_after_flush);
}

TEST_F(HttpSessionTest, AStreamRequestWaitsForEarlierAnswersThenStartsOnce) {
  session_->Feed(Get("/defer") + Get("/stream") + Get("/ignored"));
  EXPECT_FALSE(session_->streaming);
  EXPECT_FALSE(session_->reading_requests());
  session_->Complete(session_->deferred[0], "D;");
  EXPECT_TRUE(session_->streaming);
  EXPECT_EQ(session_->out, "D;stream;");
  EXPECT_EQ(session_->seen, (std::vector<std::string>{"/defer", "/stream", "/stream"}));
  EXPECT_FALSE(session_->reading_requests());
}

TEST_F(HttpSessionTest, ExpectContinueGetsA100BeforeTheBody) {
  session_->Feed("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(session_->out, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_TRUE(session_->seen.empty());
  session_->Feed("hello");
  EXPECT_EQ(session_->seen, (std::vector<std::string>{"/p=hello"}));
  EXPECT_EQ(session_->out, "HTTP/1.1 100 Continue\r\n\r\n/p;");
}

TEST_F(HttpSessionTest, AParseErrorIsAnswered400AndClosesTheConnection) {
  session_->Feed("NOT HTTP AT ALL\r\n\r\n" + Get("/b"));
  EXPECT_EQ(session_->out.rfind("HTTP/1.1 400 ", 0), 0u) << session_->out;
  EXPECT_NE(session_->out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(session_->close_after_flush);
  EXPECT_EQ(counters_.http_errors, 1u);
  EXPECT_TRUE(session_->seen.empty());
}

TEST_F(HttpSessionTest, AHalfReceivedRequestTimesOutWith408) {
  session_->Feed("GET /a HTTP/1.1\r\nHo");
  session_->OnRequestTimeout();
  EXPECT_EQ(session_->out.rfind("HTTP/1.1 408 ", 0), 0u) << session_->out;
  EXPECT_TRUE(session_->close_after_flush);
  EXPECT_EQ(counters_.header_timeouts, 1u);
}

TEST_F(HttpSessionTest, AnIdleKeepAliveConnectionTimesOutSilently) {
  session_->Feed(Get("/a"));
  session_->OnRequestTimeout();
  EXPECT_EQ(session_->out, "/a;");
  EXPECT_TRUE(session_->closed);
  EXPECT_EQ(counters_.header_timeouts, 1u);
}

TEST_F(HttpSessionTest, UnreadAnswersStopReadingAboveHighWaterAndResumeBelowLowWater) {
  session_->Feed(Get("/big") + Get("/b"));
  // The second request waits: the first answer is over the high-water mark.
  EXPECT_EQ(session_->seen, (std::vector<std::string>{"/big"}));
  EXPECT_FALSE(session_->reading);
  EXPECT_TRUE(session_->timeout_tracked);
  // The client reads a little: still above the low-water mark.
  session_->queued = HttpSession::kAnswersLowWater + 1;
  session_->NoteAnswersProgress();
  EXPECT_FALSE(session_->reading);
  EXPECT_EQ(session_->seen.size(), 1u);
  session_->ClientReads();
  EXPECT_TRUE(session_->reading);
  EXPECT_EQ(session_->seen, (std::vector<std::string>{"/big", "/b"}));
  EXPECT_FALSE(session_->cut_off);
}

TEST_F(HttpSessionTest, AClientThatNeverReadsItsAnswersIsCutOffAtTheTimeout) {
  session_->Feed(Get("/big") + Get("/b"));
  session_->OnRequestTimeout();
  EXPECT_TRUE(session_->closed);
  EXPECT_EQ(counters_.unread_answer_disconnects, 1u);
  EXPECT_EQ(counters_.header_timeouts, 0u);
}

TEST_F(HttpSessionTest, AnswersPastTheHardLimitCutTheClientOffOnce) {
  session_->Feed(Get("/defer1") + Get("/defer2"));
  ASSERT_EQ(session_->deferred.size(), 2u);
  session_->queued = HttpSession::kAnswersHardFloor;
  session_->Complete(session_->deferred[1], "2;");
  session_->Complete(session_->deferred[0], "1;");
  EXPECT_TRUE(session_->cut_off);
  EXPECT_EQ(counters_.unread_answer_disconnects, 1u);
}

TEST(ConnectionFootprint, DoesNotGrow) {
  // 616 bytes before the session and transport were split out (x86-64, glibc);
  // 8 more for the stream's place in the token-expiry index (stream_expiry.h).
  // The transport's TLS session pointer took the place of the in-flight
  // write's byte count, which moved into the lazily allocated write request.
  EXPECT_LE(sizeof(Connection), 624u);
}

}  // namespace
}  // namespace ssebridge
