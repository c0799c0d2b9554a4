// GET /publish/CHANNEL...?TYPE=DATA&... and the same query on a stream URL
// (GET /events/CHANNEL...?TYPE=DATA), the W3C SSE-Server way to publish; only
// with --allow-get-publish, else 400. Each TYPE=DATA is one message to all the
// channels, published in order through Broker::Publish like POST /publish (same
// rate limit, size check, ids, history). The answer waits for every outcome:
// 200 "OK" in text/plain as SSE-Server gives it, or the first failure.
#pragma once

namespace ssebridge {

class Exchange;

void HandleQueryPublish(Exchange& exchange);

}  // namespace ssebridge
