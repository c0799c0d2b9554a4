// OPTIONS on any known route: a CORS preflight, answered 204 with the
// CorsPolicy's preflight headers and the route's Allow header.
#pragma once

namespace ssebridge {

class Exchange;

void HandlePreflight(Exchange& exchange, const char* allow);

}  // namespace ssebridge
