// Unit tests for the /clients endpoints (include/ssebridge/handlers/client_handlers.h),
// on real event streams registered in a real ClientRegistry.

#include "ssebridge/handlers/client_handlers.h"

#include "fake_exchange.h"
#include "ssebridge/client_registry.h"
#include "ssebridge/event_stream.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {
namespace {

using testing_fakes::FakeExchange;

constexpr char kId[] = "abcdefghijklmnop";

// One stream without a socket: its queue, scheduler entry and host.
struct TestStream : LoopScheduler::Entry, EventStream::Host {
  explicit TestStream(BridgeContext* context) : context_(context), queue(4096), stream(context, &queue, this, this) {}
  ~TestStream() {
    stream.Stop();
    context_->scheduler->Forget(this);
  }
  std::string Peer() const override { return "peer"; }
  void CloseAfterStreamEnd() override { ++close_requests; }
  // Starts the stream on `channels`, registered under `id` (with its private channel).
  void Start(std::vector<std::string> channels, const std::string& id) {
    SubscribeRequest request;
    request.channels = std::move(channels);
    request.channels.push_back("client:" + id);
    request.client_id = id;
    stream.Start(request, false, [this] { return &stream; });
  }
  std::string Queued() const {
    uv_buf_t buffers[64];
    size_t total = 0;
    size_t count = queue.Fill(buffers, 64, &total);
    std::string out;
    for (size_t i = 0; i < count; ++i) out.append(buffers[i].base, buffers[i].len);
    return out;
  }

