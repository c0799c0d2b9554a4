// HTTP response heads and bodies: status lines, standard headers, JSON errors.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssebridge {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

const char* HttpStatusText(int status);

// A complete response with Content-Length. http_minor selects HTTP/1.0 or 1.1
// in the status line; keep_alive adds "Connection: keep-alive" for 1.0 clients
// that asked for it and "Connection: close" otherwise.
std::string BuildResponse(int status, std::string_view content_type, std::string_view body,
                          const HeaderList& extra_headers, int http_minor, bool keep_alive,
                          bool head_only = false);

// {"error":"message"}
std::string JsonErrorBody(std::string_view message);

// The head of an event stream: chunked for HTTP/1.1, close-delimited for 1.0.
std::string BuildStreamHead(const HeaderList& extra_headers, int http_minor);

}  // namespace ssebridge
