#include "ssebridge/handlers/root_handler.h"

#include "ssebridge/exchange.h"
#include "ssebridge/handlers/status_handlers.h"
#include "ssebridge/handlers/stream_handler.h"
#include "ssebridge/uri.h"

namespace ssebridge {

bool QueryNamesChannels(std::string_view query) {
  for (const auto& [key, value] : ParseQuery(query)) {
    if (key == "channel" || key == "channels" || key == "channels[]") return true;
  }
  return false;
}

void HandleRoot(Exchange& exchange) {
  if (exchange.request().method == "GET" && QueryNamesChannels(exchange.query())) {
    HandleStream(exchange);
    return;
  }
  HandleDemoPage(exchange);
}

}  // namespace ssebridge
