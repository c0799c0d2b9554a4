// Connection on a private loop, without a Server: the test is the
// ConnectionOwner (it counts the closing and close callbacks per connection),
// builds the BridgeContext with the embedded broker and a LoopScheduler, and
// drives a real Connection over a loopback socket pair.
#include "ssebridge/authorizer.h"
#include "ssebridge/connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loop_runner.h"
#include "loopback_client.h"
#include "ssebridge/broker.h"
#include "ssebridge/broker_factory.h"
#include "ssebridge/client_limits.h"
#include "ssebridge/completion_queue.h"
#include "ssebridge/config.h"
#include "ssebridge/cors_policy.h"
#include "ssebridge/log.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"
#include "ssebridge/pubsub_registry.h"

namespace ssebridge {
namespace {

using testing_loop::CompleteResponses;
using testing_loop::LoopbackClient;
using testing_loop::RunLoopUntil;

constexpr const char kHealthz[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

class ConnectionTest : public ::testing::Test, public ConnectionOwner {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    config_.header_timeout_seconds = 1;
    LoopScheduler::Timeouts timeouts;
    timeouts.request_ms = config_.header_timeout_seconds * 1000;
    timeouts.linger_ms = 2000;
    timeouts.heartbeat_ms = config_.heartbeat_seconds * 1000;
    scheduler_ = std::make_unique<LoopScheduler>(&loop_, timeouts, Connection::kSchedulerActions);
    broker_ = MakeBroker(&loop_, config_, &completions_, &registry_, &counters_);
    registry_.set_listener(broker_.get());
    context_.config = &config_;
    context_.counters = &counters_;
    context_.registry = &registry_;
    context_.broker = broker_.get();
    context_.client_limits = &client_limits_;
    context_.trusted_proxies = &trusted_proxies_;
    context_.limit_log = &limit_log_;
    context_.scheduler = scheduler_.get();
    context_.cors = &cors_;
    context_.authorizer = &authorizer_;
    context_.owner = this;
    context_.read_buffer = read_buffer_;
    context_.read_buffer_size = sizeof read_buffer_;
    scheduler_->Start(&completions_, broker_.get(), [](uint64_t) {});
    broker_->Start();

    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(listener_, 16), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }

  void TearDown() override {
    for (auto& client : clients_) client->Close();
    std::vector<Connection*> open;
    for (const auto& entry : connections_) open.push_back(entry.second);
    for (Connection* connection : open) connection->Close();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return closed_.size() == closing_.size(); }));
    // Every connection went through Close() and its close callback once.
    for (const auto& entry : closing_) EXPECT_EQ(entry.second, 1) << "connection " << entry.first;
    for (const auto& entry : closed_) EXPECT_EQ(entry.second, 1) << "connection " << entry.first;
    EXPECT_EQ(closing_.size(), next_id_ - 1);
    broker_->Shutdown();
    completions_.RunAll();
    scheduler_->Close();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
    if (listener_ >= 0) close(listener_);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // ConnectionOwner.
  Connection* FindConnection(uint64_t id) const override {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second;
  }
  void OnConnectionClosing(Connection* connection) override {
    ++closing_[connection->id()];
    connections_.erase(connection->id());
  }
  void OnConnectionClosed(Connection* connection) override {
    // Close() came first, and the connection is still whole here.
    EXPECT_EQ(closing_[connection->id()], 1);
    EXPECT_TRUE(connection->closing());
    ++closed_[connection->id()];
  }
  bool CompleteAnswer(uint64_t id, uint64_t sequence, std::string response) override {
    Connection* connection = FindConnection(id);
    if (connection == nullptr) return false;
    connection->CompleteSlot(sequence, std::move(response));
    return true;
  }
  size_t open_connections() const override { return connections_.size(); }
  size_t queued_bytes() const override {
    size_t bytes = 0;
    for (const auto& entry : connections_) bytes += entry.second->queued_bytes();
    return bytes;
  }

  // A client connected to a new Connection that owns the accepted end.
  Connection* Open(LoopbackClient** client_out) {
    clients_.push_back(std::make_unique<LoopbackClient>(&loop_));
    LoopbackClient* client = clients_.back().get();
    if (!client->Connect(port_)) return nullptr;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return nullptr;
    IpAddress address;
    IpAddressFromSockaddr(reinterpret_cast<const sockaddr*>(&peer), &address);
    auto* connection = new Connection(&context_, next_id_++, address);
    connections_.emplace(connection->id(), connection);
    if (connection->Open(fd) != 0) {
      connection->Close();
      return nullptr;
    }
    *client_out = client;
    return connection;
  }

  bool Closed(uint64_t id) const { return closed_.count(id) != 0; }

  // Publishes through the embedded broker; the outcome is recorded when the
  // callback runs, which must be once and after Publish() returned.
  void Publish(const std::string& channel, const std::string& data) {
    PublishRequest request;
    request.channels = {channel};
    request.data = data;
    auto returned = std::make_shared<bool>(false);
    auto outcome = std::make_shared<std::vector<PublishOutcome>>();
    outcomes_.push_back(outcome);
    broker_->Publish(request, [returned, outcome](const PublishOutcome& result) {
      EXPECT_TRUE(*returned) << "the publish callback ran inside Publish()";
      outcome->push_back(result);
    });
    *returned = true;
    EXPECT_TRUE(outcome->empty());
  }

