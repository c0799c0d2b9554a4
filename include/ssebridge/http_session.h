// HttpSession: the HTTP/1.1 side of a connection that reads requests. It is
// fed the bytes the socket delivers and hands each complete request to
// HandleRequest(); it knows no socket and no routes. It keeps
//  - the parser, and the input held back while parsing is paused;
//  - the answers in request order: pipelined requests may be answered later
//    (a publish waiting for its broker) and out of order, and each answer
//    waits in its slot until every earlier one has been queued;
//  - keep-alive and "Connection: close", "Expect: 100-continue", the header
//    timeout, and the answers' backpressure: above the high-water mark no
//    further request is parsed and reading stops; below the low-water mark it
//    resumes; past the hard limit the client is cut off;
//  - a stream request (GET /events) held behind earlier unanswered requests.
//
// The connection derives from it and supplies the socket-side operations
// below (called per request or per answer, never per event delivery). It
// allocates the session at accept and releases it when the connection becomes
// an event stream — but only after the session's own call has returned, since
// a stream starts from inside HandleRequest().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ssebridge/http_request.h"

namespace ssebridge {

class HttpParser;
struct Counters;

class HttpSession {
 public:
  // Answers to requests that the client has not read yet: see above. If the
  // client reads nothing for --header-timeout while reading is stopped, or the
  // answers exceed the hard limit (--client-buffer-bytes, at least
  // kAnswersHardFloor), it is cut off.
  static constexpr size_t kAnswersHighWater = 128 * 1024;
  static constexpr size_t kAnswersLowWater = 32 * 1024;
  static constexpr size_t kAnswersHardFloor = 256 * 1024;
  // Pipelined requests answered out of band at once on one connection.
  static constexpr size_t kMaxSlots = 64;

  struct Settings {
    size_t max_header_bytes = 16 << 10;
    size_t max_body_bytes = 1 << 20;
    size_t client_buffer_bytes = 0;  // The hard limit, raised to kAnswersHardFloor.
    unsigned header_timeout_seconds = 0;  // For log lines; the scheduler times.
    Counters* counters = nullptr;
    // Parsed requests are swapped with this spare so that their strings and
    // header vector are reused rather than allocated per request.
    HttpRequest* spare_request = nullptr;
    bool access_log = false;  // --access-log: a line for each request refused here.
  };

  explicit HttpSession(const Settings& settings);
  virtual ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Reading has started: the header timeout runs from now.
  void Start() { EnterReading(); }
  // Bytes from the socket.
  void OnInput(const char* data, size_t length);
  // Bytes were written: a backlogged client that reads restarts its timeout,
  // and below the low-water mark its requests are parsed again.
  void NoteAnswersProgress();
  void OnRequestTimeout();

  // The ways HandleRequest() answers (through the connection's exchange).
  // A complete answer now.
  void Answer(std::string bytes, bool keep_alive);
  // An error answer in HTTP/1.1 with no request to answer (unparseable, a
  // timeout, overload); the connection closes after it.
  void Reject(int status, const std::string& message);
  // Reserves the next answer's place; returns the sequence for Complete().
  uint64_t ReserveSlot(bool keep_alive);
  // Fills a reserved place; answers leave once every earlier one has.
  void Complete(uint64_t sequence, std::string bytes);
  // Keeps a stream request until earlier answers are out, then hands it to
  // HandleRequest() again. False when nothing is owed.
  bool HoldBehindEarlierAnswers(HttpRequest& request);
  // Keeps `request` until ResumeSuspended(); meanwhile no further request
  // is parsed and the header timeout does not run (whoever resumes it has
  // its own). See Exchange::Suspend.
  void Suspend(HttpRequest& request);
  // Hands the suspended request to HandleRequest() again, then goes on
  // reading. False when none is suspended.
  bool ResumeSuspended();
  // The connection became an event stream: no further request is read.
  void Finish() { phase_ = Phase::kDone; }

  // Still reading requests (not held, not closing, not a stream).
  bool reading_requests() const { return phase_ == Phase::kReading; }
  // A request is half-received or answers are owed.
  bool busy() const;
  bool has_slots() const { return !slots_.empty(); }

 protected:
  // One complete request. It is answered through the calls above before
  // this returns, or later through Complete().
  virtual void HandleRequest(HttpRequest& request) = 0;
  // Queues bytes for the client and schedules a flush.
  virtual void Send(std::string bytes) = 0;
  virtual size_t queued_bytes() const = 0;
  // Answers over the hard limit: close at the next flush.
  virtual void CutOffAtNextFlush() = 0;
  // Linger and close once everything queued is written.
  virtual void CloseAfterFlush() = 0;
  virtual void Close() = 0;
  virtual bool closing() const = 0;
  virtual void StartReading() = 0;
  virtual void StopReading() = 0;
  // Starts (or restarts) the header timeout from now, or stops it.
  virtual void TrackRequestTimeout() = 0;
  virtual void UntrackRequestTimeout() = 0;
  // "address:port" of the client, for log lines.
  virtual std::string Peer() const = 0;

 private:
  enum class Phase {
    kReading,     // Waiting for or parsing a request.
    kResponding,  // A stream request waits for earlier answers, or a request for a check.
    kDone,        // No further request: closing after an answer, or a stream.
  };
  struct ResponseSlot {
    bool ready = false;
    bool keep_alive = true;
    std::string bytes;
  };

  void Consume(const char* data, size_t length);
  void EmitResponse(std::string bytes, bool keep_alive);
  void QueueAnswer(std::string bytes);
  void DrainSlots();
  void ResumeInput();
  void EnterReading();
  void BeginClose();
  void StopReadingUntilAnswersRead();
  void ReturnSpareRequest(HttpRequest request);
  bool AnswersBacklogged() const { return queued_bytes() >= kAnswersHighWater; }

  Settings settings_;
  std::unique_ptr<HttpParser> parser_;
  std::string pending_input_;  // Unparsed bytes held while input is paused.
  std::vector<ResponseSlot> slots_;  // At most kMaxSlots.
  uint64_t first_slot_sequence_ = 0;  // Sequence number of slots_.front().
  std::unique_ptr<HttpRequest> deferred_stream_;  // GET /events behind unanswered requests.
  std::unique_ptr<HttpRequest> suspended_;  // A request waiting for a check (Suspend()).
  Phase phase_ = Phase::kReading;
  bool input_paused_ = false;
  bool answers_backlogged_ = false;  // Reading stopped until the client reads its answers.
  bool over_limit_ = false;  // Cut off for unread answers; counted once.
};

}  // namespace ssebridge
