#include "ssebridge/connection.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>

#include "ssebridge/config.h"
#include "ssebridge/cors_policy.h"
#include "ssebridge/exchange.h"
#include "ssebridge/handlers/route_table.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

// Enough iovecs for a deep backlog of small events in one writev.
constexpr size_t kMaxIovecs = 64;
// Pipelined requests answered out of band at once on one connection.
constexpr size_t kMaxSlots = 64;

}  // namespace

const LoopScheduler::Actions Connection::kSchedulerActions = {
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->Flush(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->OnRequestTimeout(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->OnLingerTimeout(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->SendHeartbeat(); },
};

Connection::Connection(BridgeContext* context, uint64_t id, const IpAddress& peer)
    : context_(context),
      id_(id),
      peer_address_(peer),
      queue_(context->config->client_buffer_bytes),
      stream_(context, &queue_, this, this) {
  uv_tcp_init(scheduler().loop(), &tcp_);
  tcp_.data = this;
}

int Connection::Open(int fd) {
  int rc = uv_tcp_open(&tcp_, fd);
  if (rc != 0) {
    // The handle did not take the descriptor.
    ::close(fd);
    return rc;
  }
  uv_tcp_nodelay(&tcp_, 1);
  const Config& config = this->config();
  session_ = std::make_unique<Session>(HttpParser::Limits{config.max_header_bytes, config.max_body_bytes});
  rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead);
  if (rc != 0) return rc;
  reading_ = true;
  EnterReading();
  return 0;
}

std::string Connection::Peer() const {
  sockaddr_storage address{};
  int length = sizeof address;
  char text[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    if (address.ss_family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      uv_ip4_name(v4, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (address.ss_family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      uv_ip6_name(v6, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
  }
  return std::string(text) + ":" + std::to_string(port);
}

void Connection::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  // One buffer for the whole loop: input is parsed before the callback returns,
  // so idle streams cost no read buffer at all.
  auto* self = static_cast<Connection*>(handle->data);
  *buf = uv_buf_init(self->context_->read_buffer, static_cast<unsigned>(self->context_->read_buffer_size));
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    // EOF or a reset. A client that half-closes after its request still gets
    // its answer: queued bytes are flushed before we would have closed anyway,
    // but a peer that is gone cannot read them, so closing now is correct.
    if (nread != UV_EOF) LOG_DEBUG("connection %s: read error: %s", self->Peer().c_str(), uv_strerror(static_cast<int>(nread)));
    self->Close();
    return;
  }
  switch (self->state_) {
    case State::kReading:
      if (!self->input_paused_) {
        self->Consume(buf->base, static_cast<size_t>(nread));
        break;
      }
      [[fallthrough]];
    case State::kResponding:
      // Pipelined requests wait until the current answer is written. Reading
      // goes on (stopping and restarting costs two syscalls per publish) until
      // the held input could not be a sane next request.
      self->session_->pending_input.append(buf->base, static_cast<size_t>(nread));
      if (self->session_->pending_input.size() > self->config().max_header_bytes +
                                            self->config().max_body_bytes) {
        uv_read_stop(stream);
        self->reading_ = false;
      }
      break;
    case State::kStreaming:
    case State::kLingering:
      // Nothing more is expected from an event stream; input is discarded.
      break;
  }
}

void Connection::Consume(const char* data, size_t length) {
  while (length > 0 && state_ == State::kReading && !closing_) {
    HttpParser* parser = &session_->parser;
    if (session_->slots.size() >= kMaxSlots || AnswersBacklogged()) {
      // Enough answers outstanding: keep the rest until some are written.
      input_paused_ = true;
      session_->pending_input.append(data, length);
      if (AnswersBacklogged()) StopReadingUntilAnswersRead();
      return;
    }
    HttpParser::FeedResult result = parser->Feed(data, length);
    if (result.status == HttpParser::Status::kError) {
      LOG_INFO("connection %s: rejected request: %d %s", Peer().c_str(), parser->error_status(),
               parser->error_message().c_str());
      RespondError(parser->error_status(), parser->error_message(), nullptr, false);
      return;
    }
    if (result.status == HttpParser::Status::kNeedMore) {
      if (parser->expect_continue()) {
        parser->ClearExpectContinue();
        EmitResponse("HTTP/1.1 100 Continue\r\n\r\n", true);
      }
      return;
    }
    data += result.consumed;
    length -= result.consumed;
    // The request is exchanged with the loop's spare so that its strings and
    // header vector are reused rather than allocated per request. Nothing
    // handled here completes before it returns (broker results come from the
    // completion queue), so one spare is enough.
    HttpRequest request = std::move(context_->spare_request);
    parser->SwapRequest(&request);
    parser->Resume();
    HandleRequest(request);
    ReturnSpareRequest(std::move(request));
    if (state_ == State::kResponding && length > 0) {
      session_->pending_input.append(data, length);
      return;
    }
  }
}

// The client sends requests faster than it reads the answers (or not at all):
// stop reading, as Redis and libuv do, so that its pipelined requests wait in
// the kernel's buffers rather than as answers in our memory. The request
// timeout now measures how long it leaves its answers unread.
void Connection::StopReadingUntilAnswersRead() {
  answers_backlogged_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
  scheduler().TrackReading(this);
}

// Called after bytes were written: a backlogged client that reads restarts
// its timeout, and below the low-water mark its requests are parsed again.
// Runs last in Flush() and OnWrite(), so nothing of theirs follows the
// requests it may handle.
void Connection::NoteAnswersProgress() {
  if (!answers_backlogged_ || closing_) return;
  if (queue_.bytes() > kAnswersLowWater) {
    scheduler().TrackReading(this);
    return;
  }
  answers_backlogged_ = false;
  if (state_ == State::kReading && session_->slots.size() < kMaxSlots) {
    EnterReading();
    ResumeInput();
  }
}

void Connection::ResumeInput() {
  if (answers_backlogged_) return;  // NoteAnswersProgress() resumes once the client reads.
  input_paused_ = false;
  if (!reading_ && !closing_ && state_ == State::kReading) {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead) == 0) reading_ = true;
  }
  if (!session_ || session_->pending_input.empty() || state_ != State::kReading) return;
  std::string input = std::move(session_->pending_input);
  session_->pending_input.clear();
  Consume(input.data(), input.size());
}

void Connection::BeginClose() {
  close_after_flush_ = true;
  state_ = State::kLingering;
  scheduler().UntrackDeadline(this);
  ScheduleFlush();
}

void Connection::EmitResponse(std::string bytes, bool keep_alive) {
  if (!HasSlots()) {
    QueueRaw(std::move(bytes));
    if (!keep_alive) BeginClose();
    return;
  }
  session_->slots.push_back(ResponseSlot{true, keep_alive, std::move(bytes)});
  // The client asked to close: read no further requests.
  if (!keep_alive) state_ = State::kLingering;
}

void Connection::DrainSlots() {
  std::vector<ResponseSlot>& slots = session_->slots;
  while (!slots.empty() && slots.front().ready) {
    ResponseSlot slot = std::move(slots.front());
    slots.erase(slots.begin());
    ++session_->first_slot_sequence;
    QueueRaw(std::move(slot.bytes));
    if (!slot.keep_alive) {
      slots.clear();
      BeginClose();
      return;
    }
  }
  if (!slots.empty()) return;
  if (session_->deferred_stream) {
    std::unique_ptr<HttpRequest> request = std::move(session_->deferred_stream);
    state_ = State::kReading;
    HandleRequest(*request);
  } else if (state_ == State::kReading) {
    EnterReading();
  }
  if (state_ == State::kReading) ResumeInput();
}

void Connection::EnterReading() {
  state_ = State::kReading;
  scheduler().TrackReading(this);
  if (!reading_ && !closing_ && !answers_backlogged_) {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead) == 0) reading_ = true;
  }
}

