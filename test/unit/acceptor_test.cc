// Acceptor on a real loop with loopback sockets: the test connects plain
// client sockets and checks what the accept callback receives.
#include "ssebridge/acceptor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <cerrno>
#include <string>
#include <vector>

#include "loop_runner.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;

struct Accepted {
  int fd;
  sockaddr_storage peer;
};

class AcceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    acceptor_ = new Acceptor(&loop_, &counters_, "HTTP/1.1 503 Service Unavailable\r\n\r\n",
                             [this](int fd, const sockaddr_storage& peer) { accepted_.push_back({fd, peer}); });
  }

  void TearDown() override {
    for (int fd : clients_) close(fd);
    for (const Accepted& a : accepted_) close(a.fd);
    acceptor_->Close();
    for (auto& extra : extra_acceptors_) extra->Close();
    // Runs the handles' closes; nothing else may keep the loop alive.
    EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
    delete acceptor_;
    extra_acceptors_.clear();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  static sockaddr_in Loopback(uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }

  int ListenOnLoopback() {
    sockaddr_in address = Loopback(0);
    return acceptor_->Listen(reinterpret_cast<const sockaddr*>(&address), 16);
  }

  // A connected client socket (loopback connects complete in the kernel's
  // backlog, before any accept), or -errno.
  int Connect(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    sockaddr_in address = Loopback(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      int error = errno;
      close(fd);
      return -error;
    }
    clients_.push_back(fd);
    return fd;
  }

  static uint16_t LocalPort(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }

  uv_loop_t loop_;
  Counters counters_;
  Acceptor* acceptor_ = nullptr;
  // A second acceptor on the loop; its handles are closed, and it is freed, in TearDown.
  Acceptor& AddAcceptor() {
    extra_acceptors_.push_back(std::make_unique<Acceptor>(
        &loop_, &counters_, "", [](int fd, const sockaddr_storage&) { close(fd); }));
    return *extra_acceptors_.back();
  }
  std::vector<std::unique_ptr<Acceptor>> extra_acceptors_;
  std::vector<Accepted> accepted_;
  std::vector<int> clients_;
};

TEST_F(AcceptorTest, ListenOnPortZeroPicksAPort) {
  ASSERT_EQ(ListenOnLoopback(), 0);
  EXPECT_NE(acceptor_->port(), 0);
}

TEST_F(AcceptorTest, AConnectingClientReachesTheCallbackWithItsAddress) {
  ASSERT_EQ(ListenOnLoopback(), 0);
  int client = Connect(acceptor_->port());
  ASSERT_GE(client, 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !accepted_.empty(); }));
  ASSERT_EQ(accepted_.size(), 1u);
  const Accepted& got = accepted_[0];
  ASSERT_GE(got.fd, 0);
  // Non-blocking and close-on-exec, as promised.
  EXPECT_NE(fcntl(got.fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(got.fd, F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(got.peer.ss_family, AF_INET);
  const auto& peer = reinterpret_cast<const sockaddr_in&>(got.peer);
  EXPECT_EQ(ntohl(peer.sin_addr.s_addr), INADDR_LOOPBACK);
  EXPECT_EQ(ntohs(peer.sin_port), LocalPort(client));
  // The descriptor is the client's connection: bytes sent arrive on it.
  ASSERT_EQ(send(client, "ping", 4, 0), 4);
  pollfd readable{got.fd, POLLIN, 0};
  ASSERT_EQ(poll(&readable, 1, 5000), 1);
  char buffer[8];
  EXPECT_EQ(recv(got.fd, buffer, sizeof buffer, 0), 4);
  EXPECT_EQ(std::string(buffer, 4), "ping");
}

TEST_F(AcceptorTest, EveryPendingClientIsAcceptedOnce) {
  ASSERT_EQ(ListenOnLoopback(), 0);
  std::vector<uint16_t> ports;
  for (int i = 0; i < 5; ++i) {
    int client = Connect(acceptor_->port());
    ASSERT_GE(client, 0);
    ports.push_back(LocalPort(client));
  }
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return accepted_.size() >= 5; }));
  EXPECT_EQ(accepted_.size(), 5u);
  std::vector<uint16_t> peers;
  for (const Accepted& a : accepted_) peers.push_back(ntohs(reinterpret_cast<const sockaddr_in&>(a.peer).sin_port));
  std::sort(ports.begin(), ports.end());
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers, ports);
}

TEST_F(AcceptorTest, CloseStopsAccepting) {
  ASSERT_EQ(ListenOnLoopback(), 0);
  const uint16_t port = acceptor_->port();
  acceptor_->Close();
  acceptor_->Close();  // Idempotent.
  // The listening socket is gone: a new client is refused outright.
  EXPECT_EQ(Connect(port), -ECONNREFUSED);
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
  EXPECT_TRUE(accepted_.empty());
}

TEST_F(AcceptorTest, ClientsWaitingWhenClosedAreNeverHandedOver) {
  ASSERT_EQ(ListenOnLoopback(), 0);
  ASSERT_GE(Connect(acceptor_->port()), 0);
  acceptor_->Close();
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
  EXPECT_TRUE(accepted_.empty());
}