  uv_loop_t loop_;
  Config config_;
  Counters counters_;
  PubsubRegistry registry_;
  CompletionQueue completions_;
  std::unique_ptr<Broker> broker_;
  ClientLimits client_limits_{ClientLimits::Options{}};
  std::vector<CidrRange> trusted_proxies_;
  LogLimiter limit_log_;
  CorsPolicy cors_{std::vector<std::string>{}};
  Authorizer authorizer_{AccessPolicy{}, nullptr};  // The defaults: these clients are on loopback.
  std::unique_ptr<LoopScheduler> scheduler_;
  BridgeContext context_;
  char read_buffer_[64 * 1024];
  int listener_ = -1;
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::map<uint64_t, int> closing_;
  std::map<uint64_t, int> closed_;
  std::vector<std::unique_ptr<LoopbackClient>> clients_;
  std::vector<std::shared_ptr<std::vector<PublishOutcome>>> outcomes_;
};

TEST_F(ConnectionTest, AnswersARequestAndKeepsTheConnectionForTheNext) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  const uint64_t id = connection->id();
  ASSERT_TRUE(client->Send(kHealthz));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(client->received()).size() == 1; }))
      << client->received();
  EXPECT_EQ(client->received().rfind("HTTP/1.1 200 ", 0), 0u) << client->received();
  EXPECT_NE(client->received().find("\"broker\":\"embedded\""), std::string::npos) << client->received();
  EXPECT_EQ(client->received().find("Connection: close"), std::string::npos) << client->received();
  EXPECT_EQ(connection->state(), Connection::State::kSession);
  EXPECT_EQ(FindConnection(id), connection);

  ASSERT_TRUE(client->Send(kHealthz));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(client->received()).size() == 2; }))
      << client->received();
  EXPECT_EQ(CompleteResponses(client->received())[1].rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_FALSE(client->closed());
  EXPECT_FALSE(Closed(id));
  EXPECT_EQ(counters_.requests, 2u);
}

TEST_F(ConnectionTest, PipelinedAnswersLeaveInRequestOrderBehindADeferredPublish) {
  LoopbackClient* client = nullptr;
  ASSERT_NE(Open(&client), nullptr);
  const std::string body = "{\"channel\":\"a\",\"data\":\"x\"}";
  // The publish is answered later (through the completion queue), the two
  // requests behind it at once: their answers must wait in their slots.
  ASSERT_TRUE(client->Send("POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body + kHealthz +
                           "GET /no-such-route HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(client->received()).size() == 3; }))
      << client->received();
  const std::vector<std::string> answers = CompleteResponses(client->received());
  EXPECT_EQ(answers[0].rfind("HTTP/1.1 200 ", 0), 0u) << answers[0];
  EXPECT_NE(answers[0].find("\"id\":"), std::string::npos) << answers[0];
  EXPECT_EQ(answers[1].rfind("HTTP/1.1 200 ", 0), 0u) << answers[1];
  EXPECT_NE(answers[1].find("\"broker\""), std::string::npos) << answers[1];
  EXPECT_EQ(answers[2].rfind("HTTP/1.1 404 ", 0), 0u) << answers[2];
  EXPECT_EQ(client->received().size(), answers[0].size() + answers[1].size() + answers[2].size());
  EXPECT_EQ(counters_.requests, 3u);
}

TEST_F(ConnectionTest, GetEventsBecomesAStreamThatDeliversAPublishedFrame) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(client->Send("GET /events?channel=news HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("\r\n\r\n"); })) << client->received();
  EXPECT_EQ(client->received().rfind("HTTP/1.1 200 ", 0), 0u) << client->received();
  EXPECT_NE(client->received().find("text/event-stream"), std::string::npos) << client->received();
  EXPECT_NE(client->received().find("Transfer-Encoding: chunked"), std::string::npos) << client->received();
  EXPECT_TRUE(connection->is_stream());
  EXPECT_EQ(registry_.subscriber_count(), 1u);

  Publish("news", "hello");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("data: hello\n\n\r\n"); })) << client->received();
  ASSERT_EQ(outcomes_[0]->size(), 1u);
  EXPECT_EQ((*outcomes_[0])[0].status, 200);
  EXPECT_NE(client->received().find("id: " + (*outcomes_[0])[0].id + "\n"), std::string::npos)
      << client->received();
  // A channel the stream did not ask for does not reach it.
  Publish("other", "not-for-you");
  Publish("news", "second");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("data: second\n"); })) << client->received();
  EXPECT_FALSE(client->Has("not-for-you"));
  for (const auto& outcome : outcomes_) EXPECT_EQ(outcome->size(), 1u);
  EXPECT_FALSE(client->closed());
}

