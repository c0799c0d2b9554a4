#include "ssebridge/event_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ssebridge/config.h"
#include "ssebridge/envelope.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"

namespace ssebridge {
namespace {

// Answers Replay() when the test says so.
class FakeBroker final : public Broker {
 public:
  explicit FakeBroker(CompletionQueue* completions) : Broker(completions) {}
  const char* kind() const override { return "fake"; }
  void Publish(const PublishRequest&, PublishCallback) override {}
  void Replay(const std::vector<std::string>&, const std::string&, ReplayCallback done) override {
    pending = std::move(done);
  }
  bool ready() const override { return true; }
  void Shutdown() override {}
  void OnTopicActive(const std::string&, bool) override {}
  void OnTopicIdle(const std::string&, bool) override {}
  ReplayCallback pending;
};

int g_flushes = 0;
const LoopScheduler::Actions kActions = {
    [](LoopScheduler::Entry*) { ++g_flushes; },
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
};

FrameRef Event(uint64_t id) {
  Message message;
  message.sequence = id;
  message.id = std::to_string(id);
  message.data = "m" + std::to_string(id);
  return EncodeMessageFrame(message);
}

class EventStreamTest : public ::testing::Test, public LoopScheduler::Entry, private EventStream::Host {
 protected:
  EventStreamTest() : scheduler_(MakeLoop(&loop_), LoopScheduler::Timeouts{}, kActions), broker_(&completions_) {
    config_.client_buffer_bytes = 4096;
    context_.config = &config_;
    context_.counters = &counters_;
    context_.registry = &registry_;
    context_.broker = &broker_;
    context_.scheduler = &scheduler_;
    g_flushes = 0;
  }
  ~EventStreamTest() override {
    stream_.Stop();
    scheduler_.Forget(this);
    scheduler_.Close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  static uv_loop_t* MakeLoop(uv_loop_t* loop) {
    uv_loop_init(loop);
    return loop;
  }
  std::string Peer() const override { return "test-peer"; }
  void CloseAfterStreamEnd() override { ++close_requests_; }
  void StreamEnding(const char* reason) override {
    ending_reasons_.push_back(reason);
    // Told while the stream still holds its channels, for the access log.
    ending_channels_.push_back(stream_.ChannelNames(10));
  }
  // For a second stream in a test (the base is private).
  EventStream::Host* host() { return this; }

  void Start(std::optional<std::string> last_event_id = std::nullopt, bool chunked = false) {
    SubscribeRequest request;
    request.channels = {"a"};
    request.last_event_id = std::move(last_event_id);
    stream_.Start(request, chunked, [this] { return &stream_; });
  }
  // Everything queued, as the socket would receive it; empties the queue.
  std::string Sent() {
    std::string out;
    uv_buf_t buffers[64];
    size_t total = 0;
    while (!queue_.empty()) {
      size_t count = queue_.Fill(buffers, 64, &total);
      for (size_t i = 0; i < count; ++i) out.append(buffers[i].base, buffers[i].len);
      queue_.Consume(total);
    }
    scheduler_.RunPrepare();
    return out;
  }
  void Publish(uint64_t id) {
    FrameRef frame = Event(id);
    PubsubRegistry::LazyFrame lazy([frame] { return frame; });
    registry_.Publish("a", lazy);
  }

  uv_loop_t loop_;
  Config config_;
  Counters counters_;
  PubsubRegistry registry_;
  CompletionQueue completions_;
  LoopScheduler scheduler_;
  FakeBroker broker_;
  BridgeContext context_;
  WriteQueue queue_{4096};
  EventStream stream_{&context_, &queue_, this, this};
  int close_requests_ = 0;
  std::vector<std::string> ending_reasons_;
  std::vector<std::string> ending_channels_;
};

TEST_F(EventStreamTest, StartQueuesThePreambleSubscribesAndLiveFramesFollowOnceEach) {
  Start();
  EXPECT_TRUE(stream_.subscribed());
  EXPECT_EQ(counters_.streams_opened, 1u);
  EXPECT_TRUE(stream_hook.linked());  // On the heartbeat list.
  const std::string preamble = Sent();
  EXPECT_NE(preamble.find("retry:"), std::string::npos);
  EXPECT_NE(preamble.find(": ssebridge "), std::string::npos);
  Publish(1);
  Publish(2);
  Publish(2);  // A duplicate id is dropped.
  EXPECT_EQ(g_flushes, 0);
  EXPECT_EQ(Sent(), "id: 1\ndata: m1\n\nid: 2\ndata: m2\n\n");
  EXPECT_EQ(g_flushes, 1);  // One flush for the three frames.
}

TEST_F(EventStreamTest, CountsTheMessagesQueuedForTheAccessLogButNotDuplicates) {
  Start();
  Sent();
  EXPECT_EQ(stream_.events(), 0u);
  Publish(1);
  Publish(2);
  Publish(2);  // A duplicate is not an event sent.
  stream_.SendHeartbeat();
  EXPECT_EQ(stream_.events(), 2u);
}

TEST_F(EventStreamTest, ChannelNamesAreCommaSeparatedAndCutAfterTheMaximum) {
  SubscribeRequest request;
  request.channels = {"a", "b", "c"};
  stream_.Start(request, false, [this] { return &stream_; });
  EXPECT_EQ(stream_.ChannelNames(10), "a,b,c");
  EXPECT_EQ(stream_.ChannelNames(2), "a,b,...");
  stream_.Stop();
  EXPECT_EQ(stream_.ChannelNames(10), "");
}

TEST_F(EventStreamTest, AnEndOfItsOwnTellsTheHostWhyWhileTheChannelsAreStillHeld) {
  Start();
  stream_.EndByAge();
  stream_.EndByRequest("again");  // Already ended: told once.
  ASSERT_EQ(ending_reasons_.size(), 1u);
  EXPECT_EQ(ending_reasons_[0], std::string(stream_end::kMaxAge));
  EXPECT_EQ(ending_channels_[0], "a");
}

TEST_F(EventStreamTest, ATokenThatExpiresEndsTheStreamWithATokenExpiredEventThroughTheIndex) {
  StreamExpiries expiries;
  context_.expiries = &expiries;
  SubscribeRequest request;
  request.channels = {"a"};
  request.credential_ttl_ms = 2000;
  stream_.Start(request, true, [this] { return &stream_; });
  ASSERT_EQ(expiries.size(), 1u);
  Sent();
  Publish(1);
  // Not due before its time; due after it.
  int ended = 0;
  expiries.ExpireDue(scheduler_.now_ms() + 1999, [&](EventStream*) { ++ended; });
  EXPECT_EQ(ended, 0);
  expiries.ExpireDue(scheduler_.now_ms() + 2000, [&](EventStream* stream) {
    EXPECT_EQ(stream, &stream_);
    stream->EndTokenExpired();
  });
  const std::string sent = Sent();
  // The live frame, then the event, then the final chunk, in that order.
  const size_t data = sent.find("data: m1");
  const size_t event = sent.find("event: token-expired\ndata: {\"error\":");
  const size_t final_chunk = sent.rfind("0\r\n\r\n");
  ASSERT_NE(data, std::string::npos) << sent;
  ASSERT_NE(event, std::string::npos) << sent;
  EXPECT_LT(data, event);
  EXPECT_EQ(final_chunk, sent.size() - 5);
  EXPECT_FALSE(stream_.subscribed());
  EXPECT_EQ(counters_.streams_token_expired, 1u);
  // Stop after the sweep took the entry must not touch the index again.
  stream_.Stop();
  EXPECT_EQ(expiries.size(), 0u);
}

TEST_F(EventStreamTest, AStreamThatClosesLeavesTheExpiryIndex) {
  StreamExpiries expiries;
  context_.expiries = &expiries;
  SubscribeRequest request;
  request.channels = {"a"};
  request.credential_ttl_ms = 60000;
  stream_.Start(request, false, [this] { return &stream_; });
  EXPECT_EQ(expiries.size(), 1u);
  stream_.Stop();
  EXPECT_EQ(expiries.size(), 0u);
  // A long poll is never entered: each poll presents its token again.
  EventStream poll(&context_, &queue_, this, host());
  poll.Start(request, false, [&poll] { return &poll; }, true);
  EXPECT_EQ(expiries.size(), 0u);
  poll.Stop();
}

TEST_F(EventStreamTest, APollsPreambleIsTheRetryLineAloneAndItHasNoHeartbeats) {
  SubscribeRequest request;
  request.channels = {"a"};
  stream_.Start(request, false, [this] { return &stream_; }, /*poll=*/true);
  EXPECT_TRUE(stream_.subscribed());
  EXPECT_FALSE(stream_hook.linked());  // Not on the heartbeat list.
  stream_.Carry({});  // Nothing carried, nothing asked.
  EXPECT_EQ(queue_.frame_count(), 1u);
  scheduler_.RunPrepare();
  const int flushes = g_flushes;
  // The preamble stays queued while a poll waits (nothing is written before
  // the answer), yet the first message must still ask for the flush that answers.
  Publish(3);
  scheduler_.RunPrepare();
  EXPECT_EQ(g_flushes, flushes + 1);
  EXPECT_EQ(stream_.last_sent_id(), 3u);
  // No comment line: the jQuery polyfill would take it for a message.
  EXPECT_EQ(Sent(), "retry: " + std::to_string(config_.retry_ms) + "\n\nid: 3\ndata: m3\n\n");
}

TEST_F(EventStreamTest, CarriedFramesGoFirstAndAreDeDuplicatedById) {
  Start();
  Sent();
  stream_.Carry({Event(1), Event(2)});
  Publish(2);  // Also carried: dropped.
  Publish(3);
  EXPECT_EQ(Sent(), "id: 1\ndata: m1\n\nid: 2\ndata: m2\n\nid: 3\ndata: m3\n\n");
}

TEST_F(EventStreamTest, CarriedFramesWaitBehindAReplayAndGoBeforeHeldLiveFrames) {
  Start(std::string("1"));
  Sent();
  Publish(4);  // Live, held during the replay.
  stream_.Carry({Event(2), Event(3)});
  EXPECT_TRUE(stream_.replaying());
  ReplayResult result;
  result.frames = {Event(2)};
  stream_.FinishReplay(std::move(result), "1");
  EXPECT_FALSE(stream_.replaying());
  EXPECT_EQ(Sent(), "id: 2\ndata: m2\n\nid: 3\ndata: m3\n\nid: 4\ndata: m4\n\n");
}

TEST_F(EventStreamTest, ChunkedStreamsGetChunkFramingAndAFinalChunkAtTheEnd) {
  Start(std::nullopt, /*chunked=*/true);
  Sent();
  Publish(1);
  stream_.End();
  Publish(2);  // After the end: not taken.
  const std::string sent = Sent();
  EXPECT_NE(sent.find("id: 1\ndata: m1\n\n\r\n"), std::string::npos);
  EXPECT_EQ(sent.substr(sent.size() - 5), "0\r\n\r\n");
  EXPECT_EQ(sent.find("m2"), std::string::npos);
}

TEST_F(EventStreamTest, EndWithRetryTellsTheClientWhenToComeBackThenEnds) {
  Start(std::nullopt, /*chunked=*/true);
  Sent();
  EXPECT_FALSE(stream_.ended());
  stream_.EndWithRetry(417);
  EXPECT_TRUE(stream_.ended());
  stream_.EndWithRetry(9);  // Once ended, nothing more is queued.
  Publish(1);
  const std::string sent = Sent();
  EXPECT_EQ(sent, "c\r\nretry: 417\n\n\r\n0\r\n\r\n");
}

TEST_F(EventStreamTest, ResumeHoldsLiveFramesUntilTheReplayThenDeDuplicatesById) {
  Start(std::string("1"));
  Sent();
  Publish(3);  // Live while the replay is being prepared: held.
  EXPECT_EQ(Sent(), "");
  ASSERT_TRUE(broker_.pending);
  ReplayResult result;
  result.frames = {Event(1), Event(2), Event(3)};  // 1 is the resume id itself.
  broker_.pending(std::move(result));
  EXPECT_EQ(Sent(), "id: 2\ndata: m2\n\nid: 3\ndata: m3\n\n");
  EXPECT_EQ(counters_.replayed_messages, 2u);
  Publish(4);
  EXPECT_EQ(Sent(), "id: 4\ndata: m4\n\n");
}

TEST_F(EventStreamTest, AGapIsAnnouncedBeforeTheReplay) {
  Start(std::string("7"));
  Sent();
  ReplayResult result;
  result.gap = true;
  result.gap_reason = "trimmed";
  result.oldest_id = 9;
  result.frames = {Event(9)};
  broker_.pending(std::move(result));
  const std::string sent = Sent();
  EXPECT_EQ(sent.find("event: gap\n"), 0u);
  EXPECT_NE(sent.find("\"reason\":\"trimmed\""), std::string::npos);
  EXPECT_NE(sent.find("id: 9\n"), std::string::npos);
}

TEST_F(EventStreamTest, ASlowConsumerIsMarkedCutOffNotClosedAndTakesNothingMore) {
  Start();
  Sent();
  for (uint64_t id = 1; id <= 1000 && !stream_.cut_off(); ++id) Publish(id);
  EXPECT_TRUE(stream_.cut_off());
  EXPECT_EQ(counters_.slow_consumer_disconnects, 1u);
  EXPECT_TRUE(stream_.subscribed());  // Unsubscribed by Stop(), when the owner closes it.
  const size_t queued = queue_.bytes();
  Publish(5000);
  EXPECT_EQ(queue_.bytes(), queued);
  stream_.Stop();
  EXPECT_FALSE(stream_.subscribed());
  EXPECT_EQ(registry_.subscriber_count(), 0u);
}

TEST_F(EventStreamTest, LiveFramesHeldDuringAReplayAreBoundedByTheStreamLimit) {
  Start(std::string("1"));
  Sent();
  for (uint64_t id = 2; id <= 1000 && !stream_.cut_off(); ++id) Publish(id);
  EXPECT_TRUE(stream_.cut_off());
  EXPECT_EQ(counters_.slow_consumer_disconnects, 1u);
  // The replay may still land in the queue; the owner closes the stream at
  // its next flush whatever it holds.
  broker_.pending(ReplayResult());
  EXPECT_TRUE(stream_.cut_off());
}

TEST_F(EventStreamTest, CutOffByTheBrokerCountsOnce) {
  Start();
  stream_.CutOff("catch-up overflow");
  stream_.CutOff("again");
  EXPECT_TRUE(stream_.cut_off());
  EXPECT_EQ(counters_.slow_consumer_disconnects, 1u);
}

TEST_F(EventStreamTest, HeartbeatOnlyWhenNothingIsQueued) {
  Start();
  stream_.SendHeartbeat();  // The preamble is still queued: no heartbeat on top.
  EXPECT_EQ(Sent().find(":\n\n"), std::string::npos);
  stream_.SendHeartbeat();
  EXPECT_EQ(Sent(), ":\n\n");
  EXPECT_TRUE(stream_hook.linked());
}

TEST_F(EventStreamTest, AnAgedStreamGetsAShortRetryThenItsEndAndGivesUpItsChannels) {
  config_.retry_ms = 3000;
  Start(std::nullopt, /*chunked=*/true);
  Sent();
  Publish(1);  // Queued before the end: it still leaves, first.
  stream_.EndByAge();
  EXPECT_EQ(counters_.streams_aged, 1u);
  EXPECT_FALSE(stream_.subscribed());
  EXPECT_EQ(close_requests_, 1);
  EXPECT_EQ(Sent(), "10\r\nid: 1\ndata: m1\n\n\r\nc\r\nretry: 250\n\n\r\n0\r\n\r\n");
  // Nothing follows the end, and it ends once.
  Publish(2);
  stream_.EndByAge();
  stream_.EndByRequest("again");
  EXPECT_EQ(Sent(), "");
  EXPECT_EQ(counters_.streams_aged, 1u);
  EXPECT_EQ(close_requests_, 1);
}

TEST_F(EventStreamTest, AnAgedStreamNeverAsksForALongerRetryThanConfigured) {
  config_.retry_ms = 100;
  Start();
  Sent();
  stream_.EndByAge();
  EXPECT_EQ(Sent(), "retry: 100\n\n");  // Raw framing: the connection's close ends it.
}

TEST_F(EventStreamTest, AStreamCutOffOrEndedIsNotAged) {
  Start();
  stream_.CutOff("test");
  stream_.EndByAge();
  EXPECT_EQ(counters_.streams_aged, 0u);
  EXPECT_EQ(close_requests_, 0);
}

}  // namespace
}  // namespace ssebridge
