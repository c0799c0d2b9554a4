// POST /publish: parses the message, applies the per-client publish rate and
// the size a stream can queue, and hands it to the broker. The answer is
// deferred: the broker's outcome arrives from the completion queue, never
// inside Publish().
#pragma once

namespace ssebridge {

class Exchange;

void HandlePublish(Exchange& exchange);

}  // namespace ssebridge
