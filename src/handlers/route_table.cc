#include "ssebridge/handlers/route_table.h"

#include <string>

#include "ssebridge/exchange.h"
#include "ssebridge/handlers/client_handlers.h"
#include "ssebridge/handlers/preflight_handler.h"
#include "ssebridge/handlers/publish_handler.h"
#include "ssebridge/handlers/query_publish_handler.h"
#include "ssebridge/handlers/root_handler.h"
#include "ssebridge/handlers/stats_handler.h"
#include "ssebridge/handlers/status_handlers.h"
#include "ssebridge/handlers/stream_handler.h"

namespace ssebridge {

const std::vector<Route>& BridgeRoutes() {
  // Paths are below --base-path; the first row that matches wins.
  static const std::vector<Route> kRoutes = {
      {"/events", true, kGet, HandleStream},
      {"/publish", false, kPost, HandlePublish},
      {"/healthz", false, kGet | kHead, HandleHealth},
      {"/readyz", false, kGet | kHead, HandleReady},
      {"/metrics", false, kGet | kHead, HandleMetrics},
      {"/", false, kGet | kHead, HandleRoot},
      {"/index.html", false, kGet | kHead, HandleDemoPage},
      // W3C SSE-Server style, /publish/color/page?q1=go (--allow-get-publish).
      {"/publish", true, kGet, HandleQueryPublish},
      {"/stats", false, kGet | kHead, HandleStats},
      // server-event-mgr style: /clients/<id>/channels, /clients/<id>/channels/<channel>, /clients/<id>.
      {"/clients", true, kPost | kDelete, HandleClients},
  };
  return kRoutes;
}

void Dispatch(Exchange& exchange, const RouteMatch& match, std::string_view path) {
  if (match.route == nullptr) {
    exchange.RespondError(404, "no such endpoint: " + std::string(path));
    return;
  }
  if (!match.method_allowed) {
    exchange.RespondError(405, "method " + exchange.request().method + " not allowed; use " + match.allow,
                          {{"Allow", match.allow}});
    return;
  }
  if (match.is_preflight) {
    HandlePreflight(exchange, match.allow);
    return;
  }
  match.route->handler(exchange);
}

}  // namespace ssebridge
