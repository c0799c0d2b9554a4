// Connection: one client, the glue of three layers it owns — its Transport
// (socket, flush, linger, close), its HttpSession (only while it reads
// requests, or waits to answer a long poll) and its EventStream (once
// GET /events made it a stream or a poll). It
// implements the Exchange handlers answer through and routes each request the
// session hands it.
//
// Lifetime: created on accept; Close() unlinks it from everything and closes
// the transport; memory is freed only in the close callback. Nothing outside
// holds a raw pointer across an asynchronous boundary: broker callbacks carry
// the connection id and look it up through the ConnectionOwner.
//
// It knows the server only through BridgeContext (shared services) and is
// flushed and timed out by the LoopScheduler, whose Entry it embeds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ssebridge/bridge_context.h"
#include "ssebridge/client_limits.h"
#include "ssebridge/event_stream.h"
#include "ssebridge/http_response.h"
#include "ssebridge/http_session.h"
#include "ssebridge/long_poll.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/transport.h"
#include "ssebridge/write_queue.h"

namespace ssebridge {

struct SubscribeRequest;
class TlsContext;

class Connection final : public LoopScheduler::Entry, private EventStream::Host {
 public:
  enum class State : uint8_t {
    kSession,    // Reading requests and answering them (the HttpSession's phases).
    kStreaming,  // An event stream.
    kPolling,    // A long poll: its stream queues, nothing is written before the whole answer.
    kLingering,  // Answer sent, FIN sent (or about to be); draining input until EOF.
  };

  Connection(BridgeContext* context, uint64_t id, const IpAddress& peer);

  // The scheduler's callbacks for every connection.
  static const LoopScheduler::Actions kSchedulerActions;

  // Takes ownership of an accepted socket and starts reading; with `tls`,
  // the connection begins with a TLS handshake on that context. On failure
  // the descriptor is closed; the caller then calls Close().
  int Open(int fd, TlsContext* tls = nullptr);

  // Writes everything queued, as far as the socket accepts. Called by the
  // scheduler once per loop turn for connections with new data.
  void Flush();

  // Orderly end: streams get their final chunk, then FIN. Used on shutdown.
  void EndGracefully();
  // A stream's orderly end during a drain: `retry: retry_ms`, the final
  // chunk, then FIN. No-op for anything but an open stream.
  void EndStream(uint32_t retry_ms);

  // Answers 503 and closes: the server is at --max-connections.
  void RejectOverloaded();

  // Immediate close; safe to call more than once.
  void Close();

  // A deferred answer (a publish's outcome) for the request numbered
  // `sequence`; it leaves once every earlier answer has.
  void CompleteSlot(uint64_t sequence, std::string bytes);

  // The check a suspended request waited for has answered: the request is
  // handled again (Exchange::Suspend).
  void ResumeSuspended();

  // Called by the scheduler's sweep.
  void OnRequestTimeout();
  void OnLingerTimeout() { Close(); }
  void SendHeartbeat() { stream_.SendHeartbeat(); }
  // A long poll waited --poll-timeout: it is answered with a heartbeat.
  void OnPollTimeout();
  // A stream reached its --max-stream-age: it ends, and the client reconnects.
  void OnStreamAged();

  uint64_t id() const { return id_; }
  State state() const { return state_; }
  bool closing() const { return transport_.closing(); }
  bool is_stream() const { return state_ == State::kStreaming; }
  // A stream that has not been told to end yet.
  bool is_open_stream() const { return state_ == State::kStreaming && !stream_.ended() && !closing(); }
  size_t queued_bytes() const { return queue_.bytes(); }
  // One line for the "status" command: peer, state and, for a stream, its channels.
  std::string Describe() const;

 private:
  class Session;
  class RequestExchange;
  static const Transport::Events kTransportEvents;

  void HandleRequest(HttpRequest& request);
  void StartStream(const HttpRequest& request, const SubscribeRequest& subscribe);
  void StartPoll(const HttpRequest& request, const SubscribeRequest& subscribe);
  bool AnswerPollIfReady();
  // The poll while polling, else null. It lives in the session, which a poll
  // keeps until it is answered, so that Connection does not grow.
  LongPoll* poll() const;
  void Respond(int status, std::string_view content_type, std::string_view body, const HttpRequest& request,
               HeaderList extra, bool keep_alive);
  void RespondError(int status, const std::string& message, const HttpRequest& request, bool keep_alive,
                    HeaderList extra);
  void QueueRaw(std::string bytes);
  void CloseAfterFlush();
  void OnWritten(size_t bytes);
  void NoteAnswersProgress();
  void ReleaseSessionIfStreaming();
  void StartLinger();
  void ScheduleFlush();
  std::string Peer() const override { return transport_.Peer(); }
  void StreamEnding(const char* reason) override { LogStreamEnd(reason, true); }
  void CloseAfterStreamEnd() override;
  // The stream's access-log line, once, while it still holds its channels.
  // `orderly`: what is queued will still be sent and counts as sent.
  void LogStreamEnd(const char* reason, bool orderly);
  const Config& config() const { return *context_->config; }
  Counters& counters() const { return *context_->counters; }
  LoopScheduler& scheduler() const { return *context_->scheduler; }

  BridgeContext* context_;
  const uint64_t id_;
  const IpAddress peer_address_;
  IpAddress stream_client_;  // Whose per-client stream count this stream holds, if stream_counted_.
  Transport transport_;
  // Allocated at Open() and released when the connection becomes a stream,
  // so idle streams carry none of it.
  std::unique_ptr<HttpSession> session_;
  WriteQueue queue_;
  EventStream stream_;  // Idle until the connection becomes a stream.
  State state_ = State::kSession;
  bool stream_counted_ = false;
  bool close_after_flush_ = false;  // Linger and close once the queue drains.
  bool over_limit_ = false;         // Answers unread past the hard limit: close at the next flush.
  bool stream_logged_ = false;      // The stream's access-log line is written (in the tail padding).
};

}  // namespace ssebridge
