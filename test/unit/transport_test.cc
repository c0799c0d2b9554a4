// Transport on a real loop over a loopback TCP pair: the test holds the
// client end as a plain socket and checks what the transport reports.
#include "ssebridge/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "ssebridge/frame.h"
#include "ssebridge/write_queue.h"

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

}  // namespace
}  // namespace ssebridge
