// ServiceNotifier against a datagram socket playing systemd's part.
#include "ssebridge/service_notifier.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

class ServiceNotifierTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ssebridge-notify-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::optional<std::string> Received() {
    pollfd descriptor{fd_, POLLIN, 0};
    if (poll(&descriptor, 1, 100) <= 0) return std::nullopt;
    char buffer[1024];
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    return n < 0 ? std::nullopt : std::optional<std::string>(std::string(buffer, static_cast<size_t>(n)));
  }

  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(ServiceNotifierTest, ReadyAndStoppingAreSentOnceEach) {
  ServiceNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval_ms(), 0u);
  notifier.Ready("listening on x");
  notifier.Ready("again");
  EXPECT_EQ(Received(), std::optional<std::string>("READY=1\nSTATUS=listening on x"));
  notifier.Stopping("draining");
  notifier.Stopping("again");
  EXPECT_EQ(Received(), std::optional<std::string>("STOPPING=1\nSTATUS=draining"));
  notifier.MaybePing(1000);  // No watchdog asked for: no pings.
  EXPECT_EQ(Received(), std::nullopt);
}

TEST_F(ServiceNotifierTest, WatchdogPingsAtHalfTheInterval) {
  setenv("WATCHDOG_USEC", "2000000", 1);
  ServiceNotifier notifier;
  EXPECT_EQ(notifier.watchdog_interval_ms(), 2000u);
  notifier.MaybePing(10000);
  EXPECT_EQ(Received(), std::optional<std::string>("WATCHDOG=1"));
  notifier.MaybePing(10999);
  EXPECT_EQ(Received(), std::nullopt);
  notifier.MaybePing(11000);
  EXPECT_EQ(Received(), std::optional<std::string>("WATCHDOG=1"));
}

TEST_F(ServiceNotifierTest, AWatchdogMeantForAnotherProcessIsIgnored) {
  setenv("WATCHDOG_USEC", "2000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_EQ(ServiceNotifier().watchdog_interval_ms(), 0u);
}

TEST_F(ServiceNotifierTest, WithoutNotifySocketNothingIsSent) {
  unsetenv("NOTIFY_SOCKET");
  setenv("WATCHDOG_USEC", "2000000", 1);
  ServiceNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  notifier.Ready("x");
  notifier.MaybePing(0);
  notifier.Stopping("x");
  EXPECT_EQ(Received(), std::nullopt);
}

}  // namespace
}  // namespace ssebridge
