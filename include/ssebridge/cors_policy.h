// CorsPolicy: which origins may read our answers (--cors-origin), and the
// headers that say so. Every response carries Headers(); a preflight
// (OPTIONS on a known route) adds PreflightHeaders().
#pragma once

#include <string>
#include <vector>

#include "ssebridge/http_request.h"
#include "ssebridge/http_response.h"

namespace ssebridge {

class CorsPolicy {
 public:
  // "*" allows any origin (without credentials); other entries are exact origins.
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  // Access-Control-Allow-Origin (and, for a listed origin, -Credentials and
  // Vary) and Access-Control-Expose-Headers naming WWW-Authenticate when the
  // request's Origin is allowed; nothing otherwise. A handler exposing another
  // header appends it to that one list (see BuildPollAnswer).
  HeaderList Headers(const HttpRequest& request) const;

  // Access-Control-Allow-Methods/-Headers/-Max-Age for an allowed origin
  // (without the Allow-Origin headers, which every response gets from Headers()).
  HeaderList PreflightHeaders(const HttpRequest& request) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace ssebridge
