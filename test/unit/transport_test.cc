// Transport on a real loop over a loopback TCP pair: the test holds the
// client end as a plain socket and checks what the transport reports.
#include "ssebridge/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "ssebridge/frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/tls_context.h"
#include "ssebridge/tls_session.h"
#include "ssebridge/write_queue.h"
#include "tls_test_files.h"

namespace ssebridge {
namespace {

// What the transport reported, by callback; each close callback once.
struct Owner {
  Transport* transport = nullptr;
  WriteQueue* queue = nullptr;
  char buffer[4096];
  std::string received;
  int failed = 0;
  int closed = 0;
  size_t written = 0;
  int written_calls = 0;
};

const Transport::Events kEvents = {
    [](void* owner) {
      auto* self = static_cast<Owner*>(owner);
      return uv_buf_init(self->buffer, sizeof self->buffer);
    },
    [](void* owner, const char* data, size_t length) { static_cast<Owner*>(owner)->received.append(data, length); },
    [](void* owner) {
      auto* self = static_cast<Owner*>(owner);
      ++self->failed;
      self->transport->Close();
    },
    [](void* owner, size_t bytes) {
      auto* self = static_cast<Owner*>(owner);
      self->written += bytes;
      ++self->written_calls;
      self->queue->Consume(bytes);
    },
    [](void* owner) { ++static_cast<Owner*>(owner)->closed; },
};

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    // A connected loopback pair: the transport takes the accepted end.
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    client_ = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    int server = accept(listener, nullptr, nullptr);
    ASSERT_GE(server, 0);
    close(listener);
    transport_ = new Transport(&loop_, &kEvents, &owner_);
    owner_.transport = transport_;
    owner_.queue = &queue_;
    ASSERT_EQ(transport_->Open(server), 0);
  }