// What a handler sees of a request on this connection.
class Connection::RequestExchange final : public Exchange {
 public:
  RequestExchange(Connection* connection, HttpRequest& request, std::string_view rest, std::string_view query)
      : Exchange(connection->context_, request, connection->peer_address_, rest, query,
                 request.keep_alive && !connection->context_->shutting_down),
        connection_(connection),
        request_(request) {}

  void Respond(int status, std::string_view content_type, std::string_view body, HeaderList extra) override {
    connection_->Respond(status, content_type, body, request_, std::move(extra), keep_alive());
  }
  void RespondError(int status, const std::string& message, HeaderList extra) override {
    connection_->RespondError(status, message, &request_, keep_alive(), std::move(extra));
  }
  DeferredAnswer DeferAnswer() override {
    Session& session = *connection_->session_;
    const uint64_t sequence = session.first_slot_sequence + session.slots.size();
    session.slots.push_back(ResponseSlot{false, keep_alive(), std::string()});
    if (!keep_alive()) connection_->state_ = State::kLingering;
    connection_->scheduler().UntrackDeadline(connection_);
    return DeferredAnswer(context().owner, connection_->id_, sequence, context().cors->Headers(request_),
                          request_.http_minor, keep_alive());
  }
  bool HoldBehindEarlierAnswers() override {
    if (!connection_->HasSlots()) return false;
    connection_->session_->deferred_stream = std::make_unique<HttpRequest>(std::move(request_));
    connection_->state_ = State::kResponding;
    connection_->scheduler().UntrackDeadline(connection_);
    return true;
  }
  void StartStream(const SubscribeRequest& subscribe, const IpAddress* counted_client) override {
    if (counted_client != nullptr) {
      connection_->stream_client_ = *counted_client;
      connection_->stream_counted_ = true;
    }
    connection_->StartStream(request_, subscribe);
  }

