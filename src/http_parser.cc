#include "ssebridge/http_parser.h"

#include <cstring>

#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

HttpParser* Self(llhttp_t* parser) { return static_cast<HttpParser*>(parser->data); }

bool ContainsLineBreak(const char* begin, const char* end) {
  return begin < end && memchr(begin, '\n', static_cast<size_t>(end - begin)) != nullptr;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

HttpParser::HttpParser(Limits limits) : limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = OnMessageBegin;
  settings_.on_url = OnUrl;
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_body = OnBody;
  settings_.on_message_complete = OnMessageComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

HttpParser::FeedResult HttpParser::Feed(const char* data, size_t length) {
  if (error_status_ != 0) return {Status::kError, 0};
  counted_until_ = data;
  llhttp_errno_t err = llhttp_execute(&parser_, data, length);
  if (err == HPE_OK) {
    if (in_request_) line_break_pending_ = line_break_pending_ || ContainsLineBreak(counted_until_, data + length);
    return {Status::kNeedMore, length};
  }
  if (err == HPE_PAUSED) {
    size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
    return {Status::kRequest, consumed};
  }
  if (error_status_ == 0) {
    // A protocol error from llhttp itself (not one of our limits).
    error_status_ = 400;
    error_message_ = std::string("malformed HTTP request: ") + llhttp_get_error_reason(&parser_);
  }
  return {Status::kError, 0};
}

HttpRequest HttpParser::TakeRequest() { return std::move(request_); }

void HttpParser::SwapRequest(HttpRequest* spare) { std::swap(request_, *spare); }

void HttpParser::Resume() {
  // The next request starts empty (OnMessageBegin clears it).
  llhttp_resume(&parser_);
}

int HttpParser::Fail(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  llhttp_set_error_reason(&parser_, error_message_.c_str());
  return HPE_USER;
}

int HttpParser::CountHeaderBytes(const char* at, size_t length) {
  // Count everything from the end of the previous head callback (or the start
  // of this input) to the end of this one, so separators, padding and empty
  // headers count too, not only the names and values llhttp hands us.
  const char* end = at + length;
  header_bytes_ += (at >= counted_until_) ? static_cast<size_t>(end - counted_until_) : length;
  counted_until_ = end;
  if (header_bytes_ > limits_.max_header_bytes) {
    return Fail(431, "request line and headers exceed " + std::to_string(limits_.max_header_bytes) + " bytes");
  }
  return HPE_OK;
}

int HttpParser::OnMessageBegin(llhttp_t* parser) {
  HttpParser* self = Self(parser);
  self->request_.Clear();
  self->header_bytes_ = 0;
  self->last_was_value_ = false;
  self->line_break_pending_ = false;
  self->in_request_ = true;
  return HPE_OK;
}

int HttpParser::OnUrl(llhttp_t* parser, const char* at, size_t length) {
  HttpParser* self = Self(parser);
  if (int rc = self->CountHeaderBytes(at, length); rc != HPE_OK) return rc;
  self->request_.target.append(at, length);
  return HPE_OK;
}

int HttpParser::OnHeaderField(llhttp_t* parser, const char* at, size_t length) {
  HttpParser* self = Self(parser);
  if (int rc = self->CountHeaderBytes(at, length); rc != HPE_OK) return rc;
  self->line_break_pending_ = false;
  // llhttp may deliver a name in several pieces; a new header starts after a value.
  if (self->request_.headers.empty() || self->last_was_value_) self->request_.headers.emplace_back();
  std::string& name = self->request_.headers.back().first;
  size_t start = name.size();
  name.append(at, length);
  // ASCII lower-casing without the locale lookups tolower() does per byte.
  for (size_t i = start; i < name.size(); ++i) {
    if (name[i] >= 'A' && name[i] <= 'Z') name[i] = static_cast<char>(name[i] + ('a' - 'A'));
  }
  self->last_was_value_ = false;
  return HPE_OK;
}

int HttpParser::OnHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  HttpParser* self = Self(parser);
  // A value never spans a line break, except by obsolete line folding
  // (RFC 9112 section 5.2). llhttp accepts folds, and a folded
  // Content-Length or Transfer-Encoding would be read differently by other
  // parsers along the way, so the request is refused.
  // (An empty value is reported after its line ended, so it is exempt.)
  if (length > 0 &&
      (self->line_break_pending_ || (at >= self->counted_until_ && ContainsLineBreak(self->counted_until_, at)))) {
    std::string name = self->request_.headers.empty() ? "" : self->request_.headers.back().first;
    return self->Fail(400, "obsolete line folding in header '" + name + "'");
  }
  if (int rc = self->CountHeaderBytes(at, length); rc != HPE_OK) return rc;
  if (self->request_.headers.empty()) self->request_.headers.emplace_back();
  self->request_.headers.back().second.append(at, length);
  self->last_was_value_ = true;
  return HPE_OK;
}

