// HttpRequest: one parsed request, as handlers see it. Kept apart from the
// parser so that code handling requests does not pull in llhttp.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssebridge {

struct HttpRequest {
  std::string method;
  // Request target in origin form, e.g. "/events?channel=a". An absolute-form
  // target ("http://host/events?channel=a", RFC 9112 section 3.2.2) arrives
  // here without its scheme and authority.
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  std::string body;
  int http_major = 1;
  int http_minor = 1;
  bool keep_alive = true;

  // First header with this lower-case name, or nullptr.
  const std::string* Header(std::string_view lower_name) const;

  // Empties the request but keeps its buffers, so a reused request object
  // parses the next one without allocating again.
  void Clear();
};

}  // namespace ssebridge
