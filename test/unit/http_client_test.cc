// HttpClient against a small libuv server on the test's own loop: answers of
// each framing, a timeout, a cancel, a refused connection, a Unix socket.
// Every test counts the callback (exactly once, never inside Send) and ends
// with the loop closing cleanly, which proves no handle was left behind.
#include "ssebridge/http_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "loop_runner.h"

namespace ssebridge {
namespace {

using testing_loop::RunLoopUntil;

// Accepts connections, reads one request (head and Content-Length body) on
// each, records it, and then sends `answer` and closes — or, when `answer`
// is empty, says nothing and keeps the connection open.
class TinyServer {
 public:
  explicit TinyServer(uv_loop_t* loop) : loop_(loop) {}

  bool ListenTcp() {
    uv_tcp_init(loop_, &tcp_);
    tcp_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    if (uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&address), 0) != 0) return false;
    if (uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 16, OnConnection) != 0) return false;
    sockaddr_storage bound{};
    int length = sizeof(bound);
    uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&bound), &length);
    port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    listener_ = reinterpret_cast<uv_handle_t*>(&tcp_);
    return true;
  }

  bool ListenUnix(const std::string& path) {
    uv_pipe_init(loop_, &pipe_, 0);
    pipe_.data = this;
    listener_ = reinterpret_cast<uv_handle_t*>(&pipe_);
    if (uv_pipe_bind(&pipe_, path.c_str()) != 0) return false;
    return uv_listen(reinterpret_cast<uv_stream_t*>(&pipe_), 16, OnConnection) == 0;
  }

  // Closes the listener and every connection; run the loop afterwards.
  void Close() {
    if (listener_ != nullptr && !uv_is_closing(listener_)) uv_close(listener_, nullptr);
    for (auto& peer : peers_) {
      if (!uv_is_closing(peer->handle())) uv_close(peer->handle(), nullptr);
    }
  }

  std::string answer;
  std::vector<std::string> requests;
  int port = 0;

 private:
  struct Peer {
    union {
      uv_tcp_t tcp;
      uv_pipe_t pipe;
    } socket;
    uv_write_t write;
    std::string input;
    std::string output;
    TinyServer* server = nullptr;
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&socket); }
    uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&socket); }
  };

  static void OnConnection(uv_stream_t* listener, int status) {
    auto* self = static_cast<TinyServer*>(listener->data);
    if (status != 0) return;
    auto peer = std::make_unique<Peer>();
    peer->server = self;
    if (listener->type == UV_TCP) {
      uv_tcp_init(self->loop_, &peer->socket.tcp);
    } else {
      uv_pipe_init(self->loop_, &peer->socket.pipe, 0);
    }
    peer->handle()->data = peer.get();
    uv_accept(listener, peer->stream());
    uv_read_start(peer->stream(),
                  [](uv_handle_t*, size_t, uv_buf_t* buffer) {
                    static char storage[4096];
                    *buffer = uv_buf_init(storage, sizeof(storage));
                  },
                  OnRead);
    self->peers_.push_back(std::move(peer));
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
    auto* peer = static_cast<Peer*>(stream->data);
    if (nread <= 0) return;
    peer->input.append(buffer->base, static_cast<size_t>(nread));
    const size_t head_end = peer->input.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    size_t body_length = 0;
    const size_t length_at = peer->input.find("Content-Length: ");
    if (length_at != std::string::npos && length_at < head_end) {
      body_length = strtoul(peer->input.c_str() + length_at + 16, nullptr, 10);
    }
    if (peer->input.size() < head_end + 4 + body_length) return;
    uv_read_stop(stream);
    TinyServer* self = peer->server;
    self->requests.push_back(peer->input);
    if (self->answer.empty()) return;
    peer->output = self->answer;
    uv_buf_t out = uv_buf_init(peer->output.data(), static_cast<unsigned int>(peer->output.size()));
    peer->write.data = peer;
    uv_write(&peer->write, stream, &out, 1, [](uv_write_t* request, int) {
      auto* written = static_cast<Peer*>(request->data);
      if (!uv_is_closing(written->handle())) uv_close(written->handle(), nullptr);
    });
  }

  uv_loop_t* loop_;
  uv_tcp_t tcp_;
  uv_pipe_t pipe_;
  uv_handle_t* listener_ = nullptr;
  std::vector<std::unique_ptr<Peer>> peers_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    server_.Close();
    client_.reset();
    RunLoopUntil(&loop_, [] { return false; }, 200);
    uv_run(&loop_, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }

  HttpUrl Url(const std::string& text) {
    HttpUrl url;
    EXPECT_EQ(ParseHttpUrl(text, &url), "");
    EXPECT_EQ(ResolveHttpUrl(url, &address_), "");
    return url;
  }

  uint64_t Send(const HttpUrl& url, uint64_t timeout_ms = 5000) {
    return client_->Send(url, address_, "POST /check HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
                         timeout_ms, [this](int error, HttpClientResponse response) {
                           ++calls_;
                           error_ = error;
                           response_ = std::move(response);
                         });
  }

  uv_loop_t loop_;
  TinyServer server_{&loop_};
  std::unique_ptr<HttpClient> client_ = std::make_unique<HttpClient>(&loop_);
  sockaddr_storage address_{};
  int calls_ = 0;
  int error_ = 1;
  HttpClientResponse response_;
};

