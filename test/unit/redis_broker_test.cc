// RedisBroker on a private loop against a real redis-server: the composition
// of publisher, history reader, live relay and subscriber seen from its
// Broker interface — a publish answered once with its id, delivered live to a
// registry subscriber and kept in the channel's Redis stream; resumes replayed
// from the streams; an outage reported and recovered from.
#include "ssebridge/redis_broker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "loop_runner.h"
#include "redis_server.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/completion_queue.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/redis_address.h"
#include "ssebridge/redis_scripts.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;
using testing_redis::RedisServer;

// A stream as the registry sees it: records each frame's raw form.
class RecordingSink final : public StreamSink {
 public:
  void SendFrame(const FrameRef& frame) override { frames.emplace_back(frame->raw()); }
  void CutOff(const char* /*why*/) override { ++cut_offs; }
  bool Has(const std::string& needle) const {
    return std::any_of(frames.begin(), frames.end(),
                       [&](const std::string& frame) { return frame.find(needle) != std::string::npos; });
  }
  std::vector<std::string> frames;
  int cut_offs = 0;
};

// One callback's record: how often it ran and whether its call had returned.
template <typename Result>
struct Answer {
  int calls = 0;
  bool ran_inside_call = false;
  Result result;
};

// No connections here: the scheduler only runs the completion queue and the
// broker's Flush() in the prepare phase, as it does for the server.
const LoopScheduler::Actions kNoConnections = {
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
};

class RedisBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_TRUE(redis_.Start()) << "redis-server did not start: " << redis_.log();
    RedisBroker::Options options;
    ASSERT_EQ(ParseRedisAddress(redis_.url(), &options.address), "");
    options.command_timeout_ms = 2000;
    broker_ = std::make_unique<RedisBroker>(&loop_, &completions_, options, &registry_, &counters_, MonotonicMillis);
    registry_.set_listener(broker_.get());
    scheduler_ = std::make_unique<LoopScheduler>(&loop_, LoopScheduler::Timeouts{}, kNoConnections);
    scheduler_->Start(&completions_, broker_.get(), [](uint64_t) {});
    broker_->Start();
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return broker_->ready(); }));
  }

  void TearDown() override {
    for (PubsubRegistry::Subscriber* subscriber : subscribers_) registry_.Unsubscribe(subscriber);
    broker_->Shutdown();
    completions_.RunAll();
    scheduler_->Close();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
    registry_.set_listener(nullptr);
    broker_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Subscribes `sink` and waits until Redis has the subscription.
  void Subscribe(RecordingSink* sink, const std::string& name) {
    subscribers_.push_back(registry_.Subscribe(sink, {name}));
    const bool pattern = name.find('*') != std::string::npos;
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
      if (pattern) return redis_.Command({"PUBSUB", "NUMPAT"}).integer >= 1;
      testing_redis::Reply reply = redis_.Command({"PUBSUB", "NUMSUB", name});
      return reply.elements.size() == 2 && reply.elements[1].integer == 1;
    }));
  }

  std::shared_ptr<Answer<PublishOutcome>> Publish(const std::string& channel, const std::string& data) {
    PublishRequest request;
    request.channels = {channel};
    request.data = data;
    auto answer = std::make_shared<Answer<PublishOutcome>>();
    auto returned = std::make_shared<bool>(false);
    broker_->Publish(request, [answer, returned](const PublishOutcome& outcome) {
      ++answer->calls;
      if (!*returned) answer->ran_inside_call = true;
      answer->result = outcome;
    });
    *returned = true;
    return answer;
  }

  std::shared_ptr<Answer<ReplayResult>> Replay(const std::vector<std::string>& topics, const std::string& after) {
    auto answer = std::make_shared<Answer<ReplayResult>>();
    auto returned = std::make_shared<bool>(false);
    broker_->Replay(topics, after, [answer, returned](ReplayResult result) {
      ++answer->calls;
      if (!*returned) answer->ran_inside_call = true;
      answer->result = std::move(result);
    });
    *returned = true;
    return answer;
  }

  template <typename Result>
  bool Await(const std::shared_ptr<Answer<Result>>& answer) {
    return RunLoopUntil(&loop_, [&] { return answer->calls > 0; });
  }

  uv_loop_t loop_;
  RedisServer redis_;
  Counters counters_;
  PubsubRegistry registry_;
  CompletionQueue completions_;
  std::unique_ptr<RedisBroker> broker_;
  std::unique_ptr<LoopScheduler> scheduler_;
  std::vector<PubsubRegistry::Subscriber*> subscribers_;
};

