// HttpParser: llhttp fed with bytes, producing one HttpRequest at a time.
// It knows nothing about sockets. Parsing pauses after each complete request so
// the connection can answer it (possibly asynchronously) before the next
// pipelined request is looked at; responses therefore stay in request order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <llhttp.h>

#include "ssebridge/http_request.h"

namespace ssebridge {

class HttpParser {
 public:
  struct Limits {
    size_t max_header_bytes = 16 << 10;  // Request line plus all header lines.
    size_t max_body_bytes = 1 << 20;
  };

  enum class Status {
    kNeedMore,  // All input consumed; no complete request yet.
    kRequest,   // A request is ready in request(); the rest of the input is unconsumed.
    kError,     // Malformed or over a limit; see error_status()/error_message().
  };

  struct FeedResult {
    Status status;
    size_t consumed;  // Bytes of input used; feed the rest again after Resume().
  };

  explicit HttpParser(Limits limits);
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  FeedResult Feed(const char* data, size_t length);

  // After kRequest: take the request, then call Resume() before feeding more.
  HttpRequest TakeRequest();
  // The same, exchanging it for *spare, whose buffers the parser then reuses.
  void SwapRequest(HttpRequest* spare);
  void Resume();

  // True once the head of a request with "Expect: 100-continue" has been parsed
  // and its body has not arrived yet; the caller should send "100 Continue"
  // and then call ClearExpectContinue().
  bool expect_continue() const { return expect_continue_; }
  void ClearExpectContinue() { expect_continue_ = false; }

  // True between the first byte of a request and its completion.
  bool in_request() const { return in_request_; }

  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

 private:
  static int OnMessageBegin(llhttp_t* parser);
  static int OnUrl(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int OnHeadersComplete(llhttp_t* parser);
  static int OnBody(llhttp_t* parser, const char* at, size_t length);
  static int OnMessageComplete(llhttp_t* parser);

  int CountHeaderBytes(const char* at, size_t length);
  int CheckFraming();
  int NormaliseTarget();
  int Fail(int status, std::string message);

  Limits limits_;
  llhttp_settings_t settings_;
  llhttp_t parser_;
  HttpRequest request_;
  size_t header_bytes_ = 0;
  const char* counted_until_ = nullptr;  // End of the last counted head bytes in this input.
  bool last_was_value_ = false;
  // A line break was seen after the last head callback of the previous
  // input, so a value continuing at the start of this one is folded.
  bool line_break_pending_ = false;
  bool in_request_ = false;
  bool expect_continue_ = false;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace ssebridge
