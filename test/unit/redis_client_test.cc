// RedisClient on a private loop against a real redis-server (redis_server.h):
// the handshake, commands answered once and never inside Command(), and what
// happens when the server dies, is slow, or is not there yet.
#include "ssebridge/redis_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "loop_runner.h"
#include "redis_server.h"
#include "ssebridge/redis_address.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;
using testing_redis::RedisServer;

// What one command's callback saw: how often it ran, whether Command() had
// returned by then, and a copy of the reply (freed when the callback returns).
struct Outcome {
  int calls = 0;
  bool ran_inside_command = false;
  bool null_reply = false;
  int type = 0;
  std::string text;
  long long integer = 0;
};

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_TRUE(redis_.Start()) << "redis-server did not start: " << redis_.log();
  }

  void TearDown() override {
    for (auto& client : clients_) client->Stop();
    // Stop() closed the timers and freed the hiredis context: nothing is left.
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
    clients_.clear();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  RedisClient::Options Options(const std::string& url) {
    RedisClient::Options options;
    EXPECT_EQ(ParseRedisAddress(url, &options.address), "");
    options.name = "unit";
    options.connect_timeout_ms = 300;
    options.backoff_min_ms = 20;
    options.backoff_max_ms = 100;
    return options;
  }

  // A client with counted on_ready / on_lost.
  RedisClient* MakeClient(RedisClient::Options options) {
    // Timers start from the loop's clock, stale after starting redis-server.
    uv_update_time(&loop_);
    clients_.push_back(std::make_unique<RedisClient>(&loop_, std::move(options)));
    RedisClient* client = clients_.back().get();
    client->on_ready = [this] { ++readies_; };
    client->on_lost = [this] { ++losses_; };
    return client;
  }

  RedisClient* StartedClient() {
    RedisClient* client = MakeClient(Options(redis_.url()));
    client->Start();
    EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
    return client;
  }

  // Sends a command; returns Command()'s answer. The outcome fills in later.
  bool Send(RedisClient* client, const std::vector<std::string>& args, std::shared_ptr<Outcome> outcome) {
    auto returned = std::make_shared<bool>(false);
    bool sent = client->Command(args, [outcome, returned](const redisReply* reply) {
      ++outcome->calls;
      if (!*returned) outcome->ran_inside_command = true;
      outcome->null_reply = reply == nullptr;
      if (reply == nullptr) return;
      outcome->type = reply->type;
      if (reply->str != nullptr) outcome->text.assign(reply->str, reply->len);
      outcome->integer = reply->integer;
    });
    *returned = true;
    return sent;
  }

  uv_loop_t loop_;
  RedisServer redis_;
  std::vector<std::unique_ptr<RedisClient>> clients_;
  int readies_ = 0;
  int losses_ = 0;
};

TEST_F(RedisClientTest, ConnectsOnceReadyAndAnswersACommandOnceAfterItReturned) {
  RedisClient* client = MakeClient(Options(redis_.url()));
  EXPECT_EQ(client->state(), RedisClient::State::kIdle);
  client->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(client->state(), RedisClient::State::kReady);
  EXPECT_NE(client->context(), nullptr);
  EXPECT_EQ(readies_, 1);
  EXPECT_EQ(client->reconnects(), 0u);

  auto outcome = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"PING"}, outcome));
  EXPECT_EQ(outcome->calls, 0);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return outcome->calls > 0; }));
  EXPECT_FALSE(outcome->ran_inside_command);
  EXPECT_EQ(outcome->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(outcome->text, "PONG");
  // Exactly once: more turns of the loop add nothing.
  auto after = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"PING"}, after));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return after->calls > 0; }));
  EXPECT_EQ(outcome->calls, 1);
  EXPECT_EQ(after->calls, 1);
  EXPECT_EQ(losses_, 0);
}

TEST_F(RedisClientTest, ACommandBeforeTheConnectionIsReadyIsRefusedAndItsCallbackNeverRuns) {
  RedisClient* client = MakeClient(Options(redis_.url()));
  auto early = std::make_shared<Outcome>();
  EXPECT_FALSE(Send(client, {"PING"}, early));
  client->Start();
  EXPECT_FALSE(client->ready());
  EXPECT_FALSE(Send(client, {"PING"}, early));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  auto later = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"PING"}, later));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return later->calls > 0; }));
  EXPECT_EQ(early->calls, 0);
}

