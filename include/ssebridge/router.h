// Router: maps a method and path (below --base-path) to a row of a route
// table. A row names the path, whether it is a prefix, the methods it
// answers and its handler; the table itself is in route_table.h, and the
// router knows nothing of what the handlers do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssebridge {

class Exchange;

// The methods a route answers, as a bit set. OPTIONS (a CORS preflight) is
// answered on every route and is not listed.
enum Method : uint8_t { kGet = 1, kHead = 2, kPost = 4, kDelete = 8 };

using Handler = void (*)(Exchange& exchange);

struct Route {
  std::string_view path;  // Below --base-path: "/publish".
  bool prefix;            // Also matches path + "/" + rest: "/events/a/b".
  uint8_t methods;        // Method bits.
  Handler handler;
};

struct RouteMatch {
  const Route* route = nullptr;  // Null: no such endpoint.
  bool method_allowed = false;
  bool is_preflight = false;  // OPTIONS on a known route.
  std::string_view rest;      // For a prefix route: the path after path + "/" (may be empty).
  const char* allow = "";     // Value for the Allow header.
};

// `path` is the request path without the query. base_path is "" or "/prefix".
RouteMatch MatchRoute(const std::vector<Route>& routes, std::string_view base_path, std::string_view method,
                      std::string_view path);

// "GET, HEAD, OPTIONS" for kGet | kHead: the Allow header for a method set.
const char* AllowHeader(uint8_t methods);

}  // namespace ssebridge
