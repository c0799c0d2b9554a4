// Broker: where published messages go and where streams' messages come from.
// Two implementations: EmbeddedBroker (in-process) and RedisBroker.
//
// The broker listens to the PubsubRegistry's topic events so it can follow the
// set of locally wanted channels, and feeds incoming messages into the
// registry's fan-out.
#pragma once

#include <functional>
#include <string>

#include "ssebridge/envelope.h"
#include "ssebridge/frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/pubsub_registry.h"

namespace ssebridge {

struct PublishOutcome {
  int status = 200;   // 200, or 503 when the message was not handed over.
  std::string id;     // The event id on success.
  std::string error;  // On failure.
};

// Runs exactly once per Publish() call, possibly before Publish() returns.
using PublishCallback = std::function<void(const PublishOutcome&)>;

class Broker : public PubsubRegistry::Listener {
 public:
  ~Broker() override = default;

  virtual void Publish(const PublishRequest& request, PublishCallback done) = 0;

  // False while an upstream connection is down (/healthz answers 503).
  virtual bool ready() const = 0;

  // Releases upstream connections so the loop can end; no callbacks after it.
  virtual void Shutdown() = 0;
};

// Encodes a message into its shared SSE frame.
FrameRef EncodeMessageFrame(const Message& message);

}  // namespace ssebridge