TEST_F(RedisBrokerTest, APublishIsAnsweredOnceDeliveredLiveAndKeptInItsRedisStream) {
  EXPECT_STREQ(broker_->kind(), "redis");
  RecordingSink sink;
  Subscribe(&sink, "news");
  auto answer = Publish("news", "hello");
  EXPECT_EQ(answer->calls, 0);
  ASSERT_TRUE(Await(answer));
  EXPECT_FALSE(answer->ran_inside_call);
  ASSERT_EQ(answer->result.status, 200) << answer->result.error;
  const std::string id = answer->result.id;
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !sink.frames.empty(); }));
  ASSERT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(sink.frames[0], "id: " + id + "\ndata: hello\n\n");
  // The script stored it in the channel's stream under the same id.
  testing_redis::Reply stream = redis_.Command({"XRANGE", "ssebridge:stream:news", "-", "+"});
  ASSERT_EQ(stream.elements.size(), 1u) << stream.str;
  EXPECT_EQ(stream.elements[0].elements[0].str, id + "-0");
  EXPECT_EQ(answer->calls, 1);
  EXPECT_EQ(sink.cut_offs, 0);
}

TEST_F(RedisBrokerTest, PublishesOfOneTurnAreAnsweredInRequestOrderWithRisingIds) {
  RecordingSink sink;
  Subscribe(&sink, "news");
  std::vector<std::shared_ptr<Answer<PublishOutcome>>> answers;
  for (int i = 0; i < 5; ++i) answers.push_back(Publish("news", "m" + std::to_string(i)));
  // The answers come on the command connection, the frames on the subscriber's.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sink.frames.size() == 5 && answers.back()->calls > 0; }));
  for (size_t i = 0; i < answers.size(); ++i) {
    EXPECT_EQ(answers[i]->calls, 1);
    EXPECT_FALSE(answers[i]->ran_inside_call);
    ASSERT_EQ(answers[i]->result.status, 200);
    if (i > 0) {
      EXPECT_LT(std::stoull(answers[i - 1]->result.id), std::stoull(answers[i]->result.id));
    }
    EXPECT_EQ(sink.frames[i], "id: " + answers[i]->result.id + "\ndata: m" + std::to_string(i) + "\n\n");
  }
}

TEST_F(RedisBrokerTest, APlainRedisPublishArrivesAsDataWithoutAnIdAndAPatternSubscriberGetsIt) {
  RecordingSink exact;
  RecordingSink pattern;
  Subscribe(&exact, "news.eu");
  Subscribe(&pattern, "news.*");
  EXPECT_EQ(redis_.Command({"PUBLISH", "news.eu", "plain"}).integer, 2);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !exact.frames.empty() && !pattern.frames.empty(); }));
  EXPECT_EQ(exact.frames, std::vector<std::string>{"data: plain\n\n"});
  EXPECT_EQ(pattern.frames, std::vector<std::string>{"data: plain\n\n"});
  // A publish through the broker reaches both, once each.
  auto answer = Publish("news.eu", "via-broker");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
    return exact.frames.size() == 2 && pattern.frames.size() == 2 && answer->calls > 0;
  }));
  EXPECT_TRUE(exact.Has("data: via-broker\n"));
  EXPECT_TRUE(pattern.Has("data: via-broker\n"));
  EXPECT_EQ(answer->calls, 1);
}

TEST_F(RedisBrokerTest, AResumeIsReplayedFromTheRedisStreamsAfterItsId) {
  // Published before anyone here subscribed: only Redis has them.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto answer = Publish("hist", "h" + std::to_string(i));
    ASSERT_TRUE(Await(answer));
    ASSERT_EQ(answer->result.status, 200) << answer->result.error;
    ids.push_back(answer->result.id);
  }
  RecordingSink sink;
  Subscribe(&sink, "hist");
  auto replay = Replay({"hist"}, ids[0]);
  EXPECT_EQ(replay->calls, 0);
  ASSERT_TRUE(Await(replay));
  EXPECT_FALSE(replay->ran_inside_call);
  const ReplayResult& result = replay->result;
  EXPECT_FALSE(result.gap) << result.gap_reason;
  ASSERT_EQ(result.frames.size(), 2u);
  EXPECT_EQ(std::string(result.frames[0]->raw()), "id: " + ids[1] + "\ndata: h1\n\n");
  EXPECT_EQ(std::string(result.frames[1]->raw()), "id: " + ids[2] + "\ndata: h2\n\n");
  EXPECT_GE(counters_.replays_from_redis, 1u);
  EXPECT_EQ(replay->calls, 1);
}

