// Router: maps a method and path (below --base-path) to a route.
#pragma once

#include <string>
#include <string_view>

namespace ssebridge {

enum class Route { kStream, kPublish, kHealth, kMetrics, kDemoPage, kNotFound };

struct RouteMatch {
  Route route = Route::kNotFound;
  bool method_allowed = false;
  bool is_preflight = false;   // OPTIONS on a known route.
  std::string_view rest;       // For kStream: the path after "/events/" (may be empty).
  const char* allow = "";      // Value for the Allow header.
};

// `path` is the request path without the query. base_path is "" or "/prefix".
RouteMatch MatchRoute(std::string_view base_path, std::string_view method, std::string_view path);

}  // namespace ssebridge
