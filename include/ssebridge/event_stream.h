// EventStream: one client's event stream as a subscriber of the registry.
// It owns the subscription handle, holds live frames while a resume is being
// replayed (then de-duplicates by id), enforces the stream's byte limit (a
// slow consumer is marked cut off, never closed inside a fan-out loop), sends
// heartbeats and writes the end of the stream.
//
// It knows no socket: it writes frames into a WriteQueue that someone else
// flushes, and asks the LoopScheduler to flush that someone (its Entry). The
// owner closes the connection at its next flush when cut_off() is true, and
// calls Stop() when it closes. So it is unit-tested without a socket, and the
// fan-out benchmark drives the real thing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ssebridge/access_log.h"
#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/stream_expiry.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {

class EventStream final : public StreamSink {
 public:
  // What the stream asks of the connection that carries it.
  class Host {
   public:
    // "address:port" of the client, for log lines.
    virtual std::string Peer() const = 0;
    // The stream is about to queue its end on its own (EndByRequest,
    // EndByAge, EndTokenExpired), still holding its channels; `reason` is a
    // stream_end name (access_log.h).
    virtual void StreamEnding(const char* /*reason*/) {}
    // The stream has queued its end (EndByRequest): close the connection
    // once the queue is written.
    virtual void CloseAfterStreamEnd() {}

   protected:
    ~Host() = default;
  };

  // Finds this stream again when a replay completes (by connection id: the
  // stream may be gone by then), or returns nullptr.
  using Finder = std::function<EventStream*()>;

  // Uses context->scheduler, ->counters, ->registry, ->broker and ->config.
  // Nothing happens until Start().
  EventStream(BridgeContext* context, WriteQueue* queue, LoopScheduler::Entry* entry, Host* host)
      : context_(context), queue_(queue), entry_(entry), host_(host) {}
  ~EventStream() override;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Queues the preamble (retry, comment), subscribes, starts the heartbeat
  // clock and, for a resume, asks the broker for the replay; live frames are
  // held until it arrives. The response head must already be queued.
  // `chunked`: HTTP/1.1 chunked framing, else raw (1.0, close-delimited).
  // `poll`: the stream is one long-poll answer: the preamble is only the
  // `retry:` line (a jQuery polyfill takes a comment block for an event) and
  // there are no heartbeats (the poll's own deadline ends it).
  void Start(const SubscribeRequest& request, bool chunked, Finder finder, bool poll = false);

  // Frames a poll hold kept for this client since its previous poll, older
  // than anything live: queued after the preamble (held behind a replay if
  // one is pending), de-duplicated by id like a replay. Call after Start().
  void Carry(const std::vector<FrameRef>& frames);

  // StreamSink: called by the registry's fan-out.
  void SendFrame(const FrameRef& frame) override;
  void CutOff(const char* why) override;

  // The broker's answer to Start()'s replay request.
  void FinishReplay(ReplayResult result, const std::string& last_event_id);

  // Called by the scheduler's sweep when nothing was written for --heartbeat.
  void SendHeartbeat();

  // Orderly end (shutdown): the final chunk is queued and no frame follows.
  void End();
  // The same after a `retry: retry_ms` line, so that the client reconnects
  // after that delay (a drain gives each stream its own, with jitter).
  void EndWithRetry(uint32_t retry_ms);
  bool ended() const { return (flags_ & kEnded) != 0; }

  // The /clients endpoints, on a stream registered under a client id. They
  // never run inside a fan-out. AddTopics returns how many names were new;
  // RemoveTopic is false when the stream does not hold `name`. EndByRequest
  // unregisters the stream, queues its end and has the connection closed
  // once that is written (DELETE /clients/<id>, or a newer stream with the
  // same id). All are no-ops on a stream that has ended.
  size_t AddTopics(const std::vector<std::string>& names);
  bool RemoveTopic(std::string_view name);
  size_t topic_count() const { return subscriber_ != nullptr ? subscriber_->links.size() : 0; }
  bool HoldsTopic(std::string_view name) const;
  // `reason` is the stream_end name its access-log line gives (access_log.h).
  void EndByRequest(const char* why, const char* reason = stream_end::kEndedByRequest);