TEST_F(ConnectionTest, AnHttp10StreamIsCloseDelimitedWithoutChunks) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(client->Send("GET /events?channel=news HTTP/1.0\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("\r\n\r\n"); })) << client->received();
  EXPECT_EQ(client->received().find("Transfer-Encoding"), std::string::npos) << client->received();
  Publish("news", "plain");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("data: plain\n\n"); })) << client->received();
  EXPECT_FALSE(client->Has("data: plain\n\n\r\n"));
  // The end of an HTTP/1.0 stream is the close itself.
  connection->EndGracefully();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->closed(); }));
  EXPECT_FALSE(client->Has("0\r\n\r\n"));
}

TEST_F(ConnectionTest, APeerCloseFreesTheConnectionExactlyOnce) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  const uint64_t id = connection->id();
  ASSERT_TRUE(client->Send(kHealthz));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return CompleteResponses(client->received()).size() == 1; }));
  client->Close();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Closed(id); }));
  EXPECT_EQ(closing_[id], 1);
  EXPECT_EQ(closed_[id], 1);
  EXPECT_EQ(FindConnection(id), nullptr);
  EXPECT_EQ(open_connections(), 0u);
}

TEST_F(ConnectionTest, APeerCloseOfAStreamUnsubscribesItAndFreesItOnce) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  const uint64_t id = connection->id();
  ASSERT_TRUE(client->Send("GET /events?channel=news&channel=sport HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("\r\n\r\n"); })) << client->received();
  EXPECT_EQ(registry_.exact_topic_count(), 2u);
  client->Close();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Closed(id); }));
  EXPECT_EQ(closed_[id], 1);
  EXPECT_EQ(registry_.subscriber_count(), 0u);
  EXPECT_EQ(registry_.exact_topic_count(), 0u);
  // A publish now finds nobody, and nothing touches the freed connection.
  Publish("news", "after");
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return outcomes_[0]->size() == 1; }));
  EXPECT_EQ((*outcomes_[0])[0].status, 200);
}

TEST_F(ConnectionTest, CloseTwiceFreesOnce) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  const uint64_t id = connection->id();
  connection->Close();
  EXPECT_TRUE(connection->closing());
  connection->Close();  // Memory is freed only in the close callback: still safe.
  EXPECT_EQ(closing_[id], 1);
  EXPECT_FALSE(Closed(id));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Closed(id) && client->closed(); }));
  EXPECT_EQ(closed_[id], 1);
  EXPECT_EQ(client->received(), "");
}

TEST_F(ConnectionTest, ConnectionCloseAnswersSendsFinAndClosesOnThePeersEof) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  const uint64_t id = connection->id();
  ASSERT_TRUE(client->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  // The answer, then FIN, while the connection lingers for the client's EOF.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->closed(); })) << client->received();
  EXPECT_FALSE(client->reset());
  ASSERT_EQ(CompleteResponses(client->received()).size(), 1u) << client->received();
  EXPECT_NE(client->received().find("Connection: close"), std::string::npos);
  EXPECT_FALSE(Closed(id));
  EXPECT_EQ(connection->state(), Connection::State::kLingering);
  client->ShutdownWrite();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Closed(id); }));
  EXPECT_EQ(closed_[id], 1);
}

TEST_F(ConnectionTest, RejectOverloadedAnswers503AndCloses) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  const uint64_t id = connection->id();
  connection->RejectOverloaded();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->closed(); })) << client->received();
  EXPECT_EQ(client->received().rfind("HTTP/1.1 503 ", 0), 0u) << client->received();
  EXPECT_NE(client->received().find("too many connections"), std::string::npos) << client->received();
  client->ShutdownWrite();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return Closed(id); }));
}

TEST_F(ConnectionTest, EndGracefullyGivesAStreamItsFinalChunkThenFin) {
  LoopbackClient* client = nullptr;
  Connection* connection = Open(&client);
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(client->Send("GET /events?channel=news HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->Has("\r\n\r\n"); })) << client->received();
  connection->EndGracefully();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->closed(); })) << client->received();
  EXPECT_FALSE(client->reset());
  const std::string& received = client->received();
  EXPECT_EQ(received.substr(received.size() - 5), "0\r\n\r\n") << received;
}

TEST_F(ConnectionTest, AnIdleKeepAliveConnectionEndsAtTheHeaderTimeoutButAPartialRequestGets408) {
  LoopbackClient* idle = nullptr;
  Connection* idle_connection = Open(&idle);
  ASSERT_NE(idle_connection, nullptr);
  const uint64_t idle_id = idle_connection->id();
  LoopbackClient* partial = nullptr;
  Connection* partial_connection = Open(&partial);
  ASSERT_NE(partial_connection, nullptr);
  ASSERT_TRUE(partial->Send("GET /healthz HTTP/1.1\r\nHost:"));
  // --header-timeout is 1 s here; the scheduler's sweep runs every 250 ms.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return idle->closed() && partial->closed(); }, 5000))
      << partial->received();
  EXPECT_EQ(idle->received(), "");  // Closed silently.
  EXPECT_TRUE(Closed(idle_id));
  EXPECT_EQ(partial->received().rfind("HTTP/1.1 408 ", 0), 0u) << partial->received();
  EXPECT_EQ(counters_.header_timeouts, 2u);
}

}  // namespace
}  // namespace ssebridge
