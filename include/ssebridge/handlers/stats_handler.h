// GET /stats: this process's subscribers per channel and per pattern, as
// JSON, for dashboards and for cyclone-sse users who had a stats endpoint.
#pragma once

#include <string>

namespace ssebridge {

class Exchange;
struct BridgeContext;

void HandleStats(Exchange& exchange);

// {"channels":{"a":2},"patterns":{"a.*":1},"subscribers":3,"streams":2,"poll_holds":1}:
// names sorted; a subscriber is an open stream, a long poll waiting, or a
// long-polling client's hold between two polls; "streams" leaves the holds out.
std::string StatsJson(const BridgeContext& context);

}  // namespace ssebridge
