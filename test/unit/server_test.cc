// Server on a private loop with the embedded broker and loopback clients:
// answers, a publish reaching an open stream end to end, --max-connections,
// and a clean Shutdown.
#include "ssebridge/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "loop_runner.h"
#include "loopback_client.h"
#include "ssebridge/broker.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/config.h"

namespace ssebridge {
namespace {

using testing_loop::CompleteResponses;
using testing_loop::LoopbackClient;
using testing_loop::RunLoopUntil;

class ServerTest : public ::testing::Test {
 protected:
  // Fixtures for other configurations adjust it here.
  virtual void Configure(Config* /*config*/) {}

  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    Config config;
    config.listen[0].host = "127.0.0.1";
    config.listen[0].port = 0;
    Configure(&config);
    server_ = new Server(&loop_, config);
    server_->AttachBroker(MakeBroker(&loop_, server_->config(), &server_->completions(), &server_->registry(),
                                     &server_->counters()));
    ASSERT_EQ(server_->Start(), 0);
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (client_ >= 0) close(client_);
    for (auto& client : clients_) client->Close();
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

  // A client watched by the loop (its input wakes RunLoopUntil).
  LoopbackClient* Connect() {
    clients_.push_back(std::make_unique<LoopbackClient>(&loop_));
    EXPECT_TRUE(clients_.back()->Connect(server_->port()));
    return clients_.back().get();
  }

  uv_loop_t loop_;
  Server* server_ = nullptr;
  std::vector<std::unique_ptr<LoopbackClient>> clients_;
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

TEST_F(ServerTest, APublishReachesAnOpenStreamEndToEnd) {
  LoopbackClient* stream = Connect();
  ASSERT_TRUE(stream->Send("GET /events?channel=news HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return stream->Has("\r\n\r\n"); })) << stream->received();
  EXPECT_EQ(stream->received().rfind("HTTP/1.1 200", 0), 0u) << stream->received();
  EXPECT_EQ(server_->registry().subscriber_count(), 1u);

  LoopbackClient* publisher = Connect();
  const std::string body = "{\"channel\":\"news\",\"data\":\"hi there\"}";
  ASSERT_TRUE(publisher->Send("POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(publisher->received()).size() == 1; }))
      << publisher->received();
  const std::string answer = publisher->received();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  const size_t at = answer.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << answer;
  const std::string id = answer.substr(at + 6, answer.find('"', at + 6) - (at + 6));
  // The same id on the stream, in one chunk.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return stream->Has("data: hi there\n\n\r\n"); })) << stream->received();
  EXPECT_NE(stream->received().find("id: " + id + "\ndata: hi there\n\n"), std::string::npos) << stream->received();
  EXPECT_FALSE(publisher->closed());  // Kept alive.
  EXPECT_FALSE(stream->closed());
}

// --max-connections 2: the third connection is answered 503 and closed; a
// place freed by a close is taken by the next client.
class ServerLimitTest : public ServerTest {
 protected:
  void Configure(Config* config) override { config->max_connections = 2; }
};

TEST_F(ServerLimitTest, AConnectionOverMaxConnectionsIsAnswered503AndClosed) {
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  LoopbackClient* first = Connect();
  LoopbackClient* second = Connect();
  ASSERT_TRUE(first->Send(healthz));
  ASSERT_TRUE(second->Send("GET /events?channel=a HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
    return CompleteResponses(first->received()).size() == 1 && second->Has("\r\n\r\n");
  }));
  EXPECT_EQ(server_->open_connections(), 2u);

  LoopbackClient* over = Connect();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return over->closed(); })) << over->received();
  EXPECT_EQ(over->received().rfind("HTTP/1.1 503", 0), 0u) << over->received();
  EXPECT_NE(over->received().find("too many connections; try again later"), std::string::npos) << over->received();
  EXPECT_NE(over->received().find("Connection: close"), std::string::npos) << over->received();
  EXPECT_EQ(server_->counters().rejected_max_connections, 1u);
  over->Close();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return server_->open_connections() == 2; }));

  // Those within the limit are untouched.
  ASSERT_TRUE(first->Send(healthz));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(first->received()).size() == 2; }));
  EXPECT_FALSE(second->closed());

  // A freed place is taken by the next client.
  first->Close();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return server_->open_connections() == 1; }));
  LoopbackClient* next = Connect();
  ASSERT_TRUE(next->Send(healthz));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(next->received()).size() == 1; }))
      << next->received();
  EXPECT_EQ(next->received().rfind("HTTP/1.1 200", 0), 0u) << next->received();
  EXPECT_EQ(server_->counters().rejected_max_connections, 1u);
}

}  // namespace
}  // namespace ssebridge