TEST_F(RedisBrokerTest, AResumeFromAnIdNeverIssuedIsUnknownEvenWhileMemoryCoversTheTopic) {
  RecordingSink sink;
  Subscribe(&sink, "mem");
  // The first message arrives after the subscription's confirmation, whose
  // clock read is then sent before the second publish on the same
  // connection: once the second is answered, memory covers the topic.
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto answer = Publish("mem", "m" + std::to_string(i));
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return answer->calls > 0 && sink.frames.size() == ids.size() + 1; }));
    ASSERT_EQ(answer->result.status, 200) << answer->result.error;
    ids.push_back(answer->result.id);
  }
  const uint64_t reads = counters_.replays_from_redis;
  auto known = Replay({"mem"}, ids[0]);
  ASSERT_TRUE(Await(known));
  EXPECT_EQ(counters_.replays_from_redis, reads);  // Served from memory.
  EXPECT_FALSE(known->result.gap) << known->result.gap_reason;
  ASSERT_EQ(known->result.frames.size(), 1u);
  EXPECT_EQ(std::string(known->result.frames[0]->raw()), "id: " + ids[1] + "\ndata: m1\n\n");

  // An id far newer than Redis's clock was never issued: the stream must be
  // told (unknown-id) and start from the oldest message, or it would drop
  // every live message until the clock passed that id.
  auto bogus = Replay({"mem"}, std::to_string(std::stoull(ids[1]) + 1000000000000ull));
  ASSERT_TRUE(Await(bogus));
  EXPECT_FALSE(bogus->ran_inside_call);
  EXPECT_TRUE(bogus->result.gap);
  EXPECT_EQ(bogus->result.gap_reason, "unknown-id");
  EXPECT_TRUE(bogus->result.from_start);
  EXPECT_EQ(bogus->result.frames.size(), 2u);
  EXPECT_EQ(bogus->calls, 1);
}

TEST_F(RedisBrokerTest, ARedisOutageIsReportedAndTheBrokerRecoversWithItsSubscriptions) {
  RecordingSink sink;
  Subscribe(&sink, "news");
  redis_.Kill();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !broker_->ready(); }));

  // While Redis is away a publish is refused and a resume reports the gap,
  // each answered once and after its call returned.
  auto refused = Publish("news", "lost");
  auto replay = Replay({"news"}, "1");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return refused->calls > 0 && replay->calls > 0; }));
  EXPECT_FALSE(refused->ran_inside_call);
  EXPECT_EQ(refused->result.status, 503);
  EXPECT_FALSE(refused->result.error.empty());
  EXPECT_FALSE(replay->ran_inside_call);
  EXPECT_TRUE(replay->result.gap);
  EXPECT_EQ(replay->result.gap_reason, "unavailable");

  ASSERT_TRUE(redis_.Start()) << redis_.log();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return broker_->ready(); }));
  EXPECT_EQ(broker_->reconnects(), 2u);  // The command and the subscriber connection.
  // The subscriber re-subscribed by itself: a new publish reaches the stream.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
    testing_redis::Reply reply = redis_.Command({"PUBSUB", "NUMSUB", "news"});
    return reply.elements.size() == 2 && reply.elements[1].integer == 1;
  }));
  auto answer = Publish("news", "back");
  ASSERT_TRUE(Await(answer));
  EXPECT_EQ(answer->result.status, 200) << answer->result.error;
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sink.Has("data: back\n"); }));
  EXPECT_FALSE(sink.Has("lost"));
  EXPECT_EQ(refused->calls, 1);
  EXPECT_EQ(replay->calls, 1);
}

// Publishes one resumable message on `channel` from the test's own
// connection, synchronously, as another process would; returns its id.
std::string PublishElsewhere(const RedisServer& redis, const std::string& channel, const std::string& data) {
  testing_redis::Reply id = redis.Command({"EVAL", kPublishScript, "1", kClockKey,
                                           "{\"event\":\"message\",\"data\":\"" + data + "\"", "1000",
                                           "3600000", channel});
  return id.type == REDIS_REPLY_STRING ? id.str : "";
}

