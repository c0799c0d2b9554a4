// Publishing by GET query, the W3C SSE-Server way (--allow-get-publish):
// "/publish/color/page?q1=go&q2=end" (or the same query on the stream URL,
// "/events/color/page?q1=go&q2=end") sends an event of type q1 with data go,
// then one of type q2 with data end, each to both channels. Pure parsing; the
// handler (handlers/query_publish_handler) publishes through the Broker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/publish_request.h"

namespace ssebridge {

// Most events one GET query may carry.
constexpr size_t kMaxEventsPerQuery = 100;

// True when a stream URL's query is a publish: it has a parameter that is not
// a stream parameter (see IsStreamParameter); "?halt" is one too.
bool IsPublishQuery(std::string_view query);

// `rest` is the path after the route ("color/page", percent-encoded), `query`
// the raw query. Channels come from the path segments and from `channel` /
// `channels` parameters; every other parameter NAME=VALUE is one event, in
// order: NAME is its type ("message" is the default type), VALUE its data,
// both form-decoded ('+' is a space). `lastEventId`/`last_event_id` are
// ignored. Each element of *out is one message to all the channels. Returns
// "" or the reason for a 400 (a parameter without '=', such as SSE-Server's
// "?halt", is refused: commands are taken on the control port and FIFO only).
// *out must be empty.
std::string ParseQueryPublish(std::string_view rest, std::string_view query, size_t max_channels,
                              std::vector<PublishRequest>* out);

}  // namespace ssebridge