  BridgeContext* context_;
  WriteQueue queue;
  EventStream stream;
  int close_requests = 0;
};

class ClientHandlersTest : public testing_fakes::HandlerTest {
 protected:
  ClientHandlersTest() { context_.clients = &clients_; }
  FakeExchange::Answer Call(std::string method, std::string target, std::string rest, std::string body = "",
                            std::string content_type = "application/json") {
    HttpRequest request = Request(std::move(method), std::move(target), std::move(body));
    request.headers.emplace_back("content-type", content_type);
    FakeExchange exchange(&context_, request, rest);
    HandleClients(exchange);
    if (exchange.answers.size() != 1) return FakeExchange::Answer{0, "", "", {}};
    return std::move(exchange.answers[0]);
  }
  ClientRegistry clients_;
};

TEST_F(ClientHandlersTest, ARegisteredStreamSendsItsIdFirst) {
  TestStream client(&context_);
  client.Start({"a"}, kId);
  EXPECT_EQ(client.Queued(), "retry: 3000\n\n: ssebridge " SSEBRIDGE_VERSION "\n\nevent: registered\ndata: " +
                                 std::string(kId) + "\n\n");
  EXPECT_EQ(clients_.Find(kId), &client.stream);
  client.stream.Stop();
  EXPECT_EQ(clients_.Find(kId), nullptr);
}

TEST_F(ClientHandlersTest, AddAndRemoveChannelsOnALiveStream) {
  TestStream client(&context_);
  client.Start({"a"}, kId);
  auto added = Call("POST", "/clients/x/channels", std::string(kId) + "/channels", R"({"channels":["b","c.*","a"]})");
  EXPECT_EQ(added.status, 200);
  EXPECT_EQ(added.body, std::string(R"({"status":"ok","client":")") + kId + R"(","topics":4})");
  EXPECT_EQ(registry_.exact_topic_count(), 3u);  // a, client:<id>, b
  EXPECT_EQ(registry_.pattern_topic_count(), 1u);

  auto removed = Call("DELETE", "/clients/x/channels/c.%2A", std::string(kId) + "/channels/c.%2A");
  EXPECT_EQ(removed.status, 200);
  EXPECT_EQ(registry_.pattern_topic_count(), 0u);
  auto again = Call("DELETE", "/clients/x/channels/c.*", std::string(kId) + "/channels/c.*");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body, std::string(R"({"error":"client ')") + kId + R"(' is not subscribed to 'c.*'"})");
}

TEST_F(ClientHandlersTest, AddIsLimitedLikeASubscription) {
  config_.max_channels_per_subscribe = 2;
  TestStream client(&context_);
  client.Start({"a", "b"}, kId);
  auto answer = Call("POST", "/clients/x/channels", std::string(kId) + "/channels", "channel=c",
                     "application/x-www-form-urlencoded");
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body, R"x({"error":"too many channels: a stream may subscribe to at most 2 (--max-channels-per-subscribe)"})x");
  EXPECT_EQ(client.stream.topic_count(), 3u);
}

TEST_F(ClientHandlersTest, DeleteEndsTheStreamAndForgetsTheId) {
  TestStream client(&context_);
  client.Start({"a"}, kId);
  auto answer = Call("DELETE", "/clients/x", kId);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, std::string(R"({"status":"ok","client":")") + kId + R"(","ended":true})");
  EXPECT_EQ(client.close_requests, 1);
  EXPECT_EQ(clients_.Find(kId), nullptr);
  EXPECT_EQ(Call("DELETE", "/clients/x", kId).status, 404);
}

// Records topics going idle.
class IdleRecorder final : public PubsubRegistry::Listener {
 public:
  void OnTopicActive(const std::string&, bool) override {}
  void OnTopicIdle(const std::string& name, bool) override { idle.push_back(name); }
  std::vector<std::string> idle;
};

TEST_F(ClientHandlersTest, ANewerStreamWithTheSameIdReplacesTheOlder) {
  IdleRecorder recorder;
  registry_.set_listener(&recorder);
  TestStream older(&context_);
  TestStream newer(&context_);
  older.Start({"a"}, kId);
  newer.Start({"b"}, kId);
  // The older stream's channels go at once, but the private channel never
  // went idle: the newer stream held it first.
  EXPECT_EQ(recorder.idle, std::vector<std::string>{"a"});
  registry_.set_listener(nullptr);
  EXPECT_EQ(older.close_requests, 1);
  EXPECT_EQ(newer.close_requests, 0);
  EXPECT_EQ(clients_.Find(kId), &newer.stream);
  older.stream.Stop();  // Its close path must leave the newer registration alone.
  EXPECT_EQ(clients_.Find(kId), &newer.stream);
}

TEST_F(ClientHandlersTest, UnknownIdsBadIdsAndWrongShapes) {
  auto unknown = Call("POST", "/clients/x/channels", std::string(kId) + "/channels", R"({"channel":"b"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, std::string(R"({"error":"no client with id ')") + kId + R"(' on this server"})");
  EXPECT_EQ(Call("DELETE", "/clients/x", kId).status, 404);
  EXPECT_EQ(Call("DELETE", "/clients/x/channels/b", std::string(kId) + "/channels/b").status, 404);
  EXPECT_EQ(Call("DELETE", "/clients/short", "short").status, 400);
  EXPECT_EQ(Call("DELETE", "/clients", "").status, 404);
  EXPECT_EQ(Call("POST", "/clients/x/other", std::string(kId) + "/other").status, 404);
  auto wrong = Call("POST", "/clients/x", kId);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.extra, (HeaderList{{"Allow", "DELETE, OPTIONS"}}));
  EXPECT_EQ(Call("DELETE", "/clients/x/channels", std::string(kId) + "/channels").status, 405);
  // A bad body is refused before the id is looked up.
  EXPECT_EQ(Call("POST", "/clients/x/channels", std::string(kId) + "/channels", "{", "application/json").status, 400);
}

TEST_F(ClientHandlersTest, ThePublishRateLimitApplies) {
  ClientLimits::Options options;
  options.publish.per_second = 1;
  options.publish.burst = 1;
  SetLimits(options);
  EXPECT_EQ(Call("DELETE", "/clients/x", kId).status, 404);
  auto limited = Call("DELETE", "/clients/x", kId);
  EXPECT_EQ(limited.status, 429);
}

}  // namespace
}  // namespace ssebridge
