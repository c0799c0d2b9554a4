// ControlListener on a private loop with loopback clients: lines reach the
// handler whole whatever the reads, clients stay connected across lines and
// bad ones, a handler that closes the listener (halt) drops what follows, and
// every handle is closed at the end.
#include "ssebridge/control_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loop_runner.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;

class ControlListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    listener_ = new ControlListener(&loop_, [this](std::string_view line, const std::string& source) {
      lines_.emplace_back(line);
      sources_.push_back(source);
      if (line == "close") listener_->Close();
    });
    ASSERT_EQ(listener_->Listen("127.0.0.1", 0), 0);
    ASSERT_NE(listener_->port(), 0);
  }

  void TearDown() override {
    for (int fd : clients_) close(fd);
    listener_->Close();
    EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);  // Only the closes were left.
    delete listener_;
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(listener_->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << strerror(errno);
    clients_.push_back(fd);
    return fd;
  }

  static void Send(int fd, const std::string& bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }

  bool RunUntilLines(size_t count) {
    return RunLoopUntil(&loop_, [&] { return lines_.size() >= count; });
  }

  uv_loop_t loop_;
  ControlListener* listener_ = nullptr;
  std::vector<int> clients_;
  std::vector<std::string> lines_;
  std::vector<std::string> sources_;
};

TEST_F(ControlListenerTest, LinesFromOneClientInOrderAndItStaysConnected) {
  int fd = Connect();
  Send(fd, "color/q1 = go\npage = x\n");
  ASSERT_TRUE(RunUntilLines(2));
  Send(fd, "not a line\n");
  Send(fd, "color/q2 = end\n");
  ASSERT_TRUE(RunUntilLines(4));
  EXPECT_EQ(lines_, (std::vector<std::string>{"color/q1 = go", "page = x", "not a line", "color/q2 = end"}));
  EXPECT_EQ(sources_[0].rfind("control 127.0.0.1:", 0), 0u) << sources_[0];
  EXPECT_EQ(listener_->client_count(), 1u);
}

TEST_F(ControlListenerTest, ALineSplitAcrossWritesArrivesWhole) {
  int fd = Connect();
  Send(fd, "colo");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return listener_->client_count() == 1; }));
  Send(fd, "r/q1 = ");
  Send(fd, "go\n");
  ASSERT_TRUE(RunUntilLines(1));
  EXPECT_EQ(lines_[0], "color/q1 = go");
}

TEST_F(ControlListenerTest, ALastLineWithoutNewlineCountsAtClose) {
  int fd = Connect();
  Send(fd, "a = 1\nb = 2");
  shutdown(fd, SHUT_WR);
  ASSERT_TRUE(RunUntilLines(2));
  EXPECT_EQ(lines_[1], "b = 2");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return listener_->client_count() == 0; }));
}

TEST_F(ControlListenerTest, ATooLongLineIsSkippedAndTheClientKept) {
  int too_long = 0;
  listener_->on_line_too_long = [&] { ++too_long; };
  int fd = Connect();
  Send(fd, std::string(kMaxControlLineBytes + 10, 'x') + "\nok = 1\n");
  ASSERT_TRUE(RunUntilLines(1));
  EXPECT_EQ(lines_, std::vector<std::string>{"ok = 1"});
  EXPECT_EQ(listener_->client_count(), 1u);
  // The owner hears of the skipped line once (it counts it as refused).
  EXPECT_EQ(too_long, 1);
}

TEST_F(ControlListenerTest, SeveralClientsEachHaveTheirOwnPartialLine) {
  int a = Connect();
  int b = Connect();
  Send(a, "a/x = ");
  Send(b, "b/y = ");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return listener_->client_count() == 2; }));
  Send(b, "2\n");
  Send(a, "1\n");
  ASSERT_TRUE(RunUntilLines(2));
  EXPECT_NE(std::find(lines_.begin(), lines_.end(), "a/x = 1"), lines_.end());
  EXPECT_NE(std::find(lines_.begin(), lines_.end(), "b/y = 2"), lines_.end());
  EXPECT_NE(sources_[0], sources_[1]);
}

TEST_F(ControlListenerTest, AHandlerThatClosesDropsTheRestAndClosesEveryClient) {
  int a = Connect();
  int b = Connect();
  Send(b, "before = 1\n");
  ASSERT_TRUE(RunUntilLines(1));
  Send(a, "close\nafter = 1\n");
  ASSERT_TRUE(RunUntilLines(2));
  EXPECT_EQ(listener_->client_count(), 0u);
  // Both clients see the close.
  for (int fd : {a, b}) {
    ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
      char byte;
      ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
      return n == 0 || (n < 0 && errno != EAGAIN);
    }));
  }
  EXPECT_EQ(lines_, (std::vector<std::string>{"before = 1", "close"}));
}

TEST(ControlListenerListenTest, AHostThatIsNoAddressIsAnError) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  {
    ControlListener listener(&loop, [](std::string_view, const std::string&) {});
    EXPECT_NE(listener.Listen("not-an-address", 0), 0);
    listener.Close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace ssebridge