TEST_F(RedisClientTest, ArgumentsAndRepliesAreBinarySafe) {
  RedisClient* client = StartedClient();
  ASSERT_NE(client, nullptr);
  const std::string key("k\0ey", 4);
  const std::string value("a\0b\r\nc", 6);
  auto set = std::make_shared<Outcome>();
  auto get = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"SET", key, value}, set));
  ASSERT_TRUE(Send(client, {"GET", key}, get));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return get->calls > 0; }));
  EXPECT_EQ(set->calls, 1);  // Replies come in order.
  EXPECT_EQ(set->text, "OK");
  EXPECT_EQ(get->text, value);
  EXPECT_EQ(redis_.Command({"GET", key}).str, value);
}

TEST_F(RedisClientTest, TheHandshakeAuthenticatesNamesTheConnectionAndSelectsTheDatabase) {
  redis_.Stop();
  redis_.set_password("s3cret");
  ASSERT_TRUE(redis_.Start()) << redis_.log();
  const std::string url = "redis://:s3cret@127.0.0.1:" + std::to_string(redis_.port()) + "/3";
  RedisClient* client = MakeClient(Options(url));
  client->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  auto info = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"CLIENT", "INFO"}, info));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return info->calls > 0; }));
  EXPECT_NE(info->text.find(" name=ssebridge-unit "), std::string::npos) << info->text;
  EXPECT_NE(info->text.find(" db=3 "), std::string::npos) << info->text;
}

TEST_F(RedisClientTest, AWrongPasswordNeverMakesTheConnectionReady) {
  redis_.Stop();
  redis_.set_password("s3cret");
  ASSERT_TRUE(redis_.Start()) << redis_.log();
  RedisClient* client =
      MakeClient(Options("redis://:wrong@127.0.0.1:" + std::to_string(redis_.port())));
  client->Start();
  // The refused AUTH (Redis counts it) drops the connection: the client
  // goes back to waiting.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
    return client->state() == RedisClient::State::kBackoff &&
           redis_.Command({"INFO", "errorstats"}).str.find("errorstat_WRONGPASS:count=") != std::string::npos;
  }));
  EXPECT_FALSE(client->ready());
  EXPECT_EQ(readies_, 0);
  EXPECT_EQ(losses_, 0);
}

TEST_F(RedisClientTest, AKilledServerAnswersPendingCommandsWithNullOnceAndTheClientReconnectsToItsRestart) {
  RedisClient* client = StartedClient();
  ASSERT_NE(client, nullptr);
  auto blocked = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"BLPOP", "never-filled", "0"}, blocked));
  // The BLPOP has reached the server once it lists the client as blocked.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
    return redis_.Command({"INFO", "clients"}).str.find("blocked_clients:1") != std::string::npos;
  }));
  redis_.Kill();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return blocked->calls > 0; }));
  EXPECT_TRUE(blocked->null_reply);
  EXPECT_FALSE(client->ready());
  EXPECT_EQ(losses_, 1);
  auto refused = std::make_shared<Outcome>();
  EXPECT_FALSE(Send(client, {"PING"}, refused));

  ASSERT_TRUE(redis_.Start()) << redis_.log();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(readies_, 2);
  EXPECT_EQ(client->reconnects(), 1u);
  auto ping = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"PING"}, ping));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return ping->calls > 0; }));
  EXPECT_EQ(ping->text, "PONG");
  EXPECT_EQ(blocked->calls, 1);
  EXPECT_EQ(refused->calls, 0);
  EXPECT_EQ(losses_, 1);
}

// The loop walks closing handles on its next turn, after Stop() returned; a
// client destroyed in between must not take that memory with it. Run under
// valgrind or ASan (scripts/test.sh), reading freed memory fails this test.
TEST_F(RedisClientTest, AClientMayBeDestroyedAsSoonAsStopReturns) {
  RedisClient* client = StartedClient();
  auto outcome = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"PING"}, outcome));
  client->Stop();
  EXPECT_EQ(outcome->calls, 1);
  clients_.clear();  // Before the loop has run any close callback.
  EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
}

TEST_F(RedisClientTest, AClientDestroyedWithoutStopStopsItself) {
  MakeClient(Options(redis_.url()));           // Never started.
  MakeClient(Options(redis_.url()))->Start();  // Connecting.
  RedisClient* ready = StartedClient();
  auto outcome = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(ready, {"PING"}, outcome));
  clients_.clear();
  // The pending command was answered, once, from the destructor.
  EXPECT_EQ(outcome->calls, 1);
  EXPECT_TRUE(outcome->null_reply);
  // TearDown's uv_loop_close() fails if a timer is left open.
  EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
}

