#include "ssebridge/loop_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ssebridge/completion_queue.h"

namespace ssebridge {
namespace {

// An entry that records what the scheduler asked of it.
struct Probe : LoopScheduler::Entry {
  int id = 0;
};

std::vector<std::string> g_calls;
std::vector<uint32_t> g_write_clocks;  // write_clock_us() seen by each flush.
LoopScheduler* g_scheduler = nullptr;

void Record(const char* what, LoopScheduler::Entry* entry) {
  g_calls.push_back(std::string(what) + std::to_string(static_cast<Probe*>(entry)->id));
}

const LoopScheduler::Actions kActions = {
    [](LoopScheduler::Entry* e) {
      Record("flush", e);
      if (g_scheduler != nullptr) g_write_clocks.push_back(g_scheduler->write_clock_us());
    },
    [](LoopScheduler::Entry* e) { Record("timeout", e); },
    [](LoopScheduler::Entry* e) { Record("linger", e); },
    [](LoopScheduler::Entry* e) {
      Record("heartbeat", e);
      g_scheduler->TrackStream(e);
    },
    [](LoopScheduler::Entry* e) { Record("poll", e); },
    [](LoopScheduler::Entry* e) { Record("aged", e); },
};

class LoopSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    g_calls.clear();
    g_write_clocks.clear();
  }
  void TearDown() override {
    if (scheduler_) {
      scheduler_->Close();
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    g_scheduler = nullptr;
  }
  LoopScheduler& Make(LoopScheduler::Timeouts timeouts) {
    scheduler_ = std::make_unique<LoopScheduler>(&loop_, timeouts, kActions);
    g_scheduler = scheduler_.get();
    return *scheduler_;
  }

  uv_loop_t loop_;
  std::unique_ptr<LoopScheduler> scheduler_;
};

TEST_F(LoopSchedulerTest, PrepareRunsCompletionsThenFlushesEachEntryOnce) {
  LoopScheduler& scheduler = Make({});
  CompletionQueue completions;
  scheduler.Start(&completions, nullptr, nullptr);
  Probe a, b;
  a.id = 1;
  b.id = 2;
  completions.Post([&] { g_calls.push_back("completion"); });
  scheduler.ScheduleFlush(&a);
  scheduler.ScheduleDelayedFlush(&b);  // No --write-delay: this turn.
  scheduler.ScheduleFlush(&a);         // Already listed: once.
  scheduler.RunPrepare();
  EXPECT_EQ(g_calls, (std::vector<std::string>{"completion", "flush1", "flush2"}));
  EXPECT_FALSE(a.flush_hook.linked());
  scheduler.RunPrepare();
  EXPECT_EQ(g_calls.size(), 3u);
}

TEST_F(LoopSchedulerTest, TheWriteClockIsReadWhenAFlushPassStartsAndEvery32Flushes) {
  LoopScheduler& scheduler = Make({});
  scheduler.Start(nullptr, nullptr, nullptr);
  std::vector<Probe> probes(70);
  for (Probe& probe : probes) scheduler.ScheduleFlush(&probe);
  const uint32_t before = static_cast<uint32_t>(uv_hrtime() / 1000);
  scheduler.RunPrepare();
  const uint32_t after = static_cast<uint32_t>(uv_hrtime() / 1000);
  ASSERT_EQ(g_write_clocks.size(), probes.size());
  for (size_t i = 0; i < g_write_clocks.size(); ++i) {
    // On uv_hrtime's clock, in microseconds, within the pass (modular, as
    // the histogram takes differences).
    EXPECT_LE(g_write_clocks[i] - before, after - before) << "flush " << i;
    // Read at flushes 0, 32 and 64 only: the others share the last reading.
    if (i % 32 != 0) {
      EXPECT_EQ(g_write_clocks[i], g_write_clocks[i - 1]) << "flush " << i;
    }
    if (i >= 32) {
      EXPECT_LE(g_write_clocks[i - 32] - before, g_write_clocks[i] - before) << "flush " << i;
    }
  }
}

TEST_F(LoopSchedulerTest, DelayedFlushWaitsForTheWriteDelayUnlessAFlushMustNotWait) {
  LoopScheduler::Timeouts timeouts;
  timeouts.write_delay_ms = 20;
  LoopScheduler& scheduler = Make(timeouts);
  scheduler.Start(nullptr, nullptr, nullptr);
  Probe a, b;
  a.id = 1;
  b.id = 2;
  scheduler.ScheduleDelayedFlush(&a);
  scheduler.ScheduleDelayedFlush(&b);
  EXPECT_TRUE(a.flush_delayed);
  scheduler.RunPrepare();
  EXPECT_TRUE(g_calls.empty());
  // A response takes b's waiting messages along now.
  scheduler.ScheduleFlush(&b);
  EXPECT_FALSE(b.flush_delayed);
  scheduler.RunPrepare();
  EXPECT_EQ(g_calls, (std::vector<std::string>{"flush2"}));
  // The loop-wide timer hands a to the next prepare.
  while (g_calls.size() < 2) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(g_calls, (std::vector<std::string>{"flush2", "flush1"}));
  scheduler.Forget(&a);
  scheduler.Forget(&b);
}

TEST_F(LoopSchedulerTest, SweepFiresDueDeadlinesInOrderAndHeartbeatsIdleStreams) {
  LoopScheduler::Timeouts timeouts;
  timeouts.request_ms = 1000;
  timeouts.linger_ms = 1000;
  timeouts.heartbeat_ms = 1000;
  LoopScheduler& scheduler = Make(timeouts);
  std::vector<uint64_t> sweeps;
  scheduler.Start(nullptr, nullptr, [&](uint64_t now) { sweeps.push_back(now); });
  Probe reading, lingering, stream, fresh;
  reading.id = 1;
  lingering.id = 2;
  stream.id = 3;
  fresh.id = 4;
  scheduler.TrackReading(&reading);
  scheduler.TrackLingering(&lingering);
  scheduler.TrackStream(&stream);
  scheduler.Sweep();
  EXPECT_TRUE(g_calls.empty());
  // Pretend a second has passed for the first three.
  reading.deadline_start_ms -= 1000;
  lingering.deadline_start_ms -= 1000;
  stream.last_write_ms -= 1000;
  scheduler.TrackReading(&fresh);
  scheduler.Sweep();
  EXPECT_EQ(g_calls, (std::vector<std::string>{"timeout1", "linger2", "heartbeat3"}));
  EXPECT_EQ(sweeps.size(), 2u);
  EXPECT_FALSE(reading.deadline_hook.linked());
  EXPECT_TRUE(fresh.deadline_hook.linked());
  EXPECT_TRUE(stream.stream_hook.linked());  // Re-tracked by its heartbeat.
  scheduler.Forget(&fresh);
  scheduler.Forget(&stream);
  EXPECT_FALSE(stream.stream_hook.linked());
}

TEST_F(LoopSchedulerTest, APollIsTimedOutAfterThePollTimeoutNotTheRequestTimeout) {
  LoopScheduler::Timeouts timeouts;
  timeouts.request_ms = 1000;
  timeouts.poll_ms = 5000;
  LoopScheduler& scheduler = Make(timeouts);
  scheduler.Start(nullptr, nullptr, nullptr);
  Probe early, late;
  early.id = 1;
  late.id = 2;
  scheduler.TrackPolling(&early);
  scheduler.TrackPolling(&late);
  early.deadline_start_ms -= 1000;  // Past the request timeout only.
  scheduler.Sweep();
  EXPECT_TRUE(g_calls.empty());
  early.deadline_start_ms -= 4000;  // Past the poll timeout.
  scheduler.Sweep();
  EXPECT_EQ(g_calls, (std::vector<std::string>{"poll1"}));
  EXPECT_FALSE(early.deadline_hook.linked());
  EXPECT_TRUE(late.deadline_hook.linked());
  scheduler.UntrackDeadline(&late);  // Answered before its time.
  late.deadline_start_ms -= 10000;
  scheduler.Sweep();
  EXPECT_EQ(g_calls.size(), 1u);
}

TEST_F(LoopSchedulerTest, StreamsAgeOnTheSweepTimerWithoutATimerOfTheirOwn) {
  LoopScheduler::Timeouts timeouts;
  timeouts.max_stream_age_ms = 400;
  LoopScheduler& scheduler = Make(timeouts);
  scheduler.Start(nullptr, nullptr, nullptr);
  Probe first, second, answered;
  first.id = 1;
  second.id = 2;
  answered.id = 3;
  const uint64_t started = uv_now(&loop_);
  for (Probe* probe : {&first, &second, &answered}) scheduler.TrackStreamAge(probe);
  EXPECT_TRUE(first.deadline_hook.linked());
  scheduler.Sweep();
  EXPECT_TRUE(g_calls.empty());  // Not before 90% of its age.
  // A stream that ends otherwise first (its end is being written) leaves the
  // age bucket for the linger list, so it is never aged as well.
  scheduler.TrackLingering(&answered);
  scheduler.UntrackDeadline(&answered);
  // Only the scheduler's own 250 ms sweep timer runs: three handles, no more.
  while (g_calls.size() < 2) {
    ASSERT_LT(uv_now(&loop_) - started, 5000u) << "no stream aged";
    uv_run(&loop_, UV_RUN_ONCE);
  }
  const uint64_t elapsed = uv_now(&loop_) - started;
  EXPECT_GE(elapsed, 360u);  // 90% of 400 ms.
  // 110%, rounded up to a bucket (250 ms), plus a sweep interval.
  EXPECT_LE(elapsed, 440u + 250u + 250u + 100u);
  std::vector<std::string> calls = g_calls;
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (std::vector<std::string>{"aged1", "aged2"}));
  EXPECT_FALSE(first.deadline_hook.linked());
  EXPECT_FALSE(answered.deadline_hook.linked());
}

TEST_F(LoopSchedulerTest, WithoutAMaxStreamAgeStreamsAreNotTracked) {
  LoopScheduler& scheduler = Make({});
  scheduler.Start(nullptr, nullptr, nullptr);
  Probe stream;
  stream.id = 1;
  scheduler.TrackStreamAge(&stream);
  EXPECT_FALSE(stream.deadline_hook.linked());
}

TEST_F(LoopSchedulerTest, AForgottenStreamNeverAges) {
  LoopScheduler::Timeouts timeouts;
  timeouts.max_stream_age_ms = 1;
  LoopScheduler& scheduler = Make(timeouts);
  scheduler.Start(nullptr, nullptr, nullptr);
  Probe closed, open;
  closed.id = 1;
  open.id = 2;
  scheduler.TrackStreamAge(&closed);
  scheduler.TrackStreamAge(&open);
  scheduler.Forget(&closed);  // The connection closed.
  while (g_calls.empty()) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(g_calls, (std::vector<std::string>{"aged2"}));
}

}  // namespace
}  // namespace ssebridge