// A browser whose stream ended (say, at a stream-age limit) reconnects at
// once with Last-Event-ID: the channel's only stream goes and a new one comes
// in the same loop turn, so the relay sends UNSUBSCRIBE and the new SUBSCRIBE
// waits behind it for a round trip. A message another process publishes
// while the resume is being answered must reach the new stream, from the
// replay or live. It is published the moment the resume is answered, from
// the test's own connection, which is where the hole was: after the read, and
// (about one cycle in three) before Redis had the new subscription.
TEST_F(RedisBrokerTest, AMessagePublishedWhileAStreamResubscribesReachesTheResumedStream) {
  const std::string channel = "resub";
  std::vector<std::unique_ptr<RecordingSink>> sinks;
  sinks.push_back(std::make_unique<RecordingSink>());
  // The channel's one stream is always subscribers_.back() (TearDown ends it).
  subscribers_.push_back(registry_.Subscribe(sinks.back().get(), {channel}));
  auto numsub = [&] {
    testing_redis::Reply reply = redis_.Command({"PUBSUB", "NUMSUB", channel});
    return reply.elements.size() == 2 ? reply.elements[1].integer : -1;
  };
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return numsub() == 1; }));
  std::string last_id = PublishElsewhere(redis_, channel, "first");
  ASSERT_FALSE(last_id.empty());
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sinks.back()->Has("id: " + last_id + "\n"); }));

  constexpr int kMaxCycles = 200;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int cycles = 0;
  int published_before_subscribed = 0;
  std::vector<std::string> lost;
  for (; cycles < kMaxCycles && lost.empty() && std::chrono::steady_clock::now() < deadline; ++cycles) {
    // The old stream ends and the new one resumes, in one turn.
    registry_.Unsubscribe(subscribers_.back());
    sinks.push_back(std::make_unique<RecordingSink>());
    RecordingSink* sink = sinks.back().get();
    subscribers_.back() = registry_.Subscribe(sink, {channel});
    const std::string window_data = "w" + std::to_string(cycles);
    std::string window_id;
    auto replay = std::make_shared<Answer<ReplayResult>>();
    broker_->Replay({channel}, last_id, [&, replay](ReplayResult result) {
      ++replay->calls;
      replay->result = std::move(result);
      if (numsub() == 0) ++published_before_subscribed;
      window_id = PublishElsewhere(redis_, channel, window_data);
    });
    ASSERT_TRUE(Await(replay)) << "cycle " << cycles;
    ASSERT_FALSE(window_id.empty());
    ASSERT_FALSE(replay->result.gap) << replay->result.gap_reason;
    // A marker published once Redis surely has the subscription arrives
    // live, after anything published before it: then the window message
    // has arrived or never will.
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return numsub() == 1; }));
    const std::string marker_id = PublishElsewhere(redis_, channel, "m" + std::to_string(cycles));
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return sink->Has("id: " + marker_id + "\n"); })) << "cycle " << cycles;
    const std::string wanted = "id: " + window_id + "\n";
    const bool replayed = std::any_of(replay->result.frames.begin(), replay->result.frames.end(),
                                      [&](const FrameRef& frame) { return frame->raw().find(wanted) == 0; });
    if (!replayed && !sink->Has(wanted)) lost.push_back(window_id);
    last_id = marker_id;
  }
  EXPECT_TRUE(lost.empty()) << "message " << (lost.empty() ? "" : lost[0]) << " lost in cycle " << cycles << " ("
                            << published_before_subscribed << " of " << cycles
                            << " published before Redis had the new subscription)";
  // The read runs once Redis has the subscription, so the window message
  // always comes live.
  EXPECT_EQ(published_before_subscribed, 0);
  if (lost.empty()) {
    EXPECT_GE(cycles, 20) << "too few cycles in the time bound to mean anything";
  }
}

TEST_F(RedisBrokerTest, ShutdownAnswersAResumeStillWaitingForItsSubscriptionOnce) {
  RecordingSink sink;
  subscribers_.push_back(registry_.Subscribe(&sink, {"waiting"}));
  // Nothing has run on the loop: Redis cannot have confirmed the SUBSCRIBE.
  auto replay = Replay({"waiting"}, "1");
  broker_->Shutdown();
  completions_.RunAll();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return replay->calls > 0; }));
  EXPECT_FALSE(replay->ran_inside_call);
  EXPECT_TRUE(replay->result.gap);
  EXPECT_EQ(replay->result.gap_reason, "unavailable");
  EXPECT_EQ(replay->calls, 1);
}

TEST_F(RedisBrokerTest, ShutdownAnswersAPublishStillInFlightOnce) {
  auto answer = Publish("news", "late");
  broker_->Shutdown();
  completions_.RunAll();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return answer->calls > 0; }));
  EXPECT_FALSE(answer->ran_inside_call);
  EXPECT_EQ(answer->result.status, 503);
  EXPECT_FALSE(broker_->ready());
  EXPECT_EQ(answer->calls, 1);
}

}  // namespace
}  // namespace ssebridge
