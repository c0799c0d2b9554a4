#include "ssebridge/router.h"

#include <array>

namespace ssebridge {
namespace {

uint8_t MethodBit(std::string_view method) {
  if (method == "GET") return kGet;
  if (method == "HEAD") return kHead;
  if (method == "POST") return kPost;
  if (method == "DELETE") return kDelete;
  return 0;
}

// Matches "/events" and "/events/…" for a prefix row, the exact path otherwise.
bool MatchPath(const Route& route, std::string_view local, std::string_view* rest) {
  if (local.substr(0, route.path.size()) != route.path) return false;
  std::string_view after = local.substr(route.path.size());
  if (after.empty()) return true;
  if (!route.prefix || after[0] != '/') return false;
  *rest = after.substr(1);
  return true;
}

}  // namespace

const char* AllowHeader(uint8_t methods) {
  // Built once: every method set a table can name, in a fixed order.
  static const std::array<std::string, 16> kHeaders = [] {
    std::array<std::string, 16> headers;
    for (uint8_t set = 0; set < headers.size(); ++set) {
      for (auto [bit, name] : {std::pair<uint8_t, const char*>{kGet, "GET"}, {kHead, "HEAD"}, {kPost, "POST"},
                               {kDelete, "DELETE"}}) {
        if (set & bit) headers[set].append(name).append(", ");
      }
      headers[set].append("OPTIONS");
    }
    return headers;
  }();
  return kHeaders[methods & 15].c_str();
}

RouteMatch MatchRoute(const std::vector<Route>& routes, std::string_view base_path, std::string_view method,
                      std::string_view path) {
  RouteMatch match;
  if (path.substr(0, base_path.size()) != base_path) return match;
  std::string_view local = path.substr(base_path.size());
  // "/sse" and "/sse/" both reach the demo page under --base-path /sse.
  if (local.empty()) local = "/";
  if (local[0] != '/') return match;

  for (const Route& route : routes) {
    std::string_view rest;
    if (!MatchPath(route, local, &rest)) continue;
    match.route = &route;
    match.rest = rest;
    match.allow = AllowHeader(route.methods);
    if (method == "OPTIONS") {
      match.is_preflight = true;
      match.method_allowed = true;
    } else {
      match.method_allowed = (MethodBit(method) & route.methods) != 0;
    }
    return match;
  }
  return match;
}

}  // namespace ssebridge
