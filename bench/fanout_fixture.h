// Shared by micro_bench.cc and fanout_callgrind.cc: N subscribers on one
// channel, each behaving like a streaming Connection on the fan-out hot path
// (dedup by resumable id, Push into its own WriteQueue with a limit, mark
// itself over the limit instead of closing), plus a "socket" that drains the
// queues the way Connection::Flush does (Fill + Consume).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "ssebridge/message_frame.h"
#include "ssebridge/envelope.h"
#include "ssebridge/frame.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/write_queue.h"

namespace ssebridge_bench {

// Mirrors Connection::SendFrame/QueueLive for a live (non-replaying) stream.
class QueueSink final : public ssebridge::StreamSink {
 public:
  explicit QueueSink(size_t limit_bytes) : queue_(limit_bytes) {}

  void SendFrame(const ssebridge::FrameRef& frame) override {
    if (over_limit_) return;
    if (frame->id() != 0) {
      if (frame->id() <= last_sent_id_) return;
      last_sent_id_ = frame->id();
    }
    if (queue_.Push(frame, /*chunked_form=*/true) == ssebridge::WriteQueue::PushResult::kOverLimit) {
      over_limit_ = true;
    }
  }
  void CutOff(const char*) override { over_limit_ = true; }

  // One writev that the kernel accepts completely. Returns the bytes "sent".
  size_t Drain() {
    size_t sent = 0;
    while (!queue_.empty()) {
      uv_buf_t buffers[16];  // Connection uses kMaxIovecs; the value barely matters here.
      size_t total = 0;
      queue_.Fill(buffers, 16, &total);
      queue_.Consume(total);
      sent += total;
    }
    return sent;
  }

  bool over_limit() const { return over_limit_; }
  size_t queued_bytes() const { return queue_.bytes(); }

 private:
  ssebridge::WriteQueue queue_;
  uint64_t last_sent_id_ = 0;
  bool over_limit_ = false;
};

// N sinks subscribed to one channel of a registry.
class FanOutFixture {
 public:
  static constexpr size_t kClientBufferBytes = 1 << 20;  // Config::client_buffer_bytes default.

  FanOutFixture(size_t subscribers, const std::string& channel) : channel_(channel) {
    sinks_.reserve(subscribers);
    handles_.reserve(subscribers);
    const std::vector<std::string> names{channel};
    for (size_t i = 0; i < subscribers; ++i) {
      sinks_.push_back(std::make_unique<QueueSink>(kClientBufferBytes));
      handles_.push_back(registry_.Subscribe(sinks_.back().get(), names));
    }
  }
  ~FanOutFixture() {
    for (auto* handle : handles_) registry_.Unsubscribe(handle);
  }

  ssebridge::PubsubRegistry& registry() { return registry_; }
  const std::string& channel() const { return channel_; }

  size_t DrainAll() {
    size_t sent = 0;
    for (auto& sink : sinks_) sent += sink->Drain();
    return sent;
  }

  size_t OverLimitCount() const {
    size_t count = 0;
    for (const auto& sink : sinks_) count += sink->over_limit() ? 1 : 0;
    return count;
  }

 private:
  std::string channel_;
  ssebridge::PubsubRegistry registry_;
  std::vector<std::unique_ptr<QueueSink>> sinks_;
  std::vector<ssebridge::PubsubRegistry::Subscriber*> handles_;
};

// A typical published message: resumable id, default event type, 64-byte JSON.
inline ssebridge::Message MakeMessage(uint64_t sequence) {
  ssebridge::Message message;
  message.sequence = sequence;
  message.id = std::to_string(sequence);
  message.data = R"({"type":"tick","symbol":"ACME","price":1234.56,"seq":1234567890})";
  return message;
}

}  // namespace ssebridge_bench
