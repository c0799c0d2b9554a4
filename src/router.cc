#include "ssebridge/router.h"

namespace ssebridge {

RouteMatch MatchRoute(std::string_view base_path, std::string_view method, std::string_view path) {
  RouteMatch match;
  if (path.substr(0, base_path.size()) != base_path) return match;
  std::string_view local = path.substr(base_path.size());
  // "/sse" and "/sse/" both reach the demo page under --base-path /sse.
  if (local.empty()) local = "/";
  if (local[0] != '/') return match;

  const bool is_get = method == "GET" || method == "HEAD";
  if (local == "/events" || local.substr(0, 8) == "/events/") {
    match.route = Route::kStream;
    match.rest = local.size() > 8 ? local.substr(8) : std::string_view();
    match.method_allowed = method == "GET";
    match.allow = "GET, OPTIONS";
  } else if (local == "/publish") {
    match.route = Route::kPublish;
    match.method_allowed = method == "POST";
    match.allow = "POST, OPTIONS";
  } else if (local == "/healthz") {
    match.route = Route::kHealth;
    match.method_allowed = is_get;
    match.allow = "GET, HEAD, OPTIONS";
  } else if (local == "/metrics") {
    match.route = Route::kMetrics;
    match.method_allowed = is_get;
    match.allow = "GET, HEAD, OPTIONS";
  } else if (local == "/" || local == "/index.html") {
    match.route = Route::kDemoPage;
    match.method_allowed = is_get;
    match.allow = "GET, HEAD, OPTIONS";
  } else {
    return match;
  }
  if (method == "OPTIONS") {
    match.is_preflight = true;
    match.method_allowed = true;
  }
  return match;
}

}  // namespace ssebridge