TEST_F(HttpClientTest, ParsesTcpAndUnixUrls) {
  HttpUrl url;
  ASSERT_EQ(ParseHttpUrl("http://127.0.0.1:9000/auth?x=1", &url), "");
  EXPECT_FALSE(url.is_unix);
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 9000);
  EXPECT_EQ(url.path, "/auth?x=1");
  EXPECT_EQ(url.host_header, "127.0.0.1:9000");
  ASSERT_EQ(ParseHttpUrl("http://app.internal", &url), "");
  EXPECT_EQ(url.port, 80);
  EXPECT_EQ(url.path, "/");
  ASSERT_EQ(ParseHttpUrl("http://[::1]:81/a", &url), "");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 81);
  ASSERT_EQ(ParseHttpUrl("http://unix:/run/app.sock:/auth/check", &url), "");
  EXPECT_TRUE(url.is_unix);
  EXPECT_EQ(url.socket_path, "/run/app.sock");
  EXPECT_EQ(url.path, "/auth/check");
}

TEST_F(HttpClientTest, RefusesUrlsItCannotUse) {
  HttpUrl url;
  EXPECT_NE(ParseHttpUrl("https://127.0.0.1/auth", &url), "");
  EXPECT_NE(ParseHttpUrl("127.0.0.1:80/auth", &url), "");
  EXPECT_NE(ParseHttpUrl("http://unix:/run/app.sock", &url), "");
  EXPECT_NE(ParseHttpUrl("http://:80/auth", &url), "");
  EXPECT_NE(ParseHttpUrl("http://127.0.0.1:99999/auth", &url), "");
  EXPECT_NE(ParseHttpUrl("http://127.0.0.1:80/a b", &url), "");
}

TEST_F(HttpClientTest, ReadsAnAnswerWithContentLengthAfterSendReturned) {
  ASSERT_TRUE(server_.ListenTcp());
  server_.answer = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
  Send(Url("http://127.0.0.1:" + std::to_string(server_.port) + "/check"));
  EXPECT_EQ(calls_, 0) << "the callback ran inside Send()";
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  EXPECT_EQ(error_, 0);
  EXPECT_EQ(response_.status, 200);
  EXPECT_EQ(response_.body, "{\"ok\":true}");
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_NE(server_.requests[0].find("\r\n\r\n{}"), std::string::npos);
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(HttpClientTest, ReadsChunkedAndCloseDelimitedAnswers) {
  ASSERT_TRUE(server_.ListenTcp());
  const HttpUrl url = Url("http://127.0.0.1:" + std::to_string(server_.port) + "/check");
  server_.answer = "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  Send(url);
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ == 1; }));
  EXPECT_EQ(error_, 0);
  EXPECT_EQ(response_.status, 403);
  EXPECT_EQ(response_.body, "abcde");
  server_.answer = "HTTP/1.0 401 Unauthorized\r\n\r\nno session";
  Send(url);
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ == 2; }));
  EXPECT_EQ(error_, 0);
  EXPECT_EQ(response_.status, 401);
  EXPECT_EQ(response_.body, "no session");
}

