#include "ssebridge/http_response.h"

#include "ssebridge/json_quote.h"

namespace ssebridge {

const char* HttpStatusText(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

namespace {

void AppendStatusLine(std::string* out, int status, int http_minor) {
  out->append(http_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out->append(std::to_string(status));
  out->push_back(' ');
  out->append(HttpStatusText(status));
  out->append("\r\n");
}

void AppendHeaders(std::string* out, const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    out->append(name);
    out->append(": ");
    out->append(value);
    out->append("\r\n");
  }
}

}  // namespace

std::string BuildResponse(int status, std::string_view content_type, std::string_view body,
                          const HeaderList& extra_headers, int http_minor, bool keep_alive, bool head_only) {
  std::string out;
  out.reserve(160 + body.size());
  AppendStatusLine(&out, status, http_minor);
  if (!content_type.empty()) {
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\n");
  }
  out.append("Content-Length: ");
  out.append(std::to_string(body.size()));
  out.append("\r\n");
  out.append("Cache-Control: no-store\r\n");
  AppendHeaders(&out, extra_headers);
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (http_minor == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!head_only) out.append(body);
  return out;
}

std::string JsonErrorBody(std::string_view message) {
  return "{\"error\":" + JsonQuote(message) + "}";
}

std::string BuildStreamHead(const HeaderList& extra_headers, int http_minor) {
  std::string out;
  AppendStatusLine(&out, 200, http_minor);
  out.append(
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n");
  if (http_minor == 0) {
    // HTTP/1.0 has no chunked encoding: the stream ends when the connection does.
    out.append("Connection: close\r\n");
  } else {
    out.append("Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n");
  }
  AppendHeaders(&out, extra_headers);
  out.append("\r\n");
  return out;
}

}  // namespace ssebridge