TEST_F(RedisClientTest, StartedWithoutAServerItKeepsRetryingUntilOneAppears) {
  redis_.Kill();
  RedisClient* client = MakeClient(Options(redis_.url()));
  client->Start();
  // A refused connect is noticed, and retried after a backoff.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->state() == RedisClient::State::kBackoff; }));
  EXPECT_EQ(readies_, 0);
  ASSERT_TRUE(redis_.Start()) << redis_.log();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(readies_, 1);
  EXPECT_EQ(losses_, 0);
  EXPECT_EQ(client->reconnects(), 0u);  // The first connection is not a reconnection.
}

TEST_F(RedisClientTest, ACommandTimeoutDropsTheConnectionAnswersNullAndReconnects) {
  RedisClient::Options options = Options(redis_.url());
  options.command_timeout_ms = 200;
  RedisClient* client = MakeClient(options);
  client->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  auto blocked = std::make_shared<Outcome>();
  auto behind = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"BLPOP", "never-filled", "0"}, blocked));
  ASSERT_TRUE(Send(client, {"PING"}, behind));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return blocked->calls > 0; }, 3000));
  EXPECT_TRUE(blocked->null_reply);
  EXPECT_FALSE(blocked->ran_inside_command);
  // The command queued behind it on the dropped connection is answered too.
  EXPECT_EQ(behind->calls, 1);
  EXPECT_TRUE(behind->null_reply);
  EXPECT_EQ(losses_, 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(client->reconnects(), 1u);
  EXPECT_EQ(blocked->calls, 1);
  EXPECT_EQ(client->command_timeouts(), 1u);
  EXPECT_EQ(client->connect_timeouts(), 0u);
}

TEST_F(RedisClientTest, StopAnswersPendingCommandsWithNullOnceAndRefusesNewOnes) {
  RedisClient* client = StartedClient();
  ASSERT_NE(client, nullptr);
  auto blocked = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"BLPOP", "never-filled", "0"}, blocked));
  client->Stop();
  EXPECT_EQ(client->state(), RedisClient::State::kStopped);
  EXPECT_FALSE(client->ready());
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return blocked->calls > 0; }));
  EXPECT_TRUE(blocked->null_reply);
  EXPECT_FALSE(blocked->ran_inside_command);
  auto refused = std::make_shared<Outcome>();
  EXPECT_FALSE(Send(client, {"PING"}, refused));
  client->Stop();  // Idempotent.
  EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return !uv_loop_alive(&loop_); }));
  EXPECT_EQ(blocked->calls, 1);
  EXPECT_EQ(refused->calls, 0);
  EXPECT_EQ(readies_, 1);
}

// A peer that resets the connection (RST: a crash with input unread, a
// middlebox) makes libuv report a poll error. A connection with no command
// in flight and no command timeout (the subscriber's) must still notice.
TEST_F(RedisClientTest, AConnectionResetIsNoticedWithNothingInFlight) {
  // A listener of the test's own plays the server for the handshake.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  RedisClient::Options options = Options("redis://127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  options.command_timeout_ms = 0;
  options.connect_timeout_ms = 2000;
  RedisClient* client = MakeClient(options);
  client->Start();

  int server = -1;
  std::string handshake;
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] {
    if (server < 0) server = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    char buffer[4096];
    ssize_t n;
    while (server >= 0 && (n = recv(server, buffer, sizeof buffer, 0)) > 0) handshake.append(buffer, n);
    return handshake.find("PING\r\n") != std::string::npos;
  })) << handshake;
  const std::string answers = "+OK\r\n+PONG\r\n";  // CLIENT SETNAME, PING.
  ASSERT_EQ(send(server, answers.data(), answers.size(), MSG_NOSIGNAL), static_cast<ssize_t>(answers.size()));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));

  // Close with a zero linger: the kernel resets the connection.
  linger reset{1, 0};
  ASSERT_EQ(setsockopt(server, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  close(server);
  server = -1;
  EXPECT_TRUE(RunLoopUntil(&loop_, [&] { return losses_ == 1; }));
  EXPECT_FALSE(client->ready());
  // And it tries again: the listener sees the next connection.
  EXPECT_TRUE(RunLoopUntil(&loop_, [&] {
    if (server < 0) server = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return server >= 0;
  }));
  if (server >= 0) close(server);
  close(listener);
}

}  // namespace
}  // namespace ssebridge

