#include "ssebridge/http_parser.h"

#include "ssebridge/uri.h"

namespace ssebridge {
namespace {

HttpParser* Self(llhttp_t* parser) { return static_cast<HttpParser*>(parser->data); }

}  // namespace

const std::string* HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& header : headers) {
    if (header.first == lower_name) return &header.second;
  }
  return nullptr;
}

void HttpRequest::Clear() {
  method.clear();
  target.clear();
  headers.clear();
  body.clear();
  http_major = 1;
  http_minor = 1;
  keep_alive = true;
}

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
  if (err == HPE_OK) return {Status::kNeedMore, length};
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
  if ((parser->flags & F_CONTENT_LENGTH) && parser->content_length > self->limits_.max_body_bytes) {
    return self->Fail(413, "request body exceeds " + std::to_string(self->limits_.max_body_bytes) + " bytes");
  }
  const std::string* expect = request.Header("expect");
  if (expect && EqualsIgnoreCase(*expect, "100-continue") && request.http_minor >= 1) {
    self->expect_continue_ = true;
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
