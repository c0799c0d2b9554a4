// The bridge's one route table, and the dispatch every request goes through:
// 404 for an unknown path, 405 for a method the route does not answer, a CORS
// preflight for OPTIONS, else the route's handler. A new endpoint is one
// handler and one row in route_table.cc.
#pragma once

#include <string_view>
#include <vector>

#include "ssebridge/router.h"

namespace ssebridge {

const std::vector<Route>& BridgeRoutes();

// `match` is MatchRoute()'s answer for the exchange's request and `path` the
// request path it was matched on.
void Dispatch(Exchange& exchange, const RouteMatch& match, std::string_view path);

}  // namespace ssebridge