TEST_F(AcceptorTest, ListenOnAPortInUseFails) {
  ASSERT_EQ(ListenOnLoopback(), 0);
  Acceptor second(&loop_, &counters_, "", [](int, const sockaddr_storage&) {});
  sockaddr_in address = Loopback(acceptor_->port());
  EXPECT_EQ(second.Listen(reinterpret_cast<const sockaddr*>(&address), 16), UV_EADDRINUSE);
  second.Close();
  // Its timer's close must run before `second` goes out of scope (the first
  // acceptor keeps the loop alive, so the run count is not checked).
  uv_run(&loop_, UV_RUN_NOWAIT);
}


// --- Unix sockets and SO_REUSEPORT ------------------------------------------------

class UnixAcceptorTest : public AcceptorTest {
 protected:
  void SetUp() override {
    AcceptorTest::SetUp();
    char pattern[] = "/tmp/ssebridge-acceptor-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/bridge.sock";
  }
  void TearDown() override {
    AcceptorTest::TearDown();
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  int ConnectUnix() {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      int error = errno;
      close(fd);
      return -error;
    }
    clients_.push_back(fd);
    return fd;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(UnixAcceptorTest, AcceptsOnASocketFileWithTheModeAskedForAndRemovesItOnClose) {
  Acceptor::UnixSocketOptions options;
  options.mode_set = true;
  options.mode = 0660;
  std::string error;
  ASSERT_EQ(acceptor_->ListenUnix(path_, options, 16, &error), 0) << error;
  EXPECT_TRUE(acceptor_->is_unix());
  struct stat status;
  ASSERT_EQ(stat(path_.c_str(), &status), 0);
  EXPECT_TRUE(S_ISSOCK(status.st_mode));
  EXPECT_EQ(status.st_mode & 0777, 0660u);

  ASSERT_GE(ConnectUnix(), 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !accepted_.empty(); }));
  EXPECT_EQ(accepted_[0].peer.ss_family, AF_UNIX);

  acceptor_->Close();
  EXPECT_NE(stat(path_.c_str(), &status), 0) << "the socket file goes when accepting stops";
  EXPECT_EQ(ConnectUnix(), -ENOENT);
}

TEST_F(UnixAcceptorTest, ALiveSocketIsNotTakenOver) {
  std::string error;
  ASSERT_EQ(acceptor_->ListenUnix(path_, {}, 16, &error), 0) << error;
  Acceptor& second = AddAcceptor();
  EXPECT_EQ(second.ListenUnix(path_, {}, 16, &error), UV_EADDRINUSE);
  EXPECT_NE(error.find("another process is accepting"), std::string::npos) << error;
  second.Close();
  // The loser must not have removed the winner's file.
  ASSERT_GE(ConnectUnix(), 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !accepted_.empty(); }));
}

TEST_F(UnixAcceptorTest, AStaleSocketFileIsReplaced) {
  // A socket bound and closed without unlinking: what a killed process leaves.
  int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
  ASSERT_EQ(bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  close(stale);
  ASSERT_EQ(ConnectUnix(), -ECONNREFUSED);

  std::string error;
  ASSERT_EQ(acceptor_->ListenUnix(path_, {}, 16, &error), 0) << error;
  ASSERT_GE(ConnectUnix(), 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !accepted_.empty(); }));
}

TEST_F(UnixAcceptorTest, AFileThatIsNotASocketIsLeftAlone) {
  FILE* file = fopen(path_.c_str(), "w");
  ASSERT_NE(file, nullptr);
  fclose(file);
  std::string error;
  EXPECT_NE(acceptor_->ListenUnix(path_, {}, 16, &error), 0);
  EXPECT_NE(error.find("not a socket"), std::string::npos) << error;
  struct stat status;
  ASSERT_EQ(stat(path_.c_str(), &status), 0);
  EXPECT_TRUE(S_ISREG(status.st_mode));
}

TEST_F(UnixAcceptorTest, ClosingDoesNotRemoveASuccessorsSocket) {
  std::string error;
  ASSERT_EQ(acceptor_->ListenUnix(path_, {}, 16, &error), 0) << error;
  // A successor replaced the file (as after a restart that found it stale).
  ASSERT_EQ(unlink(path_.c_str()), 0);
  int successor = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
  ASSERT_EQ(bind(successor, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  acceptor_->Close();
  struct stat status;
  EXPECT_EQ(stat(path_.c_str(), &status), 0) << "only the file this acceptor bound is removed";
  close(successor);
}

TEST_F(AcceptorTest, ReusePortLetsTwoListenersShareAPortAndWithoutItTheSecondFails) {
  sockaddr_in address = Loopback(0);
  ASSERT_EQ(acceptor_->Listen(reinterpret_cast<const sockaddr*>(&address), 16, true), 0);
  address = Loopback(acceptor_->port());
  Acceptor& shared = AddAcceptor();
  EXPECT_EQ(shared.Listen(reinterpret_cast<const sockaddr*>(&address), 16, true), 0);
  EXPECT_EQ(shared.port(), acceptor_->port());
  Acceptor& refused = AddAcceptor();
  EXPECT_EQ(refused.Listen(reinterpret_cast<const sockaddr*>(&address), 16, false), UV_EADDRINUSE);
}

}  // namespace
}  // namespace ssebridge
