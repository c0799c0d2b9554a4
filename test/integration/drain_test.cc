// Shutting down without a reconnect storm: SIGTERM ends the streams spread
// over --drain-seconds, each told to come back after its own `retry:`;
// SIGINT ends them at once; SIGHUP reopens the log file.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

using harness::Bridge;
using harness::Clock;
using harness::Millis;
using harness::SseClient;

namespace {

// The value of the last "retry: N" line in `text`, or -1.
long LastRetry(const std::string& text) {
  size_t at = text.rfind("retry: ");
  if (at == std::string::npos) return -1;
  return atol(text.c_str() + at + 7);
}

struct Ended {
  double ms = -1;     // When the server closed the stream, after SIGTERM.
  long retry = -1;    // The last retry it was told.
  bool final_chunk = false;
};

// Reads every stream until the server closes it or `deadline`; returns,
// per stream, when it ended (ms after `start`) and the retry it got.
std::vector<Ended> ReadUntilAllEnd(std::vector<std::unique_ptr<SseClient>>& streams, Clock::time_point start,
                                   Clock::time_point deadline) {
  std::vector<Ended> ended(streams.size());
  std::vector<std::string> text(streams.size());
  size_t open = streams.size();
  while (open > 0 && Clock::now() < deadline) {
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (ended[i].ms >= 0) continue;
      fds.push_back({streams[i]->socket().fd(), POLLIN, 0});
      which.push_back(i);
    }
    const int wait = static_cast<int>(std::chrono::duration_cast<Millis>(deadline - Clock::now()).count());
    if (poll(fds.data(), fds.size(), std::max(wait, 0)) <= 0) break;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      const size_t i = which[k];
      char buffer[4096];
      ssize_t n = recv(fds[k].fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        text[i].append(buffer, static_cast<size_t>(n));
        continue;
      }
      ended[i].ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      ended[i].retry = LastRetry(text[i]);
      ended[i].final_chunk = text[i].find("0\r\n\r\n") != std::string::npos;
      // Hanging up at once spares the server its linger after FIN.
      streams[i]->socket().Close();
      --open;
    }
  }
  return ended;
}

std::vector<std::unique_ptr<SseClient>> OpenStreams(int port, int count) {
  std::vector<std::unique_ptr<SseClient>> streams;
  for (int i = 0; i < count; ++i) {
    auto stream = std::make_unique<SseClient>();
    if (!stream->Open(port, "/events/drain" + std::to_string(i % 7)) || stream->head().status != 200) break;
    streams.push_back(std::move(stream));
  }
  return streams;
}

TEST(DrainTest, SigtermEndsStreamsSpreadOverTheDrainWindowWithJitteredRetries) {
  constexpr int kStreams = 200;
  constexpr double kDrainMs = 2000;
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--drain-seconds", "2"}));
  std::vector<std::unique_ptr<SseClient>> streams = OpenStreams(bridge.port(), kStreams);
  ASSERT_EQ(streams.size(), static_cast<size_t>(kStreams));
  ASSERT_TRUE(harness::Eventually(
      [&] { return harness::MetricValue(bridge.port(), "ssebridge_open_streams") == kStreams; }, Millis(5000)));

  const Clock::time_point start = Clock::now();
  ASSERT_EQ(kill(bridge.process().pid(), SIGTERM), 0);
  ASSERT_TRUE(bridge.process().WaitForLine("shutting down:", Millis(5000)));
  // Accepting stopped at once: a new client is refused while streams drain.
  harness::Socket late;
  EXPECT_FALSE(late.Connect(bridge.port())) << "a connection was accepted during the drain";

  std::vector<Ended> ended = ReadUntilAllEnd(streams, start, start + Millis(static_cast<int>(kDrainMs) + 1000));
  std::optional<int> status = bridge.process().WaitExit(Millis(3000));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);

  // The histogram of end times, in bins of the batch spacing (250 ms).
  constexpr int kBins = 8;
  std::vector<int> bins(kBins + 1, 0);
  int not_ended = 0;
  int in_first_tenth = 0;
  int in_second_half = 0;
  std::set<long> retries;
  for (const Ended& e : ended) {
    if (e.ms < 0) {
      ++not_ended;
      continue;
    }
    const int bin = std::min(kBins, static_cast<int>(e.ms / (kDrainMs / kBins)));
    ++bins[bin];
    if (e.ms < kDrainMs / 10) ++in_first_tenth;
    if (e.ms >= kDrainMs / 2) ++in_second_half;
    EXPECT_TRUE(e.final_chunk) << "a stream ended without its final chunk";
    EXPECT_GE(e.retry, 0) << "a stream ended without a retry line";
    EXPECT_LT(e.retry, 1000) << "retry jitter is below the batch spacing, at least 1 s";
    retries.insert(e.retry);
  }
  std::ostringstream histogram;
  histogram << "stream end times after SIGTERM (--drain-seconds 2, " << kStreams << " streams):\n";
  for (int i = 0; i <= kBins; ++i) {
    char label[64];
    if (i < kBins) {
      snprintf(label, sizeof label, "  %4.0f-%4.0f ms ", i * kDrainMs / kBins, (i + 1) * kDrainMs / kBins);
    } else {
      snprintf(label, sizeof label, "  >=%4.0f ms    ", kDrainMs);
    }
    histogram << label << std::string(static_cast<size_t>(bins[i]), '#') << " " << bins[i] << "\n";
  }
  printf("%s", histogram.str().c_str());
  EXPECT_EQ(not_ended, 0) << "streams still open " << kDrainMs + 1000 << " ms after SIGTERM";
  EXPECT_LT(in_first_tenth, kStreams / 4) << "streams were not spread over the window";
  EXPECT_GT(in_second_half, kStreams / 4) << "streams were not spread over the window";
  EXPECT_GT(retries.size(), 20u) << "retries are not jittered";
}

