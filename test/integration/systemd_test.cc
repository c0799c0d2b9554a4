// systemd integration: the Type=notify protocol as systemd speaks it (a Unix
// datagram socket named by NOTIFY_SOCKET, owned here by the test), and the
// shipped unit file checked by systemd-analyze.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

using harness::Clock;
using harness::Millis;
using harness::Subprocess;
using harness::TempDir;

namespace {

// The service manager's end of the notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() { close(fd_); }
  bool bound() const { return bound_; }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }

  // The next datagram, or nullopt after `timeout`.
  std::optional<std::string> Next(Millis timeout) {
    pollfd descriptor{fd_, POLLIN, 0};
    if (poll(&descriptor, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[4096];
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }
  // Datagrams until one contains `needle`; nullopt if none did in time.
  std::optional<std::string> WaitFor(const std::string& needle, Millis timeout,
                                     std::vector<std::string>* seen = nullptr) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      std::optional<std::string> message = Next(left);
      if (!message) return std::nullopt;
      if (seen) seen->push_back(*message);
      if (message->find(needle) != std::string::npos) return message;
    }
    return std::nullopt;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SystemdTest, ReadyAfterThePortAnswersThenStoppingOnSigtermAndWatchdogPings) {
  TempDir dir;
  NotifySocket notify(dir.path() + "/notify.sock");
  ASSERT_TRUE(notify.bound());
  const int port = harness::FreePort();
  Subprocess bridge;
  ASSERT_TRUE(bridge.Start({SSEBRIDGE_BINARY, "--listen", "127.0.0.1:" + std::to_string(port)},
                           {notify.env(), "WATCHDOG_USEC=600000"}));

  std::optional<std::string> ready = notify.WaitFor("READY=1", Millis(10000));
  ASSERT_TRUE(ready) << bridge.output();
  // Ready means serving: the port answers the moment READY=1 is read.
  EXPECT_TRUE(harness::Healthy(port));
  EXPECT_NE(ready->find("STATUS=listening on 127.0.0.1:" + std::to_string(port)), std::string::npos) << *ready;

  // Pings at half the interval (300 ms), from the loop: two within 1.5 s.
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", Millis(1500), &seen));
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", Millis(1500), &seen));

  // A stopped loop stops pinging: the watchdog is worth something only then.
  ASSERT_EQ(kill(bridge.pid(), SIGSTOP), 0);
  while (notify.Next(Millis(50))) {
  }
  EXPECT_FALSE(notify.Next(Millis(800))) << "pinged while stopped";
  ASSERT_EQ(kill(bridge.pid(), SIGCONT), 0);
  EXPECT_TRUE(notify.WaitFor("WATCHDOG=1", Millis(1500)));

  ASSERT_EQ(kill(bridge.pid(), SIGTERM), 0);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", Millis(5000)));
  std::optional<int> status = bridge.WaitExit(Millis(8000));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
}

TEST(SystemdTest, InRedisModeReadyWaitsForRedis) {
  TempDir dir;
  NotifySocket notify(dir.path() + "/notify.sock");
  ASSERT_TRUE(notify.bound());
  harness::RedisServer redis;
  ASSERT_TRUE(redis.Start());
  Subprocess bridge;
  ASSERT_TRUE(bridge.Start({SSEBRIDGE_BINARY, "--listen", "127.0.0.1:0", "--redis", redis.url()}, {notify.env()}));
  ASSERT_TRUE(notify.WaitFor("READY=1", Millis(10000))) << bridge.output();
  const std::string output = bridge.output();
  EXPECT_NE(output.find("redis-subscriber: connected"), std::string::npos)
      << "READY=1 before the subscriber connection was up:\n" << output;
  EXPECT_EQ(bridge.Stop(SIGTERM, Millis(8000)), 0);
}

TEST(SystemdTest, WithoutNotifySocketNothingIsSent) {
  Subprocess bridge;
  ASSERT_TRUE(bridge.Start({SSEBRIDGE_BINARY, "--listen", "127.0.0.1:0"}));
  ASSERT_TRUE(bridge.WaitForLine("listening on", Millis(10000)));
  EXPECT_EQ(bridge.Stop(SIGTERM, Millis(8000)), 0);
  EXPECT_EQ(bridge.output().find("service manager"), std::string::npos) << bridge.output();
}

TEST(SystemdTest, TheShippedUnitPassesSystemdAnalyzeVerify) {
  if (access("/usr/bin/systemd-analyze", X_OK) != 0) GTEST_SKIP() << "systemd-analyze is not installed (apt: systemd)";
  TempDir dir;
  // verify checks that ExecStart's binary exists: point it at the one built.
  std::ifstream in(std::string(SSEBRIDGE_SOURCE_DIR) + "/deploy/systemd/ssebridge.service");
  ASSERT_TRUE(in);
  std::stringstream unit;
  unit << in.rdbuf();
  std::string text = unit.str();
  const std::string installed = "/usr/local/bin/ssebridge";
  ASSERT_NE(text.find("ExecStart=" + installed), std::string::npos);
  for (size_t at = text.find(installed); at != std::string::npos; at = text.find(installed, at)) {
    text.replace(at, installed.size(), SSEBRIDGE_BINARY);
  }
  const std::string path = dir.path() + "/ssebridge.service";
  std::ofstream(path) << text;
  const std::string command = "/usr/bin/systemd-analyze verify " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[1024];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  // It exits 0 even for a directive it ignores, with a line naming the file.
  EXPECT_EQ(output.find("ssebridge.service"), std::string::npos) << output;
}

}  // namespace