TEST_F(HttpClientTest, AnAnswerCutShortOrGarbledIsAnError) {
  ASSERT_TRUE(server_.ListenTcp());
  const HttpUrl url = Url("http://127.0.0.1:" + std::to_string(server_.port) + "/check");
  server_.answer = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort";
  Send(url);
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ == 1; }));
  EXPECT_EQ(error_, UV_EPROTO);
  server_.answer = "SMTP ready\r\n\r\n";
  Send(url);
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ == 2; }));
  EXPECT_EQ(error_, UV_EPROTO);
}

TEST_F(HttpClientTest, TimesOutWhenTheServerSaysNothing) {
  ASSERT_TRUE(server_.ListenTcp());
  Send(Url("http://127.0.0.1:" + std::to_string(server_.port) + "/check"), 50);
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(error_, UV_ETIMEDOUT);
  EXPECT_EQ(server_.requests.size(), 1u);
}

TEST_F(HttpClientTest, CancelRunsTheCallbackOnceFromTheLoop) {
  ASSERT_TRUE(server_.ListenTcp());
  const uint64_t id = Send(Url("http://127.0.0.1:" + std::to_string(server_.port) + "/check"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return server_.requests.size() == 1; }));
  client_->Cancel(id);
  client_->Cancel(id);  // Twice: the second finds nothing.
  EXPECT_EQ(calls_, 0) << "the callback ran inside Cancel()";
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  RunLoopUntil(&loop_, [] { return false; }, 50);
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(error_, UV_ECANCELED);
}

TEST_F(HttpClientTest, DestroyingTheClientCancelsWhatIsInFlight) {
  ASSERT_TRUE(server_.ListenTcp());
  Send(Url("http://127.0.0.1:" + std::to_string(server_.port) + "/check"));
  client_.reset();
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  EXPECT_EQ(error_, UV_ECANCELED);
}

TEST_F(HttpClientTest, AConnectionRefusedIsAnError) {
  // A port that was free a moment ago: nothing listens on it.
  uv_tcp_t probe;
  uv_tcp_init(&loop_, &probe);
  sockaddr_in address{};
  uv_ip4_addr("127.0.0.1", 0, &address);
  uv_tcp_bind(&probe, reinterpret_cast<const sockaddr*>(&address), 0);
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(&probe, reinterpret_cast<sockaddr*>(&bound), &length);
  const int port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  uv_close(reinterpret_cast<uv_handle_t*>(&probe), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);
  Send(Url("http://127.0.0.1:" + std::to_string(port) + "/check"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  EXPECT_EQ(error_, UV_ECONNREFUSED);
}

TEST_F(HttpClientTest, TalksOverAUnixSocket) {
  char dir_template[] = "/tmp/ssebridge-http-client-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/app.sock";
  ASSERT_TRUE(server_.ListenUnix(path));
  server_.answer = "HTTP/1.1 204 No Content\r\n\r\n";
  Send(Url("http://unix:" + path + ":/check"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  EXPECT_EQ(error_, 0);
  EXPECT_EQ(response_.status, 204);
  server_.Close();
  uv_run(&loop_, UV_RUN_NOWAIT);
  unlink(path.c_str());
  rmdir(dir_template);
}

TEST_F(HttpClientTest, AMissingUnixSocketIsAnError) {
  Send(Url("http://unix:/nonexistent/ssebridge-test.sock:/check"));
  ASSERT_TRUE(RunLoopUntil(&loop_, [this] { return calls_ > 0; }));
  EXPECT_EQ(error_, UV_ENOENT);
}

}  // namespace
}  // namespace ssebridge