  void TearDown() override {
    if (client_ >= 0) close(client_);
    transport_->Close();
    ASSERT_TRUE(RunUntil([&] { return owner_.closed > 0; }));
    EXPECT_EQ(owner_.closed, 1);
    delete transport_;
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  std::string ClientRead(size_t want) {
    std::string got;
    char buffer[65536];
    while (got.size() < want) {
      ssize_t n = recv(client_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    return got;
  }

  uv_loop_t loop_;
  Owner owner_;
  WriteQueue queue_{1 << 20};
  Transport* transport_ = nullptr;
  int client_ = -1;
};

TEST_F(TransportTest, ReadsArriveAndThePeersEofIsReportedOnce) {
  ASSERT_EQ(transport_->StartReading(), 0);
  EXPECT_TRUE(transport_->reading());
  ASSERT_EQ(send(client_, "hello", 5, 0), 5);
  ASSERT_TRUE(RunUntil([&] { return owner_.received == "hello"; }));
  shutdown(client_, SHUT_WR);
  ASSERT_TRUE(RunUntil([&] { return owner_.failed > 0; }));
  EXPECT_EQ(owner_.failed, 1);
  EXPECT_TRUE(transport_->closing());
}

TEST_F(TransportTest, FlushWritesTheQueueInOneWritev) {
  queue_.PushUnbounded(Frame::AdoptRaw("abc"), false);
  queue_.PushUnbounded(Frame::AdoptRaw("def"), false);
  Transport::FlushResult result = transport_->Flush(&queue_);
  EXPECT_FALSE(result.failed);
  EXPECT_TRUE(result.wrote);
  EXPECT_EQ(result.writes, 1);
  EXPECT_TRUE(queue_.empty());
  EXPECT_EQ(ClientRead(6), "abcdef");
}

TEST_F(TransportTest, ABacklogTheSocketCannotTakeGoesToOneAsynchronousWrite) {
  // More than the kernel buffers take while the client reads nothing.
  const std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 16; ++i) queue_.PushUnbounded(Frame::AdoptRaw(chunk), false);
  const size_t total = queue_.bytes();
  Transport::FlushResult result = transport_->Flush(&queue_);
  EXPECT_FALSE(result.failed);
  ASSERT_FALSE(queue_.empty());
  // While the write is in flight a flush does nothing.
  EXPECT_EQ(transport_->Flush(&queue_).writes, 0);
  std::thread reader([&] { ClientRead(total); });
  while (!queue_.empty()) {
    ASSERT_TRUE(RunUntil([&] { return owner_.written > 0 || queue_.empty(); }));
    owner_.written = 0;
    if (!queue_.empty()) {
      ASSERT_FALSE(transport_->Flush(&queue_).failed);
    }
  }
  reader.join();
  EXPECT_EQ(owner_.failed, 0);
}

TEST_F(TransportTest, LingerSendsFinAndClosesOnThePeersEof) {
  queue_.PushUnbounded(Frame::AdoptRaw("bye"), false);
  transport_->Flush(&queue_);
  ASSERT_TRUE(transport_->Linger());
  std::string got;
  std::atomic<bool> finished{false};
  std::thread reader([&] {
    got = ClientRead(1 << 20);  // Until FIN.
    finished = true;
  });
  const bool fin = RunUntil([&] { return finished.load(); });
  if (!fin) shutdown(client_, SHUT_RDWR);  // Unblocks the reader.
  reader.join();
  ASSERT_TRUE(fin);
  EXPECT_EQ(got, "bye");
  close(client_);
  client_ = -1;
  ASSERT_TRUE(RunUntil([&] { return owner_.failed > 0; }));
  EXPECT_EQ(owner_.failed, 1);
}

TEST_F(TransportTest, PeerNamesTheClient) {
  EXPECT_EQ(transport_->Peer().rfind("127.0.0.1:", 0), 0u) << transport_->Peer();
}

// The same transport on a TLS listener: the test's end is a TlsSession
// over the raw client socket, pumped between turns of the loop.
class TransportTlsTest : public TransportTest {
 protected:
  void SetUp() override {
    TransportTest::SetUp();
    ASSERT_TRUE(testing_tls::WriteSelfSigned("bridge.test", files_.Path("cert.pem"), files_.Path("key.pem")));
    std::string error;
    context_ = TlsContext::Load(files_.Path("cert.pem"), files_.Path("key.pem"), &counters_, &error);
    ASSERT_NE(context_, nullptr) << error;
    ASSERT_EQ(transport_->StartTls(context_.get()), 0);
    EXPECT_TRUE(transport_->tls());
    ASSERT_EQ(transport_->StartReading(), 0);
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    tls_client_ = TlsSession::Client(client_ctx_, "bridge.test");
  }
  void TearDown() override {
    TransportTest::TearDown();
    tls_client_.reset();
    SSL_CTX_free(client_ctx_);
  }

  // Sends what the client session produced, feeds it what arrived and reads
  // its plaintext; records the last Read() result.
  void Pump() {
    char buffer[65536];
    tls_client_->Read(buffer, 0);
    if (tls_client_->CollectOutput()) {
      std::string& out = tls_client_->pending();
      ASSERT_EQ(send(client_, out.data(), out.size(), MSG_NOSIGNAL), static_cast<ssize_t>(out.size()));
      out.clear();
    }
    for (;;) {
      ssize_t n = recv(client_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) eof_ = true;
      if (n <= 0) break;
      tls_client_->Feed(buffer, static_cast<size_t>(n));
    }
    for (;;) {
      last_read_ = tls_client_->Read(buffer, sizeof buffer);
      if (last_read_ <= 0) break;
      plaintext_.append(buffer, static_cast<size_t>(last_read_));
    }
  }
  bool PumpUntil(const std::function<bool()>& done) {
    return RunUntil([&] {
      Pump();
      return done();
    });
  }
  void ClientSend(const std::string& text) {
    uv_buf_t buffer = uv_buf_init(const_cast<char*>(text.data()), static_cast<unsigned>(text.size()));
    ASSERT_TRUE(tls_client_->Encrypt(&buffer, 1));
  }

  testing_tls::TempFiles files_;
  Counters counters_;
  std::unique_ptr<TlsContext> context_;
  SSL_CTX* client_ctx_ = nullptr;
  std::unique_ptr<TlsSession> tls_client_;
  std::string plaintext_;
  ssize_t last_read_ = 0;
  bool eof_ = false;
};

TEST_F(TransportTlsTest, QueuedFramesWaitForTheHandshakeThenLeaveInOneWrite) {
  // Queued before the handshake (a 503 for a connection over the limit):
  // nothing can be encrypted yet, so nothing is written.
  queue_.PushUnbounded(Frame::AdoptRaw("abc"), false);
  queue_.PushUnbounded(Frame::AdoptRaw("def"), false);
  EXPECT_EQ(transport_->Flush(&queue_).writes, 0);
  EXPECT_EQ(queue_.bytes(), 6u);
  // The completed handshake is reported as a write of no bytes, so that the
  // owner flushes what waited.
  ASSERT_TRUE(PumpUntil([&] { return owner_.written_calls > 0; }));
  EXPECT_EQ(owner_.written, 0u);
  EXPECT_EQ(counters_.tls_handshakes, 1u);
  Transport::FlushResult result = transport_->Flush(&queue_);
  EXPECT_FALSE(result.failed);
  EXPECT_EQ(result.writes, 1) << "both frames in one run of records, one write";
  EXPECT_TRUE(queue_.empty());
  ASSERT_TRUE(PumpUntil([&] { return plaintext_ == "abcdef"; })) << plaintext_;

  // And the other way: the owner sees the plaintext.
  ClientSend("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(PumpUntil([&] { return owner_.received == "GET / HTTP/1.1\r\n\r\n"; })) << owner_.received;
  EXPECT_EQ(owner_.failed, 0);
}

TEST_F(TransportTlsTest, ABacklogLargerThanOneRoundIsDeliveredWhole) {
  ASSERT_TRUE(PumpUntil([&] { return owner_.written_calls > 0; }));
  std::string expected;
  // A round may pass kTlsFlushBytes by one fill of the queue (64 frames),
  // so four rounds take at most about 512 KiB of these.
  for (int i = 0; i < 1000; ++i) {
    std::string frame = "data: " + std::to_string(i) + std::string(1000, '.') + "\n\n";
    expected += frame;
    queue_.PushUnbounded(Frame::AdoptRaw(frame), false);
  }
  // The owner flushes again whenever a write completes with frames queued,
  // as Connection does.
  Transport::FlushResult first = transport_->Flush(&queue_);
  ASSERT_FALSE(first.failed);
  ASSERT_FALSE(queue_.empty()) << "more than one flush encrypts";
  int flushes = 1;
  ASSERT_TRUE(PumpUntil([&] {
    if (!queue_.empty() && owner_.written_calls > 1) {
      owner_.written_calls = 1;
      EXPECT_FALSE(transport_->Flush(&queue_).failed);
      ++flushes;
    }
    return plaintext_.size() >= expected.size();
  }));
  EXPECT_EQ(plaintext_, expected);
  EXPECT_TRUE(queue_.empty());
  EXPECT_GE(flushes, 2) << "more than one flush's worth";
}

TEST_F(TransportTlsTest, LingerSendsCloseNotifyThenFin) {
  ASSERT_TRUE(PumpUntil([&] { return owner_.written_calls > 0; }));
  queue_.PushUnbounded(Frame::AdoptRaw("bye"), false);
  ASSERT_FALSE(transport_->Flush(&queue_).failed);
  ASSERT_TRUE(transport_->Linger());
  ASSERT_TRUE(PumpUntil([&] { return last_read_ == TlsSession::kClosed && eof_; }));
  EXPECT_EQ(plaintext_, "bye");
  close(client_);
  client_ = -1;
  ASSERT_TRUE(RunUntil([&] { return owner_.failed > 0; }));
  EXPECT_EQ(owner_.failed, 1);
}

TEST_F(TransportTlsTest, PlainHttpFailsTheHandshakeOnce) {
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(client_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  ASSERT_TRUE(RunUntil([&] { return owner_.failed > 0; }));
  EXPECT_EQ(owner_.failed, 1);
  EXPECT_EQ(owner_.received, "") << "nothing reaches the owner";
  EXPECT_EQ(counters_.tls_handshake_failures, 1u);
}

}  // namespace
}  // namespace ssebridge
