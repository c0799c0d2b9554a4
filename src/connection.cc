#include "ssebridge/connection.h"

#include <utility>

#include "ssebridge/access_log.h"
#include "ssebridge/authorizer.h"
#include "ssebridge/config.h"
#include "ssebridge/cors_policy.h"
#include "ssebridge/exchange.h"
#include "ssebridge/handlers/route_table.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"
#include "ssebridge/poll_holds.h"
#include "ssebridge/subscribe_request.h"
#include "ssebridge/uri.h"

namespace ssebridge {

const LoopScheduler::Actions Connection::kSchedulerActions = {
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->Flush(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->OnRequestTimeout(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->OnLingerTimeout(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->SendHeartbeat(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->OnPollTimeout(); },
    [](LoopScheduler::Entry* entry) { static_cast<Connection*>(entry)->OnStreamAged(); },
};

const Transport::Events Connection::kTransportEvents = {
    [](void* owner) {
      // One buffer for the whole loop: input is parsed before the read
      // callback returns.
      BridgeContext* context = static_cast<Connection*>(owner)->context_;
      return uv_buf_init(context->read_buffer, static_cast<unsigned>(context->read_buffer_size));
    },
    [](void* owner, const char* data, size_t length) {
      auto* self = static_cast<Connection*>(owner);
      // Streams and lingering connections expect nothing more: input is discarded.
      if (self->state_ != State::kSession || !self->session_) return;
      self->session_->OnInput(data, length);
      self->ReleaseSessionIfStreaming();
    },
    [](void* owner) { static_cast<Connection*>(owner)->Close(); },
    [](void* owner, size_t bytes) { static_cast<Connection*>(owner)->OnWritten(bytes); },
    [](void* owner) {
      auto* self = static_cast<Connection*>(owner);
      self->context_->owner->OnConnectionClosed(self);
      delete self;
    },
};

// The session's socket side is this connection's.
class Connection::Session final : public HttpSession {
 public:
  Session(Connection* connection, const Settings& settings) : HttpSession(settings), connection_(connection) {}

 private:
  void HandleRequest(HttpRequest& request) override { connection_->HandleRequest(request); }
  void Send(std::string bytes) override { connection_->QueueRaw(std::move(bytes)); }
  size_t queued_bytes() const override { return connection_->queue_.bytes(); }
  void CutOffAtNextFlush() override { connection_->over_limit_ = true; }
  void CloseAfterFlush() override { connection_->CloseAfterFlush(); }
  void Close() override { connection_->Close(); }
  bool closing() const override { return connection_->closing(); }
  void StartReading() override { connection_->transport_.StartReading(); }
  void StopReading() override { connection_->transport_.StopReading(); }
  void TrackRequestTimeout() override { connection_->scheduler().TrackReading(connection_); }
  void UntrackRequestTimeout() override { connection_->scheduler().UntrackDeadline(connection_); }
  std::string Peer() const override { return connection_->Peer(); }

 public:
  std::unique_ptr<LongPoll> poll;  // Set while the connection is polling.

 private:
  Connection* connection_;
};

LongPoll* Connection::poll() const {
  return state_ == State::kPolling ? static_cast<Session*>(session_.get())->poll.get() : nullptr;
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
    connection_->RespondError(status, message, request_, keep_alive(), std::move(extra));
  }
  DeferredAnswer DeferAnswer() override {
    const uint64_t sequence = connection_->session_->ReserveSlot(keep_alive());
    return DeferredAnswer(context().owner, connection_->id_, sequence, context().cors->Headers(request_),
                          request_.http_minor, keep_alive());
  }
  bool HoldBehindEarlierAnswers() override { return connection_->session_->HoldBehindEarlierAnswers(request_); }
  bool Suspend(uint64_t* connection_id) override {
    connection_->session_->Suspend(request_);
    *connection_id = connection_->id_;
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

Connection::Connection(BridgeContext* context, uint64_t id, const IpAddress& peer)
    : context_(context),
      id_(id),
      peer_address_(peer),
      transport_(context->scheduler->loop(), &kTransportEvents, this),
      queue_(context->config->client_buffer_bytes),
      stream_(context, &queue_, this, this) {}

int Connection::Open(int fd, TlsContext* tls) {
  int rc = transport_.Open(fd);
  if (rc != 0) return rc;
  if (tls != nullptr) {
    rc = transport_.StartTls(tls);
    if (rc != 0) return rc;
  }
  const Config& config = this->config();
  HttpSession::Settings settings;
  settings.max_header_bytes = config.max_header_bytes;
  settings.max_body_bytes = config.max_body_bytes;
  settings.client_buffer_bytes = config.client_buffer_bytes;
  settings.header_timeout_seconds = config.header_timeout_seconds;
  settings.counters = context_->counters;
  settings.spare_request = &context_->spare_request;
  settings.access_log = config.access_log;
  session_ = std::make_unique<Session>(this, settings);
  rc = transport_.StartReading();
  if (rc != 0) return rc;
  session_->Start();
  return 0;
}

void Connection::HandleRequest(HttpRequest& request) {
  ++counters().requests;
  std::string_view path;
  std::string_view query;
  SplitTarget(request.target, &path, &query);
  RouteMatch match = MatchRoute(BridgeRoutes(), config().base_path, request.method, path);
  RequestExchange exchange(this, request, match.rest, query);
  Dispatch(exchange, match, path);
}

void Connection::Respond(int status, std::string_view content_type, std::string_view body,
                         const HttpRequest& request, HeaderList extra, bool keep_alive) {
  HeaderList headers = context_->cors->Headers(request);
  headers.insert(headers.end(), extra.begin(), extra.end());
  session_->Answer(BuildResponse(status, content_type, body, headers, request.http_minor, keep_alive,
                                 request.method == "HEAD"),
                   keep_alive);
}

void Connection::RespondError(int status, const std::string& message, const HttpRequest& request, bool keep_alive,
                              HeaderList extra) {
  ++counters().http_errors;
  // The target may carry a token (access_token=...): the access log redacts it.
  if (config().access_log) LogRequestRejected({status, message, Peer(), request.method, request.target});
  Respond(status, "application/json", JsonErrorBody(message), request, std::move(extra), keep_alive);
}

void Connection::StartStream(const HttpRequest& request, const SubscribeRequest& subscribe) {
  if (subscribe.poll) {
    StartPoll(request, subscribe);
    return;
  }
  const bool chunked = request.http_major == 1 && request.http_minor >= 1;
  state_ = State::kStreaming;
  session_->Finish();
  scheduler().UntrackDeadline(this);
  HeaderList headers = context_->cors->Headers(request);
  if (!subscribe.client_id.empty()) headers.emplace_back("X-SSE-Client-Id", subscribe.client_id);
  // The access log's bytes and duration count from the stream's head. The
  // deadline's start time is free: a stream has no request deadline.
  queue_.ResetWritten();
  deadline_start_ms = scheduler().now_ms();
  QueueRaw(BuildStreamHead(headers, chunked ? 1 : 0));
  ConnectionOwner* owner = context_->owner;
  const uint64_t id = id_;
  stream_.Start(subscribe, chunked, [owner, id]() -> EventStream* {
    Connection* self = owner->FindConnection(id);
    return self != nullptr ? &self->stream_ : nullptr;
  });
  // The request's deadline is untracked above, so the hook is free for the age.
  scheduler().TrackStreamAge(this);
  LOG_DEBUG("stream %llu opened by %s for %zu channel(s)", static_cast<unsigned long long>(id_), Peer().c_str(),
            subscribe.channels.size());
  ScheduleFlush();
}

// A long poll is a stream whose bytes wait until the answer is complete.
void Connection::StartPoll(const HttpRequest& request, const SubscribeRequest& subscribe) {
  state_ = State::kPolling;
  session_->Finish();
  scheduler().UntrackDeadline(this);
  auto owned = std::make_unique<LongPoll>();
  LongPoll& poll = *owned;
  static_cast<Session*>(session_.get())->poll = std::move(owned);
  poll.channels = subscribe.channels;
  poll.cursor = subscribe.poll->cursor;
  poll.headers = context_->cors->Headers(request);
  poll.http_minor = request.http_minor;
  PollHolds* holds = context_->poll_holds;
  const uint64_t token = poll.cursor ? poll.cursor->token : 0;
  const PollHolds::State hold = holds != nullptr && token != 0 ? holds->Check(token, subscribe.channels)
                                                               : PollHolds::State::kMissing;
  SubscribeRequest start;
  start.channels = subscribe.channels;
  start.last_event_id = PollResumePoint(subscribe, hold);
  poll.resumed = start.last_event_id.has_value();
  ConnectionOwner* owner = context_->owner;
  const uint64_t id = id_;
  stream_.Start(start, false, [owner, id]() -> EventStream* {
    Connection* self = owner->FindConnection(id);
    return self != nullptr ? &self->stream_ : nullptr;
  }, true);
  poll.preamble_bytes = queue_.bytes();
  // The stream subscribed first, so nothing falls between the hold and it.
  if (hold != PollHolds::State::kMissing) stream_.Carry(holds->Take(token));
  scheduler().TrackPolling(this);
  ScheduleFlush();
}

// Answers the poll once something past the preamble is queued and no replay
// is pending. False while it waits.
bool Connection::AnswerPollIfReady() {
  LongPoll* poll = this->poll();
  if (stream_.replaying() || queue_.bytes() <= poll->preamble_bytes) return false;
  CountLongPoll(context_->counters, PollOutcome(*poll, queue_.bytes(), context_->shutting_down));
  std::string answer = FinishPoll(*poll, &stream_, &queue_, context_->poll_holds, config(), scheduler().now_ms(),
                                  !context_->shutting_down);
  queue_.set_limit_bytes(config().client_buffer_bytes);
  queue_.PushUnbounded(Frame::AdoptRaw(std::move(answer)), false);
  scheduler().UntrackDeadline(this);
  close_after_flush_ = true;
  state_ = State::kLingering;
  session_.reset();  // Called from the scheduler's flush: no session call is on the stack.
  return true;
}

void Connection::LogStreamEnd(const char* reason, bool orderly) {
  if (state_ != State::kStreaming || stream_logged_ || !config().access_log) return;
  stream_logged_ = true;
  StreamAccess access;
  access.peer = Peer();
  access.channels = stream_.ChannelNames(20);
  access.channel_count = stream_.topic_count();
  access.duration_ms = scheduler().now_ms() - deadline_start_ms;
  access.events = stream_.events();
  access.bytes = queue_.written() + (orderly ? queue_.bytes() : 0);
  access.reason = reason;
  LogStreamEnded(access);
}

void Connection::OnStreamAged() {
  if (state_ != State::kStreaming || closing()) return;
  stream_.EndByAge();
}

void Connection::OnPollTimeout() {
  LongPoll* poll = this->poll();
  if (poll == nullptr || poll->timed_out || closing()) return;
  poll->timed_out = true;
  static const FrameRef kHeartbeat = Frame::FromPayload(kPollTimeoutHeartbeat);
  queue_.PushUnbounded(kHeartbeat, false);
  ScheduleFlush();
}

// An idle stream needs no session. It is dropped as soon as the session's
// call that started the stream has returned (not at the next flush), so the
// next connection accepted in this turn can reuse the memory.
void Connection::ReleaseSessionIfStreaming() {
  if (state_ == State::kStreaming) session_.reset();
}

void Connection::CompleteSlot(uint64_t sequence, std::string bytes) {
  if (!session_) return;
  session_->Complete(sequence, std::move(bytes));
  ReleaseSessionIfStreaming();
}

void Connection::ResumeSuspended() {
  if (!session_) return;
  session_->ResumeSuspended();
  ReleaseSessionIfStreaming();
}

void Connection::NoteAnswersProgress() {
  if (!session_) return;
  session_->NoteAnswersProgress();
  ReleaseSessionIfStreaming();
}

void Connection::QueueRaw(std::string bytes) {
  queue_.PushUnbounded(Frame::AdoptRaw(std::move(bytes)), false);
  ScheduleFlush();
}

void Connection::CloseAfterFlush() {
  close_after_flush_ = true;
  state_ = State::kLingering;
  scheduler().UntrackDeadline(this);
  ScheduleFlush();
}

void Connection::ScheduleFlush() {
  if (!closing()) scheduler().ScheduleFlush(this);
}

void Connection::Flush() {
  if (closing()) return;
  if (over_limit_ || stream_.cut_off()) {
    LogStreamEnd(stream_end::kCutOff, false);
    Close();
    return;
  }
  // Nothing of a long poll leaves before the whole answer.
  if (state_ == State::kPolling && !AnswerPollIfReady()) return;
  const uint32_t oldest_fanout_us = queue_.front_fanout_us();
  const Transport::FlushResult result = transport_.Flush(&queue_);
  counters().bytes_written += result.bytes;
  if (state_ == State::kStreaming) {
    counters().stream_writes += result.writes;
    // Timed with the flush pass's clock, not a clock read per write;
    // bench/fanout_fixture.h does the same so that callgrind counts it.
    if (result.writes != 0) RecordStreamWrite(&counters(), oldest_fanout_us, scheduler().write_clock_us());
  }
  if (result.failed) {
    LogStreamEnd(stream_end::kWriteFailed, false);
    Close();
    return;
  }
  if (result.wrote && state_ == State::kStreaming) scheduler().TrackStream(this);
  if (queue_.empty() && close_after_flush_) {
    StartLinger();
    return;
  }
  // Last, so nothing of the flush follows the requests it may handle.
  if (result.wrote) NoteAnswersProgress();
}

void Connection::OnWritten(size_t bytes) {
  counters().bytes_written += bytes;
  queue_.Consume(bytes);
  if (state_ == State::kStreaming) scheduler().TrackStream(this);
  if (!queue_.empty() || over_limit_ || stream_.cut_off()) {
    ScheduleFlush();
  } else if (close_after_flush_) {
    StartLinger();
    return;
  }
  NoteAnswersProgress();
}

void Connection::StartLinger() {
  close_after_flush_ = false;
  state_ = State::kLingering;
  scheduler().UntrackStream(this);
  if (!transport_.Linger()) {
    Close();
    return;
  }
  scheduler().TrackLingering(this);
}

void Connection::CloseAfterStreamEnd() {
  if (state_ != State::kStreaming || closing()) return;
  close_after_flush_ = true;
  ScheduleFlush();
}

void Connection::EndGracefully() {
  if (closing()) return;
  switch (state_) {
    case State::kPolling:
      OnPollTimeout();  // Answered at once, without a hold.
      break;
    case State::kStreaming:
      LogStreamEnd(stream_end::kShutdown, true);
      stream_.End();
      close_after_flush_ = true;
      break;
    case State::kSession:
      // A stream request held behind answers, or a close after an answer,
      // finishes on its own.
      if (!session_ || !session_->reading_requests()) break;
      // Let a request in progress, or answers still owed, finish; they are told to close.
      if (session_->busy()) return;
      Close();
      break;
    case State::kLingering:
      break;
  }
}

void Connection::EndStream(uint32_t retry_ms) {
  if (!is_open_stream()) return;
  LogStreamEnd(stream_end::kDrain, true);
  stream_.EndWithRetry(retry_ms);
  close_after_flush_ = true;
}

void Connection::RejectOverloaded() {
  if (session_) session_->Reject(503, "too many connections; try again later");
}

void Connection::OnRequestTimeout() {
  if (session_) {
    session_->OnRequestTimeout();
    return;
  }
  ++counters().header_timeouts;
  Close();
}

void Connection::Close() {
  if (closing()) return;
  // Any other reason was logged where it arose: the client went away.
  LogStreamEnd(stream_end::kClientClosed, false);
  // The handle closes on a later loop turn; until then nothing is written.
  transport_.Close();
  stream_.Stop();
  if (stream_counted_) {
    context_->client_limits->CloseStream(stream_client_, scheduler().now_ms());
    stream_counted_ = false;
  }
  scheduler().Forget(this);
  context_->owner->OnConnectionClosing(this);
}

std::string Connection::Describe() const {
  std::string text = "connection " + std::to_string(id_) + " from " + transport_.Peer() + ": ";
  switch (state_) {
    case State::kSession:
      return text + "reading requests";
    case State::kStreaming:
      return text + "stream on " + stream_.DescribeTopics(3) + ", " + std::to_string(queue_.bytes()) + " bytes queued";
    case State::kPolling:
      return text + "long poll on " + stream_.DescribeTopics(3) + ", " + std::to_string(queue_.bytes()) +
             " bytes waiting for the answer";
    case State::kLingering:
      return text + "closing";
  }
  return text;
}

}  // namespace ssebridge