namespace ssebridge {
namespace {

// Sentinel mode's hooks: a resolver asked before every connection attempt,
// ROLE checked in the handshake, Reconnect() when the master moves.
class RedisClientResolveTest : public RedisClientTest {
 protected:
  // A resolver that keeps each question for the test to answer later (never
  // inside the call, as the contract wants).
  RedisClient::Options Resolving(RedisClient::Options options) {
    options.resolve = [this](RedisClient::AddressCallback done) {
      ++questions_;
      if (!reachable_) return false;
      pending_.push_back(std::move(done));
      return true;
    };
    return options;
  }
  bool AnswerWith(const RedisAddress* address) {
    if (pending_.empty()) return false;
    RedisClient::AddressCallback done = std::move(pending_.front());
    pending_.erase(pending_.begin());
    done(address);
    return true;
  }

  int questions_ = 0;
  bool reachable_ = true;
  std::vector<RedisClient::AddressCallback> pending_;
};

TEST_F(RedisClientResolveTest, EveryAttemptAsksWhereAndKeepsItsOwnCredentials) {
  redis_.set_password("pw");
  redis_.Stop();
  ASSERT_TRUE(redis_.Start()) << redis_.log();
  // The URL's host and port are nobody's; its password is ours.
  RedisClient* client = MakeClient(Resolving(Options("redis://:pw@192.0.2.1:1")));
  reachable_ = false;
  client->Start();
  // Nobody to ask: a backoff, then the question again.
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return questions_ >= 2; }));
  EXPECT_EQ(client->state(), RedisClient::State::kBackoff);
  reachable_ = true;
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pending_.empty(); }));
  EXPECT_EQ(client->state(), RedisClient::State::kResolving);
  // Asked and told "no master": asks again after a backoff.
  ASSERT_TRUE(AnswerWith(nullptr));
  EXPECT_EQ(client->state(), RedisClient::State::kBackoff);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pending_.empty(); }));
  RedisAddress master;
  master.host = "127.0.0.1";
  master.port = redis_.port();
  ASSERT_TRUE(AnswerWith(&master));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(client->address().port, redis_.port());
  EXPECT_EQ(client->address().password, "pw");
  EXPECT_EQ(readies_, 1);
}

TEST_F(RedisClientResolveTest, AQuestionNobodyAnswersTimesOutAndALateAnswerIsIgnored) {
  RedisClient::Options options = Resolving(Options(redis_.url()));
  options.connect_timeout_ms = 100;
  RedisClient* client = MakeClient(options);
  client->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->connect_timeouts() == 1; }));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return pending_.size() == 2; }));
  RedisAddress master;
  master.host = "127.0.0.1";
  master.port = redis_.port();
  ASSERT_TRUE(AnswerWith(nullptr));  // The first, timed-out question: ignored.
  EXPECT_EQ(client->state(), RedisClient::State::kResolving);
  ASSERT_TRUE(AnswerWith(&master));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
}

TEST_F(RedisClientResolveTest, AReplicaIsRefusedUntilItIsPromoted) {
  // A replica of a master that does not exist: ROLE says "slave".
  ASSERT_FALSE(redis_.Command({"REPLICAOF", "127.0.0.1", "1"}).error());
  RedisClient::Options options = Options(redis_.url());
  options.require_master = true;
  RedisClient* client = MakeClient(options);
  client->Start();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->state() == RedisClient::State::kBackoff; }));
  EXPECT_EQ(readies_, 0);
  ASSERT_FALSE(redis_.Command({"REPLICAOF", "NO", "ONE"}).error());
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(readies_, 1);
}

TEST_F(RedisClientResolveTest, ReconnectDropsAReadyConnectionAndAsksAgain) {
  RedisClient* client = MakeClient(Resolving(Options(redis_.url())));
  client->Reconnect("before Start: nothing to do");
  EXPECT_EQ(client->state(), RedisClient::State::kIdle);
  client->Start();
  RedisAddress master;
  master.host = "127.0.0.1";
  master.port = redis_.port();
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pending_.empty(); }));
  ASSERT_TRUE(AnswerWith(&master));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  auto pending = std::make_shared<Outcome>();
  ASSERT_TRUE(Send(client, {"BLPOP", "never-filled", "0"}, pending));
  client->Reconnect("the master moved");
  EXPECT_FALSE(client->ready());
  EXPECT_EQ(losses_, 1);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return pending->calls == 1; }));
  EXPECT_TRUE(pending->null_reply);
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return !pending_.empty(); }));
  EXPECT_EQ(questions_, 2);
  ASSERT_TRUE(AnswerWith(&master));
  ASSERT_TRUE(RunLoopUntil(&loop_, [&] { return client->ready(); }));
  EXPECT_EQ(client->reconnects(), 1u);
}

}  // namespace
}  // namespace ssebridge
