#include "ssebridge/handlers/query_publish_handler.h"

#include <memory>
#include <utility>
#include <vector>

#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/config.h"
#include "ssebridge/exchange.h"
#include "ssebridge/handlers/access_check.h"
#include "ssebridge/handlers/publish_handler.h"
#include "ssebridge/metrics.h"
#include "ssebridge/query_publish.h"

namespace ssebridge {
namespace {

// The one answer for all the messages of a request, given when the last
// outcome arrives. Shared by the messages' callbacks.
struct PendingAnswer {
  explicit PendingAnswer(DeferredAnswer answer, size_t messages, Counters* counters)
      : answer(std::move(answer)), remaining(messages), counters(counters) {}
  DeferredAnswer answer;
  size_t remaining;
  Counters* counters;
  PublishOutcome failure;  // The first outcome that was not 200.
  bool failed = false;
};

}  // namespace

void HandleQueryPublish(Exchange& exchange) {
  BridgeContext& context = exchange.context();
  const Config& config = *context.config;
  if (!config.allow_get_publish) {
    exchange.RespondError(400, "publishing with a GET query is off: start ssebridge with --allow-get-publish, "
                               "or POST to /publish");
    return;
  }
  if (RefuseOverPublishRate(exchange)) return;
  std::vector<PublishRequest> messages;
  std::string error = ParseQueryPublish(exchange.rest(), exchange.query(), config.max_channels_per_publish, &messages);
  if (!error.empty()) {
    exchange.RespondError(400, error);
    return;
  }
  // Every message of the query goes to the same channels.
  if (!CheckAccess(exchange, AccessAction::kPublish, messages[0].channels)) return;
  // All or nothing as far as checks go: one oversized message refuses the request.
  for (const PublishRequest& message : messages) {
    if (std::string too_large = TooLargeToQueue(message, config.client_buffer_bytes); !too_large.empty()) {
      exchange.RespondError(413, too_large);
      return;
    }
  }
  // The outcomes arrive from the completion queue (or Redis), each exactly
  // once, in order; the request's answer waits for the last of them.
  auto pending = std::make_shared<PendingAnswer>(exchange.DeferAnswer(), messages.size(), context.counters);
  for (const PublishRequest& message : messages) {
    context.broker->Publish(message, [pending](const PublishOutcome& outcome) {
      if (outcome.status != 200 && !pending->failed) {
        pending->failed = true;
        pending->failure = outcome;
      }
      if (--pending->remaining != 0) return;
      if (!pending->failed) {
        pending->answer.Complete(200, "text/plain; charset=utf-8", "OK\r\n");
      } else if (pending->answer.Complete(pending->failure.status, "application/json",
                                          JsonErrorBody(pending->failure.error))) {
        ++pending->counters->http_errors;
      }
    });
  }
}

}  // namespace ssebridge