  // --max-stream-age: like EndByRequest, but first a short `retry:` so the
  // client reconnects promptly (with Last-Event-ID, so it loses no message
  // with an id), counted in streams_aged and logged at debug level only
  // (with a million streams, thousands end every second).
  void EndByAge();
  // The retry an aged stream is sent: short, because the ages are already
  // jittered, so reconnects do not arrive together anyway.
  static constexpr uint32_t kAgedRetryMs = 250;
  // The token the stream was opened with has expired (the sweep found its
  // entry in context->expiries due and took it out): queues the final
  // `token-expired` event, then ends like EndByRequest, so the client
  // reconnects with a fresh token and resumes with Last-Event-ID.
  void EndTokenExpired();

  // The connection is closing: unsubscribes; no frame is taken after it.
  void Stop();

  // Over its limit or cut off: the owner closes it at its next flush.
  bool cut_off() const { return (flags_ & kCutOff) != 0; }
  bool chunked() const { return chunked_; }
  bool subscribed() const { return subscriber_ != nullptr; }
  // The subscribed channels and patterns for a status line: the first
  // `max_names` quoted, then how many more ("all channels" for "*" alone).
  std::string DescribeTopics(size_t max_names) const;
  // The first `max_names` channels and patterns, comma-separated, then ",..."
  // if there are more: the access log's `channels` field.
  std::string ChannelNames(size_t max_names) const;
  // Messages queued to the stream (live, replayed, carried), for the access log.
  uint32_t events() const { return events_; }
  bool replaying() const { return (flags_ & kReplaying) != 0; }
  // The newest resumable id queued (or the resume point when none was).
  uint64_t last_sent_id() const { return last_sent_id_; }

 private:
  void SendFrameSlow(const FrameRef& frame);
  bool QueueLive(const FrameRef& frame);
  bool IsNewMessage(const FrameRef& frame);
  void CutOffSlowConsumer(const char* what, size_t bytes);
  void ScheduleFlush() { context_->scheduler->ScheduleFlush(entry_); }
  void EndAndRelease(const char* reason);
  // Queues a `retry:` field (the reconnect delay for the client's next stream).
  void QueueRetry(uint32_t retry_ms);
  // Takes the stream out of the client registry (register=1/client_id=) once.
  void LeaveClientRegistry();

  BridgeContext* context_;
  WriteQueue* queue_;
  LoopScheduler::Entry* entry_;
  Host* host_;
  PubsubRegistry::Subscriber* subscriber_ = nullptr;
  // Live frames that arrive while a resume is being prepared; sent after the
  // replay so the seam has neither a gap nor a duplicate.
  std::vector<FrameRef> held_frames_;
  size_t held_bytes_ = 0;
  uint64_t last_sent_id_ = 0;  // Newest resumable id queued; older or equal ids are duplicates.
  bool chunked_ = false;       // Stream framing: chunked (HTTP/1.1) or raw (1.0).
  bool registered_ = false;    // In context_->clients (it leaves in Stop or EndByRequest).
  bool expiry_tracked_ = false;  // In context_->expiries under expiry_.
  // Anything but a live stream taking frames, in one byte so that the fan-out
  // path tests it once.
  static constexpr uint8_t kReplaying = 1;  // Holding live frames until the replay arrives.
  static constexpr uint8_t kCutOff = 2;     // Slow consumer or cut off by the broker: closed at the next flush.
  static constexpr uint8_t kEnded = 4;      // Ended or stopped: takes no more frames.
  // A long poll: its queue is never empty while it waits (nothing is written
  // before the answer), so every frame asks for the flush that answers it.
  static constexpr uint8_t kPolling = 8;
  uint8_t flags_ = 0;
  // In the padding after the one-byte members: EventStream does not grow.
  // Wraps after 4 billion messages, which the access log can live with.
  uint32_t events_ = 0;
  // After the one-byte members, so that they share a word: a stream opened
  // with an expiring token is found again by the sweep through this.
  StreamExpiries::Handle expiry_;
};

}  // namespace ssebridge
