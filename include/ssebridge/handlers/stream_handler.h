// GET /events[/channels]: parses the subscription, applies the per-client
// stream limit and turns the connection into an event stream.
#pragma once

namespace ssebridge {

class Exchange;

void HandleStream(Exchange& exchange);

}  // namespace ssebridge