 private:
  Connection* connection_;
  HttpRequest& request_;
};

void Connection::HandleRequest(HttpRequest& request) {
  ++counters().requests;
  std::string_view path;
  std::string_view query;
  SplitTarget(request.target, &path, &query);
  RouteMatch match = MatchRoute(BridgeRoutes(), config().base_path, request.method, path);
  RequestExchange exchange(this, request, match.rest, query);
  Dispatch(exchange, match, path);
}

void Connection::CompleteSlot(uint64_t sequence, std::string bytes) {
  if (!session_) return;
  std::vector<ResponseSlot>& slots = session_->slots;
  if (sequence < session_->first_slot_sequence || sequence - session_->first_slot_sequence >= slots.size()) return;
  ResponseSlot& slot = slots[sequence - session_->first_slot_sequence];
  slot.bytes = std::move(bytes);
  slot.ready = true;
  DrainSlots();
}

void Connection::Respond(int status, std::string_view content_type, std::string_view body,
                         const HttpRequest& request, HeaderList extra, bool keep_alive) {
  HeaderList headers = context_->cors->Headers(request);
  headers.insert(headers.end(), extra.begin(), extra.end());
  EmitResponse(BuildResponse(status, content_type, body, headers, request.http_minor, keep_alive,
                             request.method == "HEAD"),
               keep_alive);
  if (keep_alive && !HasSlots() && state_ == State::kReading) EnterReading();
}

void Connection::RespondError(int status, const std::string& message, const HttpRequest* request, bool keep_alive,
                              HeaderList extra) {
  ++counters().http_errors;
  if (request == nullptr) {
    // The request could not be parsed: answer in HTTP/1.1 and close, since the
    // byte stream can no longer be trusted to delimit the next request.
    EmitResponse(BuildResponse(status, "application/json", JsonErrorBody(message), extra, 1, false), false);
    return;
  }
  if (status >= 500 || status == 404 || status == 405) {
    LOG_INFO("%s %s -> %d: %s", request->method.c_str(), request->target.c_str(), status, message.c_str());
  } else {
    LOG_INFO("%s %s -> %d: %s (from %s)", request->method.c_str(), request->target.c_str(), status, message.c_str(),
             Peer().c_str());
  }
  Respond(status, "application/json", JsonErrorBody(message), *request, std::move(extra), keep_alive);
}

