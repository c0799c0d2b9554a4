#include "ssebridge/http_session.h"

#include <algorithm>
#include <utility>

#include "ssebridge/access_log.h"
#include "ssebridge/http_parser.h"
#include "ssebridge/http_response.h"
#include "ssebridge/log.h"
#include "ssebridge/metrics.h"

namespace ssebridge {

HttpSession::HttpSession(const Settings& settings)
    : settings_(settings),
      parser_(std::make_unique<HttpParser>(HttpParser::Limits{settings.max_header_bytes, settings.max_body_bytes})) {}

HttpSession::~HttpSession() = default;

bool HttpSession::busy() const { return parser_->in_request() || !slots_.empty(); }

void HttpSession::OnInput(const char* data, size_t length) {
  if (phase_ == Phase::kDone) return;  // Nothing more is expected; input is discarded.
  if (phase_ == Phase::kReading && !input_paused_) {
    Consume(data, length);
    return;
  }
  // Pipelined requests wait until the current answer is written. Reading
  // goes on (stopping and restarting costs two syscalls per publish) until
  // the held input could not be a sane next request.
  pending_input_.append(data, length);
  if (pending_input_.size() > settings_.max_header_bytes + settings_.max_body_bytes) StopReading();
}

void HttpSession::Consume(const char* data, size_t length) {
  while (length > 0 && phase_ == Phase::kReading && !closing()) {
    if (slots_.size() >= kMaxSlots || AnswersBacklogged()) {
      // Enough answers outstanding: keep the rest until some are written.
      input_paused_ = true;
      pending_input_.append(data, length);
      if (AnswersBacklogged()) StopReadingUntilAnswersRead();
      return;
    }
    HttpParser::FeedResult result = parser_->Feed(data, length);
    if (result.status == HttpParser::Status::kError) {
      // The access log's line (in Reject) says the same, with the fields named.
      if (!settings_.access_log) {
        LOG_INFO("connection %s: rejected request: %d %s", Peer().c_str(), parser_->error_status(),
                 parser_->error_message().c_str());
      }
      Reject(parser_->error_status(), parser_->error_message());
      return;
    }
    if (result.status == HttpParser::Status::kNeedMore) {
      if (parser_->expect_continue()) {
        parser_->ClearExpectContinue();
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
    HttpRequest request = std::move(*settings_.spare_request);
    parser_->SwapRequest(&request);
    parser_->Resume();
    HandleRequest(request);
    ReturnSpareRequest(std::move(request));
    if (phase_ == Phase::kResponding && length > 0) {
      pending_input_.append(data, length);
      return;
    }
  }
}

void HttpSession::ReturnSpareRequest(HttpRequest request) {
  // Bodies can be up to --max-body-bytes, and the spare ends up in an idle
  // keep-alive connection's parser: keep only typical small buffers.
  if (request.body.capacity() > 4096) request.body = std::string();
  if (request.target.capacity() > 4096) request.target = std::string();
  *settings_.spare_request = std::move(request);
}

// The client sends requests faster than it reads the answers (or not at all):
// stop reading, as Redis and libuv do, so that its pipelined requests wait in
// the kernel's buffers rather than as answers in our memory. The request
// timeout now measures how long it leaves its answers unread.
void HttpSession::StopReadingUntilAnswersRead() {
  answers_backlogged_ = true;
  StopReading();
  TrackRequestTimeout();
}

// Runs last in the connection's flush and write callback, so nothing of
// theirs follows the requests it may handle.
void HttpSession::NoteAnswersProgress() {
  if (!answers_backlogged_ || closing()) return;
  if (queued_bytes() > kAnswersLowWater) {
    TrackRequestTimeout();
    return;
  }
  answers_backlogged_ = false;
  if (phase_ == Phase::kReading && slots_.size() < kMaxSlots) {
    EnterReading();
    ResumeInput();
  }
}

void HttpSession::ResumeInput() {
  if (answers_backlogged_) return;  // NoteAnswersProgress() resumes once the client reads.
  input_paused_ = false;
  if (!closing() && phase_ == Phase::kReading) StartReading();
  if (pending_input_.empty() || phase_ != Phase::kReading) return;
  std::string input = std::move(pending_input_);
  pending_input_.clear();
  Consume(input.data(), input.size());
}

void HttpSession::EnterReading() {
  phase_ = Phase::kReading;
  TrackRequestTimeout();
  if (!closing() && !answers_backlogged_) StartReading();
}

void HttpSession::BeginClose() {
  phase_ = Phase::kDone;
  CloseAfterFlush();
}

void HttpSession::EmitResponse(std::string bytes, bool keep_alive) {
  if (slots_.empty()) {
    QueueAnswer(std::move(bytes));
    if (!keep_alive) BeginClose();
    return;
  }
  slots_.push_back(ResponseSlot{true, keep_alive, std::move(bytes)});
  // The client asked to close: read no further requests.
  if (!keep_alive) phase_ = Phase::kDone;
}

void HttpSession::QueueAnswer(std::string bytes) {
  Send(std::move(bytes));
  // Backpressure keeps answers near the high-water mark; only answers that
  // are huge or many at once (a batch of pipelined publishes completing)
  // overshoot it. Past the hard limit the client is cut off at the next flush.
  const size_t hard_limit = std::max<size_t>(settings_.client_buffer_bytes, kAnswersHardFloor);
  if (!over_limit_ && queued_bytes() > hard_limit) {
    over_limit_ = true;
    CutOffAtNextFlush();
    if (settings_.counters != nullptr) ++settings_.counters->unread_answer_disconnects;
    LOG_WARN("connection %s cut off: %zu bytes of answers unread, limit %zu", Peer().c_str(), queued_bytes(),
             hard_limit);
  }
}

void HttpSession::DrainSlots() {
  while (!slots_.empty() && slots_.front().ready) {
    ResponseSlot slot = std::move(slots_.front());
    slots_.erase(slots_.begin());
    ++first_slot_sequence_;
    QueueAnswer(std::move(slot.bytes));
    if (!slot.keep_alive) {
      slots_.clear();
      BeginClose();
      return;
    }
  }
  if (!slots_.empty()) return;
  if (deferred_stream_) {
    std::unique_ptr<HttpRequest> request = std::move(deferred_stream_);
    phase_ = Phase::kReading;
    HandleRequest(*request);
  } else if (phase_ == Phase::kReading) {
    EnterReading();
  }
  if (phase_ == Phase::kReading) ResumeInput();
}

void HttpSession::Answer(std::string bytes, bool keep_alive) {
  EmitResponse(std::move(bytes), keep_alive);
  if (keep_alive && slots_.empty() && phase_ == Phase::kReading) EnterReading();
}

void HttpSession::Reject(int status, const std::string& message) {
  if (settings_.counters != nullptr) ++settings_.counters->http_errors;
  // No method or path: the request was not parsed (or never arrived).
  if (settings_.access_log) LogRequestRejected({status, message, Peer(), "", ""});
  // The request could not be parsed (or never came): answer in HTTP/1.1 and
  // close, since the byte stream can no longer be trusted to delimit the next
  // request.
  EmitResponse(BuildResponse(status, "application/json", JsonErrorBody(message), {}, 1, false), false);
}

uint64_t HttpSession::ReserveSlot(bool keep_alive) {
  const uint64_t sequence = first_slot_sequence_ + slots_.size();
  slots_.push_back(ResponseSlot{false, keep_alive, std::string()});
  if (!keep_alive) phase_ = Phase::kDone;
  UntrackRequestTimeout();
  return sequence;
}

void HttpSession::Complete(uint64_t sequence, std::string bytes) {
  if (sequence < first_slot_sequence_ || sequence - first_slot_sequence_ >= slots_.size()) return;
  ResponseSlot& slot = slots_[sequence - first_slot_sequence_];
  slot.bytes = std::move(bytes);
  slot.ready = true;
  DrainSlots();
}

bool HttpSession::HoldBehindEarlierAnswers(HttpRequest& request) {
  if (slots_.empty()) return false;
  deferred_stream_ = std::make_unique<HttpRequest>(std::move(request));
  phase_ = Phase::kResponding;
  UntrackRequestTimeout();
  return true;
}

void HttpSession::Suspend(HttpRequest& request) {
  suspended_ = std::make_unique<HttpRequest>(std::move(request));
  phase_ = Phase::kResponding;
  UntrackRequestTimeout();
}

bool HttpSession::ResumeSuspended() {
  if (!suspended_ || phase_ != Phase::kResponding) return false;
  std::unique_ptr<HttpRequest> request = std::move(suspended_);
  phase_ = Phase::kReading;
  HandleRequest(*request);
  // Answered now (or deferred, or suspended again): as after any request,
  // the next one is read once nothing earlier is owed.
  if (phase_ == Phase::kReading && slots_.empty()) EnterReading();
  if (phase_ == Phase::kReading) ResumeInput();
  return true;
}

void HttpSession::OnRequestTimeout() {
  if (answers_backlogged_) {
    if (settings_.counters != nullptr) ++settings_.counters->unread_answer_disconnects;
    LOG_WARN("connection %s cut off: %zu bytes of answers unread for %u s", Peer().c_str(), queued_bytes(),
             settings_.header_timeout_seconds);
    Close();
    return;
  }
  if (settings_.counters != nullptr) ++settings_.counters->header_timeouts;
  if (parser_->in_request()) {
    LOG_INFO("connection %s: request not complete within %u s; closing", Peer().c_str(),
             settings_.header_timeout_seconds);
    Reject(408, "request not received within the header timeout");
  } else {
    // An idle keep-alive connection: close silently, as a client may be about
    // to reuse it and a stray 408 would be misread as its answer.
    Close();
  }
}

}  // namespace ssebridge
