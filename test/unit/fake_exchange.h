// A BridgeContext with fakes for the broker and the connection registry, and
// an Exchange that records what a handler answered: enough to run a handler
// without a socket. The uv loop exists only for the scheduler's clock and is
// never run.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ssebridge/authorizer.h"
#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/client_limits.h"
#include "ssebridge/config.h"
#include "ssebridge/cors_policy.h"
#include "ssebridge/exchange.h"
#include "ssebridge/log.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/metrics.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/subscribe_request.h"

namespace ssebridge {
namespace testing_fakes {

// Keeps each publish and its callback for the test to complete.
class FakeBroker final : public Broker {
 public:
  explicit FakeBroker(CompletionQueue* completions) : Broker(completions) {}
  const char* kind() const override { return kind_name; }
  void Publish(const PublishRequest& request, PublishCallback done) override {
    published.push_back(request);
    callbacks.push_back(std::move(done));
  }
  void Replay(const std::vector<std::string>&, const std::string&, ReplayCallback) override {}
  bool ready() const override { return is_ready; }
  void Shutdown() override {}
  void OnTopicActive(const std::string&, bool) override {}
  void OnTopicIdle(const std::string&, bool) override {}
  uint64_t reconnects() const override { return 3; }
  std::vector<Upstream> upstreams() const override { return upstream_list; }
  uint64_t failovers() const override { return failover_count; }

  const char* kind_name = "embedded";
  bool is_ready = true;
  std::vector<Upstream> upstream_list;
  uint64_t failover_count = 0;
  std::vector<PublishRequest> published;
  std::vector<PublishCallback> callbacks;
};

// The registry of connections, as the handlers see it.
class FakeOwner final : public ConnectionOwner {
 public:
  Connection* FindConnection(uint64_t) const override { return nullptr; }
  void OnConnectionClosing(Connection*) override {}
  void OnConnectionClosed(Connection*) override {}
  bool CompleteAnswer(uint64_t id, uint64_t sequence, std::string response) override {
    if (gone) return false;
    completed.push_back({id, sequence, std::move(response)});
    return true;
  }
  size_t open_connections() const override { return 5; }
  size_t queued_bytes() const override { return 1234; }

  struct Completed {
    uint64_t id;
    uint64_t sequence;
    std::string response;
  };
  bool gone = false;
  std::vector<Completed> completed;
};

class FakeExchange final : public Exchange {
 public:
  struct Answer {
    int status;
    std::string content_type;
    std::string body;
    HeaderList extra;
  };

  FakeExchange(BridgeContext* context, const HttpRequest& request, std::string_view rest = {},
               std::string_view query = {}, const IpAddress& peer = IpAddress{})
      : Exchange(context, request, peer, rest, query, request.keep_alive) {}

  void Respond(int status, std::string_view content_type, std::string_view body, HeaderList extra) override {
    answers.push_back({status, std::string(content_type), std::string(body), std::move(extra)});
  }
  void RespondError(int status, const std::string& message, HeaderList extra) override {
    answers.push_back({status, "application/json", JsonErrorBody(message), std::move(extra)});
  }
  DeferredAnswer DeferAnswer() override {
    return DeferredAnswer(context().owner, 7, deferred++, {}, request().http_minor, keep_alive());
  }
  bool HoldBehindEarlierAnswers() override {
    if (!earlier_answers_owed) return false;
    held = true;
    return true;
  }
  void StartStream(const SubscribeRequest& subscribe, const IpAddress* counted_client) override {
    stream = subscribe;
    if (counted_client != nullptr) counted = *counted_client;
  }

  std::vector<Answer> answers;
  uint64_t deferred = 0;
  bool earlier_answers_owed = false;
  bool held = false;
  std::optional<SubscribeRequest> stream;
  std::optional<IpAddress> counted;
};

const LoopScheduler::Actions kNoActions = {
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
    [](LoopScheduler::Entry*) {},
};

// Owns the uv loop; declared first so that it is initialised before the
// scheduler that keeps its pointer.
struct LoopOwner {
  LoopOwner() { uv_loop_init(&loop_); }
  uv_loop_t loop_;
};

// A context whose every service is a fake or a real object without a socket.
class HandlerTest : public ::testing::Test, protected LoopOwner {
 protected:
  HandlerTest()
      : scheduler_(&loop_, LoopScheduler::Timeouts{}, kNoActions),
        broker_(&completions_),
        cors_({"https://app.example"}),
        limits_(std::make_unique<ClientLimits>(ClientLimits::Options{})) {
    config_.client_buffer_bytes = 4096;
    context_.config = &config_;
    context_.counters = &counters_;
    context_.registry = &registry_;
    context_.broker = &broker_;
    context_.client_limits = limits_.get();
    context_.trusted_proxies = &trusted_;
    context_.limit_log = &limit_log_;
    context_.scheduler = &scheduler_;
    context_.cors = &cors_;
    context_.authorizer = &authorizer_;
    context_.owner = &owner_;
  }
  ~HandlerTest() override {
    // The loop never ran; closing the scheduler's handles must leave nothing behind.
    scheduler_.Close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  void SetLimits(ClientLimits::Options options) {
    limits_ = std::make_unique<ClientLimits>(options);
    context_.client_limits = limits_.get();
  }
  // The one answer `handler` gave to a bodiless request (status 0 when it
  // gave none or several).
  FakeExchange::Answer AnswerTo(void (*handler)(Exchange&), std::string method, std::string target) {
    HttpRequest request = Request(std::move(method), std::move(target));
    FakeExchange exchange(&context_, request);
    handler(exchange);
    if (exchange.answers.size() != 1) return FakeExchange::Answer{0, "", "", {}};
    return std::move(exchange.answers[0]);
  }
  static HttpRequest Request(std::string method, std::string target, std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    return request;
  }

  LoopScheduler scheduler_;
  Config config_;
  Counters counters_;
  PubsubRegistry registry_;
  CompletionQueue completions_;
  FakeBroker broker_;
  CorsPolicy cors_;
  std::unique_ptr<ClientLimits> limits_;
  std::vector<CidrRange> trusted_;
  LogLimiter limit_log_;
  FakeOwner owner_;
  // Anyone may do anything unless a test installs another policy: the
  // handler tests are about other rules.
  Authorizer authorizer_{AccessPolicy{true, AnonymousPublish::kOn, ""}, nullptr};
  BridgeContext context_;
};

}  // namespace testing_fakes
}  // namespace ssebridge