void Connection::StartStream(const HttpRequest& request, const SubscribeRequest& subscribe) {
  const bool chunked = request.http_major == 1 && request.http_minor >= 1;
  state_ = State::kStreaming;
  scheduler().UntrackDeadline(this);
  QueueRaw(BuildStreamHead(context_->cors->Headers(request), chunked ? 1 : 0));
  ConnectionOwner* owner = context_->owner;
  const uint64_t id = id_;
  stream_.Start(subscribe, chunked, [owner, id]() -> EventStream* {
    Connection* self = owner->FindConnection(id);
    return self != nullptr ? &self->stream_ : nullptr;
  });
  // An idle stream needs no session; dropping it at once (not at the next
  // flush) lets the next connection accepted in this turn reuse the memory.
  // The callers (Consume, DrainSlots) touch no session state once the
  // connection streams.
  session_.reset();
  LOG_DEBUG("stream %llu opened by %s for %zu channel(s)", static_cast<unsigned long long>(id_), Peer().c_str(),
            subscribe.channels.size());
  ScheduleFlush();
}

void Connection::QueueRaw(std::string bytes) {
  queue_.PushUnbounded(Frame::AdoptRaw(std::move(bytes)), false);
  // Backpressure keeps answers near the high-water mark; only answers that
  // are huge or many at once (a batch of pipelined publishes completing)
  // overshoot it. Past the hard limit the client is cut off at the next flush.
  const size_t hard_limit = std::max<size_t>(config().client_buffer_bytes, kAnswersHardFloor);
  if (state_ != State::kStreaming && !over_limit_ && queue_.bytes() > hard_limit) {
    over_limit_ = true;
    ++counters().unread_answer_disconnects;
    LOG_WARN("connection %s cut off: %zu bytes of answers unread, limit %zu", Peer().c_str(), queue_.bytes(),
             hard_limit);
  }
  ScheduleFlush();
}

void Connection::ReturnSpareRequest(HttpRequest request) {
  // Bodies can be up to --max-body-bytes, and the spare ends up in an idle
  // keep-alive connection's parser: keep only typical small buffers.
  if (request.body.capacity() > 4096) request.body = std::string();
  if (request.target.capacity() > 4096) request.target = std::string();
  context_->spare_request = std::move(request);
}

void Connection::ScheduleFlush() {
  if (!closing_) scheduler().ScheduleFlush(this);
}

void Connection::Flush() {
  if (closing_) return;
  if (over_limit_ || stream_.cut_off()) {
    Close();
    return;
  }
  if (write_in_flight_) return;  // OnWrite continues from where it stopped.
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  bool wrote = false;
  // A few synchronous writev rounds, then hand the rest to libuv so one client
  // with a deep backlog cannot monopolise the loop turn.
  for (int round = 0; round < 4 && !queue_.empty(); ++round) {
    uv_buf_t buffers[kMaxIovecs];
    size_t total = 0;
    size_t count = queue_.Fill(buffers, kMaxIovecs, &total);
    int written = uv_try_write(stream, buffers, static_cast<unsigned>(count));
    if (written == UV_EAGAIN) break;
    if (written < 0) {
      LOG_DEBUG("connection %s: write failed: %s", Peer().c_str(), uv_strerror(written));
      Close();
      return;
    }
    queue_.Consume(static_cast<size_t>(written));
    wrote = true;
    if (state_ == State::kStreaming) ++counters().stream_writes;
    if (static_cast<size_t>(written) < total) break;
  }
  if (!queue_.empty()) {
    uv_buf_t buffers[kMaxIovecs];
    size_t total = 0;
    size_t count = queue_.Fill(buffers, kMaxIovecs, &total);
    if (!write_request_) {
      write_request_ = std::make_unique<uv_write_t>();
      write_request_->data = this;
    }
    int rc = uv_write(write_request_.get(), stream, buffers, static_cast<unsigned>(count), OnWrite);
    if (rc != 0) {
      Close();
      return;
    }
    if (state_ == State::kStreaming) ++counters().stream_writes;
    write_in_flight_ = true;
    write_in_flight_bytes_ = total;
  }
  if (wrote && state_ == State::kStreaming) {
    scheduler().TrackStream(this);
  }
  if (queue_.empty() && close_after_flush_) {
    StartLinger();
    return;
  }
  if (wrote) NoteAnswersProgress();
}

