// Server on a private loop with the embedded broker and a loopback client
// polled from inside the loop: answers, and a clean Shutdown.
#include "ssebridge/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "loop_runner.h"
#include "ssebridge/broker.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/config.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    Config config;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    server_ = new Server(&loop_, config);
    server_->AttachBroker(MakeBroker(&loop_, server_->config(), &server_->completions(), &server_->registry(),
                                     &server_->counters()));
    ASSERT_EQ(server_->Start(), 0);
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (client_ >= 0) close(client_);
    server_->Shutdown();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
    delete server_;
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void ConnectAndSend(const std::string& request) {
    client_ = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(client_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(send(client_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }

  // Whatever the client has received so far, without blocking.
  bool Received(const std::string& needle) {
    char buffer[4096];
    ssize_t n;
    while ((n = recv(client_, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) received_.append(buffer, static_cast<size_t>(n));
    if (n == 0) peer_closed_ = true;
    return received_.find(needle) != std::string::npos;
  }

  uv_loop_t loop_;
  Server* server_ = nullptr;
  int client_ = -1;
  std::string received_;
  bool peer_closed_ = false;
};

TEST_F(ServerTest, HealthzIsAnswered200WithJson) {
  ConnectAndSend("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Received("}") && peer_closed_; })) << received_;
  EXPECT_EQ(received_.rfind("HTTP/1.1 200", 0), 0u) << received_;
  EXPECT_NE(received_.find("application/json"), std::string::npos) << received_;
  EXPECT_NE(received_.find("\"broker\""), std::string::npos) << received_;
}

TEST_F(ServerTest, ShutdownEndsAnOpenStreamWithTheFinalChunk) {
  ConnectAndSend("GET /events?channel=a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Received("\r\n\r\n"); })) << received_;
  EXPECT_EQ(received_.rfind("HTTP/1.1 200", 0), 0u) << received_;
  EXPECT_NE(received_.find("text/event-stream"), std::string::npos) << received_;
  server_->Shutdown();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { Received(""); return peer_closed_; })) << received_;
  EXPECT_EQ(received_.substr(received_.size() - 5), "0\r\n\r\n") << received_;
}

}  // namespace
}  // namespace ssebridge
