// Shared by micro_bench.cc and fanout_callgrind.cc: N real EventStreams on
// one channel, as the server runs them (dedup by resumable id, Push into the
// connection's WriteQueue with a limit, mark over the limit instead of
// closing, ask the LoopScheduler for a flush), with a "socket" that drains
// the queues of the streams the scheduler flushes, the way Connection::Flush
// does (Fill + Consume).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/config.h"
#include "ssebridge/envelope.h"
#include "ssebridge/event_stream.h"
#include "ssebridge/frame.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/write_queue.h"

namespace ssebridge_bench {

// What a streaming Connection holds for its stream: the write queue, its
// scheduler entry and the stream itself.
class BenchClient final : public ssebridge::LoopScheduler::Entry, private ssebridge::EventStream::Host {
 public:
  BenchClient(ssebridge::BridgeContext* context, size_t limit_bytes)
      : counters_(*context->counters), scheduler_(*context->scheduler), queue_(limit_bytes), stream_(context, &queue_, this, this) {}

  ssebridge::EventStream& stream() { return stream_; }

  // One writev that the kernel accepts completely. Returns the bytes "sent".
  size_t Drain() {
    size_t sent = 0;
    // As Connection::Flush: the oldest message's publish-to-write latency,
    // on the flush pass's clock.
    const uint32_t oldest_fanout_us = queue_.front_fanout_us();
    while (!queue_.empty()) {
      uv_buf_t buffers[16];  // Connection uses kMaxIovecs; the value barely matters here.
      size_t total = 0;
      queue_.Fill(buffers, 16, &total);
      queue_.Consume(total);
      sent += total;
    }
    counters_.bytes_written += sent;
    if (sent != 0) ssebridge::RecordStreamWrite(&counters_, oldest_fanout_us, scheduler_.write_clock_us());
    return sent;
  }

  size_t queued_bytes() const { return queue_.bytes(); }

 private:
  std::string Peer() const override { return "bench"; }

  ssebridge::Counters& counters_;
  const ssebridge::LoopScheduler& scheduler_;
  ssebridge::WriteQueue queue_;
  ssebridge::EventStream stream_;
};

// N streams subscribed to one channel of a registry.
class FanOutFixture {
 public:
  static constexpr size_t kClientBufferBytes = 1 << 20;  // Config::client_buffer_bytes default.

  FanOutFixture(size_t subscribers, const std::string& channel)
      : channel_(channel), scheduler_(MakeLoop(&loop_), ssebridge::LoopScheduler::Timeouts{}, kActions) {
    context_.config = &config_;
    context_.counters = &counters_;
    context_.registry = &registry_;
    context_.scheduler = &scheduler_;
    clients_.reserve(subscribers);
    ssebridge::SubscribeRequest request;
    request.channels.push_back(channel);
    for (size_t i = 0; i < subscribers; ++i) {
      clients_.push_back(std::make_unique<BenchClient>(&context_, kClientBufferBytes));
      clients_.back()->stream().Start(request, /*chunked=*/true, nullptr);
      scheduler_.ScheduleFlush(clients_.back().get());
    }
    DrainAll();  // The preambles, as the server sends them with the response head.
  }
  ~FanOutFixture() {
    for (auto& client : clients_) {
      client->stream().Stop();
      scheduler_.Forget(client.get());
    }
    scheduler_.Close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  ssebridge::PubsubRegistry& registry() { return registry_; }
  const std::string& channel() const { return channel_; }

  // The prepare phase's flush: every stream that asked for one is drained.
  size_t DrainAll() {
    sent_ = 0;
    scheduler_.RunPrepare();
    return sent_;
  }

  size_t OverLimitCount() const {
    size_t count = 0;
    for (const auto& client : clients_) count += client->stream().cut_off() ? 1 : 0;
    return count;
  }

 private:
  static uv_loop_t* MakeLoop(uv_loop_t* loop) {
    uv_loop_init(loop);
    return loop;
  }
  static size_t sent_;
  static constexpr ssebridge::LoopScheduler::Actions kActions = {
      [](ssebridge::LoopScheduler::Entry* entry) { sent_ += static_cast<BenchClient*>(entry)->Drain(); },
      [](ssebridge::LoopScheduler::Entry*) {},
      [](ssebridge::LoopScheduler::Entry*) {},
      [](ssebridge::LoopScheduler::Entry*) {},
      [](ssebridge::LoopScheduler::Entry*) {},
      [](ssebridge::LoopScheduler::Entry*) {},
  };

  uv_loop_t loop_;
  std::string channel_;
  ssebridge::Config config_;
  ssebridge::Counters counters_;
  ssebridge::PubsubRegistry registry_;
  ssebridge::LoopScheduler scheduler_;
  ssebridge::BridgeContext context_;
  std::vector<std::unique_ptr<BenchClient>> clients_;
};

inline size_t FanOutFixture::sent_ = 0;

// A typical published message: resumable id, default event type, 64-byte JSON.
inline ssebridge::Message MakeMessage(uint64_t sequence) {
  ssebridge::Message message;
  message.sequence = sequence;
  message.id = std::to_string(sequence);
  message.data = R"({"type":"tick","symbol":"ACME","price":1234.56,"seq":1234567890})";
  return message;
}

}  // namespace ssebridge_bench