void Connection::OnWrite(uv_write_t* request, int status) {
  auto* self = static_cast<Connection*>(request->data);
  self->write_in_flight_ = false;
  if (status == UV_ECANCELED || self->closing_) return;  // Closing; memory goes in OnClosed.
  if (status < 0) {
    LOG_DEBUG("connection %s: write failed: %s", self->Peer().c_str(), uv_strerror(status));
    self->Close();
    return;
  }
  self->queue_.Consume(self->write_in_flight_bytes_);
  self->write_in_flight_bytes_ = 0;
  if (self->state_ == State::kStreaming) {
    self->scheduler().TrackStream(self);
  }
  if (!self->queue_.empty() || self->over_limit_ || self->stream_.cut_off()) {
    self->ScheduleFlush();
  } else if (self->close_after_flush_) {
    self->StartLinger();
    return;
  }
  self->NoteAnswersProgress();
}

void Connection::StartLinger() {
  close_after_flush_ = false;
  state_ = State::kLingering;
  scheduler().UntrackStream(this);
  // Send FIN but keep reading until the peer closes: closing with unread input
  // would send RST and could destroy the response we just wrote.
  if (!shutdown_request_) {
    shutdown_request_ = std::make_unique<uv_shutdown_t>();
    shutdown_request_->data = this;
  }
  if (uv_shutdown(shutdown_request_.get(), reinterpret_cast<uv_stream_t*>(&tcp_), OnShutdown) != 0) {
    Close();
    return;
  }
  if (!reading_ && uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead) == 0) reading_ = true;
  scheduler().TrackLingering(this);
}

void Connection::OnShutdown(uv_shutdown_t* request, int status) {
  auto* self = static_cast<Connection*>(request->data);
  if (status < 0 && status != UV_ECANCELED && !self->closing_) self->Close();
}

void Connection::EndGracefully() {
  if (closing_) return;
  switch (state_) {
    case State::kStreaming:
      stream_.End();
      close_after_flush_ = true;
      break;
    case State::kReading:
      // Let a request in progress, or answers still owed, finish; they are told to close.
      if (session_ && (session_->parser.in_request() || !session_->slots.empty())) return;
      Close();
      break;
    case State::kResponding:
    case State::kLingering:
      break;
  }
}

void Connection::RejectOverloaded() {
  RespondError(503, "too many connections; try again later", nullptr, false);
}

void Connection::OnRequestTimeout() {
  if (answers_backlogged_) {
    ++counters().unread_answer_disconnects;
    LOG_WARN("connection %s cut off: %zu bytes of answers unread for %u s", Peer().c_str(), queue_.bytes(),
             config().header_timeout_seconds);
    Close();
    return;
  }
  ++counters().header_timeouts;
  if (session_ && session_->parser.in_request()) {
    LOG_INFO("connection %s: request not complete within %u s; closing", Peer().c_str(),
             config().header_timeout_seconds);
    RespondError(408, "request not received within the header timeout", nullptr, false);
  } else {
    // An idle keep-alive connection: close silently, as a client may be about
    // to reuse it and a stray 408 would be misread as its answer.
    Close();
  }
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  stream_.Stop();
  if (stream_counted_) {
    context_->client_limits->CloseStream(stream_client_, scheduler().now_ms());
    stream_counted_ = false;
  }
  scheduler().Forget(this);
  context_->owner->OnConnectionClosing(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->context_->owner->OnConnectionClosed(self);
  delete self;
}

}  // namespace ssebridge