TEST(DrainTest, SigintEndsEveryStreamAtOnce) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--drain-seconds", "30"}));
  std::vector<std::unique_ptr<SseClient>> streams = OpenStreams(bridge.port(), 20);
  ASSERT_EQ(streams.size(), 20u);
  ASSERT_TRUE(harness::Eventually(
      [&] { return harness::MetricValue(bridge.port(), "ssebridge_open_streams") == 20; }, Millis(5000)));
  const Clock::time_point start = Clock::now();
  ASSERT_EQ(kill(bridge.process().pid(), SIGINT), 0);
  std::vector<Ended> ended = ReadUntilAllEnd(streams, start, start + Millis(2000));
  for (const Ended& e : ended) {
    EXPECT_GE(e.ms, 0) << "SIGINT must not wait for --drain-seconds";
    EXPECT_GE(e.retry, 0);
  }
  std::optional<int> status = bridge.process().WaitExit(Millis(3000));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
}

TEST(DrainTest, SigintDuringADrainEndsTheRestAtOnce) {
  Bridge bridge;
  ASSERT_TRUE(bridge.Start({"--drain-seconds", "30"}));
  std::vector<std::unique_ptr<SseClient>> streams = OpenStreams(bridge.port(), 40);
  ASSERT_EQ(streams.size(), 40u);
  ASSERT_TRUE(harness::Eventually(
      [&] { return harness::MetricValue(bridge.port(), "ssebridge_open_streams") == 40; }, Millis(5000)));
  const Clock::time_point start = Clock::now();
  ASSERT_EQ(kill(bridge.process().pid(), SIGTERM), 0);
  ASSERT_TRUE(bridge.process().WaitForLine("shutting down:", Millis(5000)));
  ASSERT_EQ(kill(bridge.process().pid(), SIGINT), 0);
  std::vector<Ended> ended = ReadUntilAllEnd(streams, start, start + Millis(3000));
  for (const Ended& e : ended) EXPECT_GE(e.ms, 0) << "a second signal must end the drain";
  std::optional<int> status = bridge.process().WaitExit(Millis(3000));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
}

TEST(DrainTest, SighupReopensTheLogFile) {
  harness::TempDir dir;
  const std::string log = dir.path() + "/ssebridge.log";
  harness::Subprocess process;
  ASSERT_TRUE(process.Start({SSEBRIDGE_BINARY, "--listen", "127.0.0.1:0", "--log-file", log}));
  auto file_has = [](const std::string& path, const std::string& needle) {
    std::ifstream in(path);
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str().find(needle) != std::string::npos;
  };
  // Nothing reaches stderr any more: the lines are in the file.
  ASSERT_TRUE(harness::Eventually([&] { return file_has(log, "listening on 127.0.0.1:"); }, Millis(5000)));
  EXPECT_EQ(process.output().find("listening on"), std::string::npos) << process.output();

  // What logrotate does: move the file away, then signal.
  ASSERT_EQ(rename(log.c_str(), (log + ".1").c_str()), 0);
  ASSERT_EQ(kill(process.pid(), SIGHUP), 0);
  ASSERT_TRUE(harness::Eventually([&] { return file_has(log, "log file " + log + " reopened"); }, Millis(5000)));
  EXPECT_EQ(process.Stop(SIGTERM, Millis(8000)), 0);
  EXPECT_TRUE(file_has(log, "bye")) << "lines after the reopen go to the new file";
  EXPECT_FALSE(file_has(log + ".1", "bye"));
}

}  // namespace
