// A rolling restart behind nginx without loss: two processes on Unix sockets
// behind deploy/nginx/ssebridge.conf, 500 streams, a publisher at 200 msg/s
// through nginx. One process gets SIGTERM and a successor starts on the same
// socket while it drains; every stream it held reconnects through nginx with
// its Last-Event-ID. Every stream must receive every message that was
// answered 200, once, in order, and the reconnects must be spread over the
// drain window (their histogram is printed).
//
// Built as its own binary so that ctest gives it the label `rolling` (besides
// `integration`): ctest -L rolling runs it alone.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleet_fixture.h"
#include "harness.h"

using harness::Clock;
using harness::Millis;
using harness::SseClient;

namespace {

constexpr int kStreams = 500;
constexpr int kChannels = 10;
constexpr int kMessagesPerSecond = 200;
constexpr int kDrainMs = 2000;
constexpr int kVictim = 0;  // The process restarted.

std::string Channel(int c) { return "roll" + std::to_string(c); }

// Publishes through nginx at a fixed rate (the pace is the load, not a wait
// for anything) and remembers, per channel, the data answered 200.
class Publisher {
 public:
  explicit Publisher(int port) : port_(port), accepted_(kChannels) {}
  ~Publisher() { Stop(); }

  void Start() {
    thread_ = std::thread([this] {
      const Clock::time_point start = Clock::now();
      for (int i = 0; !stop_; ++i) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1000000LL / kMessagesPerSecond));
        const int channel = i % kChannels;
        const std::string data = "m" + std::to_string(i);
        auto response = harness::HttpRequest(port_, "POST", "/sse/publish",
                                             R"({"channel":")" + Channel(channel) + R"(","data":")" + data + "\"}",
                                             {{"Content-Type", "application/json"}});
        std::lock_guard<std::mutex> lock(mutex_);
        if (response && response->status == 200) {
          accepted_[channel].push_back(data);
          ++accepted_count_;
        } else {
          refusals_.push_back(response ? std::to_string(response->status) + " " + response->body : "no answer");
        }
      }
    });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int accepted_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return accepted_count_;
  }
  // Valid once stopped.
  const std::vector<std::string>& accepted(int channel) const { return accepted_[channel]; }
  const std::vector<std::string>& refusals() const { return refusals_; }

 private:
  int port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::vector<std::string>> accepted_;
  int accepted_count_ = 0;
  std::vector<std::string> refusals_;
};

struct Stream {
  std::unique_ptr<SseClient> client;
  int channel = 0;
  std::vector<std::string> data;  // Every event received, in order, across reconnects.
  std::string last_id;
  std::vector<double> reconnect_ms;  // After the SIGTERM, each time the stream ended.
};

// Reads whatever `stream` has ready; on its end, reconnects through nginx
// with the Last-Event-ID and records when. Returns false on an unexpected end.
bool Service(Stream& stream, int nginx_port, Clock::time_point sigterm_at, bool draining, std::string* why) {
  while (std::optional<harness::SseEvent> event = stream.client->Next(Millis(0))) {
    stream.data.push_back(event->data);
    stream.last_id = event->id;
  }
  if (!stream.client->closed() && !stream.client->saw_final_chunk()) return true;
  if (!draining) {
    *why = "a stream ended before the restart";
    return false;
  }
  stream.reconnect_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sigterm_at).count());
  auto client = std::make_unique<SseClient>();
  if (stream.last_id.empty() ||
      !client->Open(nginx_port, "/sse/events/" + Channel(stream.channel), {{"Last-Event-ID", stream.last_id}}) ||
      client->head().status != 200) {
    *why = "a stream could not resume through nginx (last id '" + stream.last_id + "')";
    return false;
  }
  stream.client = std::move(client);
  return true;
}

