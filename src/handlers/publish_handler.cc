#include "ssebridge/handlers/publish_handler.h"

#include <algorithm>

#include "ssebridge/app_authorizer.h"
#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/config.h"
#include "ssebridge/exchange.h"
#include "ssebridge/handlers/access_check.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/log.h"
#include "ssebridge/loop_scheduler.h"
#include "ssebridge/message_frame.h"
#include "ssebridge/metrics.h"
#include "ssebridge/publish_request.h"
#include "ssebridge/uri.h"

namespace ssebridge {

bool RefuseOverPublishRate(Exchange& exchange) {
  BridgeContext& context = exchange.context();
  ClientLimits& limits = *context.client_limits;
  if (!limits.limits_publishes()) return false;
  // A publish handed back after the application's check was counted before
  // it was suspended.
  if (context.app_authorizer != nullptr && context.app_authorizer->resuming()) return false;
  const IpAddress client = exchange.ClientAddress();
  const uint64_t now_ms = context.scheduler->now_ms();
  uint64_t retry_after_ms = 0;
  if (limits.TakePublish(client, now_ms, &retry_after_ms)) return false;
  ++context.counters->publish_rate_limited;
  ++context.counters->http_errors;
  uint64_t suppressed = 0;
  if (context.limit_log->Allow(now_ms, &suppressed)) {
    LOG_WARN("refusing publish from %s: over %u per second (%llu similar line(s) suppressed)",
             client.ToString().c_str(), context.config->max_publish_rate_per_ip,
             static_cast<unsigned long long>(suppressed));
  }
  // Retry-After counts whole seconds; round up so a client that obeys it succeeds.
  const uint64_t retry_after_seconds = std::max<uint64_t>(1, (retry_after_ms + 999) / 1000);
  exchange.Respond(429, "application/json", JsonErrorBody("publish rate limit exceeded; retry later"),
                   {{"Retry-After", std::to_string(retry_after_seconds)}});
  return true;
}

std::string TooLargeToQueue(const PublishRequest& publish, uint64_t client_buffer_bytes) {
  // Encoded, line breaks grow by the "data: " prefix each.
  const size_t frame_bytes = MaxPublishedFrameSize(publish);
  if (frame_bytes <= client_buffer_bytes) return "";
  return "message too large: as an event it takes up to " + std::to_string(frame_bytes) +
         " bytes, more than the " + std::to_string(client_buffer_bytes) + " a stream may queue (--client-buffer-bytes)";
}

void HandlePublish(Exchange& exchange) {
  if (RefuseOverPublishRate(exchange)) return;
  BridgeContext& context = exchange.context();
  const Config& config = *context.config;
  const HttpRequest& request = exchange.request();
  const std::string* content_type = request.Header("content-type");
  PublishRequest publish;
  PublishParseResult parsed = ParsePublishRequest(content_type ? *content_type : "", request.body,
                                                  config.max_channels_per_publish, &publish);
  if (!parsed.error.empty()) {
    exchange.RespondError(parsed.status, parsed.error);
    return;
  }
  if (!CheckAccess(exchange, AccessAction::kPublish, publish.channels)) return;
  // A message no stream can queue would cut every reading subscriber off as
  // a slow consumer.
  if (std::string too_large = TooLargeToQueue(publish, config.client_buffer_bytes); !too_large.empty()) {
    exchange.RespondError(413, too_large);
    return;
  }
  // The outcome arrives from the completion queue, after this returns. It
  // fills this request's place among the answers, so answers leave in
  // request order; a publisher that hung up meanwhile gets nothing, and the
  // outcome stands regardless.
  Counters* counters = context.counters;
  context.broker->Publish(publish, [answer = exchange.DeferAnswer(), counters](const PublishOutcome& outcome) {
    std::string body;
    if (outcome.status == 200) {
      body.reserve(32 + outcome.id.size());
      body.append("{\"status\":\"ok\",\"id\":");
      AppendJsonQuoted(&body, outcome.id);
      body.push_back('}');
    } else {
      body = JsonErrorBody(outcome.error);
    }
    if (answer.Complete(outcome.status, "application/json", body) && outcome.status != 200) ++counters->http_errors;
  });
}

}  // namespace ssebridge
