// Connection: one client socket. It owns its uv_tcp_t, its HTTP parser (only
// while it reads requests), its write queue and its place in the server's
// sweep lists. It answers plain requests (keep-alive and pipelining included)
// and, after GET /events, becomes an event stream fed by the registry.
//
// Lifetime: created on accept; Close() unlinks it from everything and calls
// uv_close(); memory is freed only in the close callback. Nothing outside
// holds a raw pointer across an asynchronous boundary: broker callbacks carry
// the connection id and look it up through the ConnectionOwner.
//
// It knows the server only through BridgeContext (shared services) and is
// flushed and timed out by the LoopScheduler, whose Entry it embeds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/client_limits.h"
#include "ssebridge/event_stream.h"
#include "ssebridge/http_parser.h"
#include "ssebridge/http_response.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/pubsub_registry.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {

struct SubscribeRequest;

class Connection final : public LoopScheduler::Entry, private EventStream::Host {
 public:
  enum class State {
    kReading,     // Waiting for or parsing a request.
    kResponding,  // Waiting for earlier answers before a deferred stream request can start.
    kStreaming,   // An event stream.
    kLingering,   // Response sent, FIN sent; draining input until EOF.
  };

  // Answers to requests that the client has not read yet. Above the high-water
  // mark no further request is parsed and reading stops (backpressure); below
  // the low-water mark it resumes. If the client reads nothing for
  // --header-timeout meanwhile, or the answers exceed the hard limit
  // (--client-buffer-bytes, at least kAnswersHardFloor), it is cut off.
  static constexpr size_t kAnswersHighWater = 128 * 1024;
  static constexpr size_t kAnswersLowWater = 32 * 1024;
  static constexpr size_t kAnswersHardFloor = 256 * 1024;

  Connection(BridgeContext* context, uint64_t id, const IpAddress& peer);

  // The scheduler's callbacks for every connection.
  static const LoopScheduler::Actions kSchedulerActions;

  // Takes ownership of an accepted socket and starts reading. On failure the
  // descriptor is closed; the caller then calls Close().
  int Open(int fd);

  // Writes everything queued, as far as the socket accepts. Called by the
  // scheduler once per loop turn for connections with new data.
  void Flush();

  // Orderly end: streams get their final chunk, then FIN. Used on shutdown.
  void EndGracefully();

  // Answers 503 and closes: the server is at --max-connections.
  void RejectOverloaded();

  // Immediate close; safe to call more than once.
  void Close();

  // A deferred answer (a publish's outcome) for the request numbered
  // `sequence`; it leaves once every earlier answer has.
  void CompleteSlot(uint64_t sequence, std::string bytes);

  // Called by the scheduler's sweep.
  void OnRequestTimeout();
  void OnLingerTimeout() { Close(); }
  void SendHeartbeat() { stream_.SendHeartbeat(); }

  uint64_t id() const { return id_; }
  State state() const { return state_; }
  bool closing() const { return closing_; }
  bool is_stream() const { return state_ == State::kStreaming; }
  size_t queued_bytes() const { return queue_.bytes(); }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* request, int status);
  static void OnShutdown(uv_shutdown_t* request, int status);
  static void OnClosed(uv_handle_t* handle);

  class RequestExchange;

  void Consume(const char* data, size_t length);
  void HandleRequest(HttpRequest& request);
  void StartStream(const HttpRequest& request, const SubscribeRequest& subscribe);
  void EmitResponse(std::string bytes, bool keep_alive);
  void DrainSlots();
  void ResumeInput();
  void BeginClose();
  void Respond(int status, std::string_view content_type, std::string_view body, const HttpRequest& request,
               HeaderList extra = {}, bool keep_alive = true);
  void RespondError(int status, const std::string& message, const HttpRequest* request, bool keep_alive,
                    HeaderList extra = {});
  void QueueRaw(std::string bytes);
  bool AnswersBacklogged() const { return queue_.bytes() >= kAnswersHighWater; }
  void StopReadingUntilAnswersRead();
  void NoteAnswersProgress();
  void EnterReading();
  void StartLinger();
  void ScheduleFlush();
  void ReturnSpareRequest(HttpRequest request);
  std::string Peer() const override;
  bool HasSlots() const { return session_ && !session_->slots.empty(); }
  const Config& config() const { return *context_->config; }
  Counters& counters() const { return *context_->counters; }
  LoopScheduler& scheduler() const { return *context_->scheduler; }

  BridgeContext* context_;
  const uint64_t id_;
  const IpAddress peer_address_;
  IpAddress stream_client_;          // Whose per-client stream count this stream holds...
  bool stream_counted_ = false;      // ... if it holds one.
  uv_tcp_t tcp_;
  // Requests for the slow paths (a socket that would block; a graceful close)
  // are allocated on first use: most idle streams never need them.
  std::unique_ptr<uv_write_t> write_request_;
  std::unique_ptr<uv_shutdown_t> shutdown_request_;
  // Answers in request order. Publishes through Redis complete out of band;
  // several may be in flight on one keep-alive connection, and each answer
  // waits in its slot until every earlier one has been queued.
  struct ResponseSlot {
    bool ready = false;
    bool keep_alive = true;
    std::string bytes;
  };
  // What only a connection that reads requests needs. Allocated at Open() and
  // released when the connection becomes a stream, so idle streams carry
  // none of it.
  struct Session {
    explicit Session(HttpParser::Limits limits) : parser(limits) {}
    HttpParser parser;
    std::string pending_input;  // Unparsed bytes held while input is paused.
    std::vector<ResponseSlot> slots;  // At most kMaxSlots.
    uint64_t first_slot_sequence = 0;  // Sequence number of slots.front().
    std::unique_ptr<HttpRequest> deferred_stream;  // GET /events behind unanswered requests.
  };
  std::unique_ptr<Session> session_;
  bool input_paused_ = false;
  bool answers_backlogged_ = false;  // Reading stopped until the client reads its answers.
  WriteQueue queue_;
  EventStream stream_;  // Idle until the connection becomes a stream.
  State state_ = State::kReading;
  size_t write_in_flight_bytes_ = 0;
  bool write_in_flight_ = false;
  bool close_after_flush_ = false;  // Linger and close once the queue drains.
  bool over_limit_ = false;         // Answers unread past the hard limit: close at the next flush.
  bool closing_ = false;
  bool reading_ = false;
};

}  // namespace ssebridge
