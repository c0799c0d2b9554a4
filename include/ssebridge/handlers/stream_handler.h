// GET /events[/channels]: parses the subscription, applies the per-client
// stream limit and turns the connection into an event stream. A query with a
// parameter a stream does not take is a publish (HandleQueryPublish).
#pragma once

namespace ssebridge {

class Exchange;

void HandleStream(Exchange& exchange);

}  // namespace ssebridge
