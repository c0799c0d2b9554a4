// GET / (below --base-path): an event stream (or a long poll) when the query
// names a channel, as cyclone-sse's root did; otherwise the demo page. Other
// query parameters (`_`, `uuid`, ...) are ignored.
#pragma once

#include <string_view>

namespace ssebridge {

class Exchange;

void HandleRoot(Exchange& exchange);

// True when the query has a `channel`, `channels` or `channels[]` parameter.
bool QueryNamesChannels(std::string_view query);

}  // namespace ssebridge