// The channels process `i` has local subscribers for, from its /stats.
std::vector<int> ChannelsOf(fleet::Fleet& fleet, int i) {
  std::vector<int> channels;
  auto response = harness::HttpRequest(fleet.direct_port(i), "GET", "/sse/stats");
  if (!response || response->status != 200) return channels;
  const std::string& body = response->body;
  const std::string counts = body.substr(0, body.find('}'));  // {"channels":{...}
  for (int c = 0; c < kChannels; ++c) {
    if (counts.find("\"" + Channel(c) + "\":") != std::string::npos) channels.push_back(c);
  }
  return channels;
}

TEST(RollingRestartTest, EveryStreamGetsEveryMessageOnceInOrderAndReconnectsSpreadOverTheDrain) {
  fleet::Fleet fleet;
  ASSERT_TRUE(fleet.Start({"--drain-seconds", std::to_string(kDrainMs / 1000)}));
  const int port = fleet.port();

  std::vector<Stream> streams(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    streams[i].channel = i % kChannels;
    streams[i].client = std::make_unique<SseClient>();
    ASSERT_TRUE(streams[i].client->Open(port, "/sse/events/" + Channel(streams[i].channel))) << "stream " << i;
    ASSERT_EQ(streams[i].client->head().status, 200);
  }
  long long on_victim = 0;
  ASSERT_TRUE(harness::Eventually(
      [&] {
        on_victim = fleet.Metric(kVictim, "ssebridge_open_streams");
        return on_victim + fleet.Metric(1 - kVictim, "ssebridge_open_streams") == kStreams;
      },
      Millis(10000)));
  ASSERT_GT(on_victim, 0) << "nginx sent no stream to the process to restart";
  // A message published before Redis confirmed a process's subscription is,
  // rightly, not delivered: wait for every process that holds a channel.
  for (int c = 0; c < kChannels; ++c) {
    int holders = 0;
    for (int i = 0; i < fleet::kProcesses; ++i) {
      const std::vector<int> held = ChannelsOf(fleet, i);
      holders += std::count(held.begin(), held.end(), c) > 0 ? 1 : 0;
    }
    ASSERT_TRUE(harness::AwaitSubscribers(fleet.redis().port(), Channel(c), holders)) << Channel(c);
  }

  Publisher publisher(port);
  publisher.Start();
  // The restart, on a thread of its own so that the streams are read (and
  // their ends noticed) while it runs.
  std::atomic<bool> draining{false};
  std::atomic<bool> restart_done{false};
  Clock::time_point sigterm_at;
  std::string restart_error;
  int old_exit = -1;
  std::unique_ptr<harness::Bridge> old_process;
  std::thread restart([&] {
    // A second of traffic first (200 messages answered).
    harness::Eventually([&] { return publisher.accepted_count() >= kMessagesPerSecond; }, Millis(10000));
    old_process = fleet.Release(kVictim);
    sigterm_at = Clock::now();
    draining = true;
    kill(old_process->process().pid(), SIGTERM);
    if (!old_process->process().WaitForLine("shutting down:", Millis(5000))) {
      restart_error = "the old process did not start draining";
    } else if (!fleet.StartProcess(kVictim)) {
      restart_error = "the successor did not start on the same socket: " + fleet.bridge(kVictim).process().output();
    }
    std::optional<int> status = old_process->process().WaitExit(Millis(kDrainMs + 5000));
    old_exit = status ? *status : -1;
    // A second of traffic after the drain, partly through the successor.
    const int after_drain = publisher.accepted_count() + kMessagesPerSecond;
    harness::Eventually([&] { return publisher.accepted_count() >= after_drain; }, Millis(10000));
    publisher.Stop();
    restart_done = true;
  });

  std::string failure;
  const Clock::time_point deadline = Clock::now() + Millis(30000);
  auto complete = [&] {
    if (!restart_done) return false;
    for (Stream& stream : streams) {
      if (stream.data.size() < publisher.accepted(stream.channel).size()) return false;
    }
    return true;
  };
  while (failure.empty() && !complete() && Clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (Stream& stream : streams) fds.push_back({stream.client->socket().fd(), POLLIN, 0});
    if (poll(fds.data(), fds.size(), 50) < 0) break;
    for (size_t i = 0; i < streams.size() && failure.empty(); ++i) {
      if (fds[i].revents != 0) Service(streams[i], port, sigterm_at, draining, &failure);
    }
  }
  restart.join();
  ASSERT_TRUE(failure.empty()) << failure;
  ASSERT_TRUE(restart_error.empty()) << restart_error;
  EXPECT_EQ(old_exit, 0) << "the drained process did not exit 0";

  // Every message answered 200, once each, in order, on every stream.
  int wrong = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    const std::vector<std::string>& expected = publisher.accepted(streams[i].channel);
    const std::vector<std::string>& got = streams[i].data;
    if (got != expected && wrong++ < 3) {
      size_t at = 0;
      while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
      ADD_FAILURE() << "stream " << i << " on " << Channel(streams[i].channel) << " received " << got.size()
                    << " events for " << expected.size() << " messages answered 200; first difference at event "
                    << at << ": got " << (at < got.size() ? got[at] : "nothing") << ", expected "
                    << (at < expected.size() ? expected[at] : "nothing") << " (previous "
                    << (at > 0 ? expected[at - 1] : "none") << "; the stream "
                    << (streams[i].reconnect_ms.empty()
                            ? "never reconnected)"
                            : "reconnected at " + std::to_string(static_cast<int>(streams[i].reconnect_ms[0])) +
                                  " ms after SIGTERM)");
    }
  }
  EXPECT_EQ(wrong, 0) << "streams that missed, repeated or reordered messages";
  int published = 0;
  for (int c = 0; c < kChannels; ++c) published += static_cast<int>(publisher.accepted(c).size());
  std::printf("%d messages answered 200, %zu refused%s%s\n", published, publisher.refusals().size(),
              publisher.refusals().empty() ? "" : "; first: ",
              publisher.refusals().empty() ? "" : publisher.refusals()[0].c_str());
  EXPECT_TRUE(publisher.refusals().empty()) << "publishes through nginx failed during the restart";

  // The reconnects: exactly the streams of the restarted process, once each,
  // spread over the drain window.
  constexpr int kBinMs = 250;
  constexpr int kBins = kDrainMs / kBinMs;
  std::vector<int> bins(kBins + 1, 0);  // The last: after the window.
  int reconnected = 0;
  int twice = 0;
  double last_ms = 0;
  for (const Stream& stream : streams) {
    if (stream.reconnect_ms.empty()) continue;
    ++reconnected;
    if (stream.reconnect_ms.size() > 1) ++twice;
    const double ms = stream.reconnect_ms.front();
    last_ms = std::max(last_ms, ms);
    bins[std::min(kBins, static_cast<int>(ms / kBinMs))]++;
  }
  std::printf("reconnects of the %lld streams of the restarted process, by time after SIGTERM:\n", on_victim);
  for (int b = 0; b <= kBins; ++b) {
    if (b < kBins) {
      std::printf("  %4d-%4d ms %4d %s\n", b * kBinMs, (b + 1) * kBinMs, bins[b], std::string(bins[b] / 2, '#').c_str());
    } else {
      std::printf("      >%4d ms %4d\n", kDrainMs, bins[b]);
    }
  }
  EXPECT_EQ(reconnected, on_victim) << "only the restarted process's streams may reconnect, each of them";
  EXPECT_EQ(twice, 0) << "streams that had to reconnect more than once";
  // Spread: no bin holds more than a quarter of them, at least a quarter
  // come in the window's second half, and nearly all within the window.
  const int most = *std::max_element(bins.begin(), bins.begin() + kBins);
  EXPECT_LE(most, reconnected / 4) << "reconnects bunched in one " << kBinMs << " ms bin";
  int second_half = 0;
  for (int b = kBins / 2; b <= kBins; ++b) second_half += bins[b];
  EXPECT_GE(second_half, reconnected / 4) << "the drain ended most streams at its start";
  EXPECT_LE(bins[kBins], reconnected / 10) << "streams outlived the drain window";
  EXPECT_LT(last_ms, kDrainMs + 1000);
}

}  // namespace