int HttpParser::OnHeadersComplete(llhttp_t* parser) {
  HttpParser* self = Self(parser);
  HttpRequest& request = self->request_;
  request.method = llhttp_method_name(static_cast<llhttp_method_t>(parser->method));
  request.http_major = parser->http_major;
  request.http_minor = parser->http_minor;
  request.keep_alive = llhttp_should_keep_alive(parser) != 0;
  // We never switch protocols; ignoring Upgrade (allowed by RFC 9110) keeps the
  // connection in HTTP/1.1 instead of llhttp pausing on it for good.
  parser->upgrade = 0;
  self->line_break_pending_ = false;
  if (int rc = self->CheckFraming(); rc != HPE_OK) return rc;
  if (int rc = self->NormaliseTarget(); rc != HPE_OK) return rc;
  if ((parser->flags & F_CONTENT_LENGTH) && parser->content_length > self->limits_.max_body_bytes) {
    return self->Fail(413, "request body exceeds " + std::to_string(self->limits_.max_body_bytes) + " bytes");
  }
  const std::string* expect = request.Header("expect");
  if (expect && EqualsIgnoreCase(*expect, "100-continue") && request.http_minor >= 1) {
    self->expect_continue_ = true;
  }
  return HPE_OK;
}

// What llhttp leaves to us (it already refuses duplicate Content-Length,
// Content-Length with Transfer-Encoding, and a Transfer-Encoding that does not
// end in chunked): anything but one Transfer-Encoding of exactly "chunked",
// Transfer-Encoding in HTTP/1.0 (RFC 9112 section 6.1), and several Host
// headers. Each is a request that two parsers could frame or route
// differently, so it is refused rather than guessed at.
int HttpParser::CheckFraming() {
  int transfer_encodings = 0;
  int hosts = 0;
  bool chunked_only = true;
  for (const auto& header : request_.headers) {
    if (header.first == "transfer-encoding") {
      ++transfer_encodings;
      if (!EqualsIgnoreCase(TrimSpaces(header.second), "chunked")) chunked_only = false;
    } else if (header.first == "host") {
      ++hosts;
    }
  }
  if (transfer_encodings > 0) {
    if (request_.http_major == 1 && request_.http_minor == 0) {
      return Fail(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
    }
    if (transfer_encodings > 1 || !chunked_only) {
      return Fail(400, "unsupported Transfer-Encoding: only a single 'chunked' is accepted");
    }
  }
  if (hosts > 1) return Fail(400, "more than one Host header");
  return HPE_OK;
}

// Routes look at the path only, so an absolute-form target is reduced to its
// path and query. Its authority replaces Host (RFC 9112 section 3.2.2), and
// ssebridge serves every host name alike, so there is nothing to compare.
int HttpParser::NormaliseTarget() {
  std::string& target = request_.target;
  if (target.empty() || target[0] == '/') return HPE_OK;
  size_t scheme_end = target.find("://");
  if (scheme_end == std::string::npos) return HPE_OK;  // "*" and the like: routed as unknown.
  std::string_view scheme(target.data(), scheme_end);
  if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https")) {
    return Fail(400, "unsupported request target scheme '" + std::string(scheme) + "'");
  }
  size_t authority = scheme_end + 3;
  size_t path = target.find_first_of("/?#", authority);
  if (path == authority || authority == target.size()) return Fail(400, "absolute request target without a host");
  if (path == std::string::npos) {
    target = "/";
  } else if (target[path] == '/') {
    target.erase(0, path);
  } else {
    target.replace(0, path, "/");
  }
  return HPE_OK;
}

int HttpParser::OnBody(llhttp_t* parser, const char* at, size_t length) {
  HttpParser* self = Self(parser);
  self->expect_continue_ = false;
  if (self->request_.body.size() + length > self->limits_.max_body_bytes) {
    return self->Fail(413, "request body exceeds " + std::to_string(self->limits_.max_body_bytes) + " bytes");
  }
  self->request_.body.append(at, length);
  return HPE_OK;
}

int HttpParser::OnMessageComplete(llhttp_t* parser) {
  HttpParser* self = Self(parser);
  self->in_request_ = false;
  self->expect_continue_ = false;
  // Pause so the caller answers this request before the next pipelined one.
  return HPE_PAUSED;
}

}  // namespace ssebridge
