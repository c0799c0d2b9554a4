#include "ssebridge/handlers/preflight_handler.h"

#include "ssebridge/bridge_context.h"
#include "ssebridge/cors_policy.h"
#include "ssebridge/exchange.h"

namespace ssebridge {

void HandlePreflight(Exchange& exchange, const char* allow) {
  HeaderList headers = exchange.context().cors->PreflightHeaders(exchange.request());
  headers.emplace_back("Allow", allow);
  exchange.Respond(204, "", "", std::move(headers));
}

}  // namespace ssebridge
