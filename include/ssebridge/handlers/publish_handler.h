// POST /publish: parses the message, applies the per-client publish rate and
// the size a stream can queue, and hands it to the broker. The answer is
// deferred: the broker's outcome arrives from the completion queue, never
// inside Publish().
#pragma once

#include <cstdint>
#include <string>

namespace ssebridge {

class Exchange;
struct PublishRequest;

void HandlePublish(Exchange& exchange);

// What every publish passes whatever carried it (a POST body, a GET query, a
// control line), so they all take the same path to Broker::Publish.

// Answers 429 with Retry-After and returns true when the client is over
// --max-publish-rate-per-ip.
bool RefuseOverPublishRate(Exchange& exchange);

// "" or the reason for a 413: the message, encoded as an event, is larger
// than a stream may queue (--client-buffer-bytes), so delivering it would cut
// every reading subscriber off as a slow consumer.
std::string TooLargeToQueue(const PublishRequest& publish, uint64_t client_buffer_bytes);

}  // namespace ssebridge
