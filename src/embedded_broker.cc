#include "ssebridge/embedded_broker.h"

namespace ssebridge {

EmbeddedBroker::EmbeddedBroker(PubsubRegistry* registry, Counters* counters, uint64_t first_id)
    : registry_(registry), counters_(counters), next_id_(first_id) {}

void EmbeddedBroker::Publish(const PublishRequest& request, PublishCallback done) {
  Message message;
  message.id = std::to_string(next_id_++);
  message.event = request.event;
  message.data = request.data;
  // One frame for all channels of this publish: a stream subscribed to several
  // of them receives it once.
  PubsubRegistry::LazyFrame frame([&message] { return EncodeMessageFrame(message); });
  for (const std::string& channel : request.channels) {
    counters_->deliveries += registry_->Publish(channel, frame);
    ++counters_->messages_published;
  }
  ++counters_->messages_received;
  done(PublishOutcome{200, message.id, ""});
}

}  // namespace ssebridge
