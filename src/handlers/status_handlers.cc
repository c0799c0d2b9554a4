#include "ssebridge/handlers/status_handlers.h"

#include <string_view>

#include "ssebridge/bridge_context.h"
#include "ssebridge/broker.h"
#include "ssebridge/demo_page.h"
#include "ssebridge/exchange.h"
#include "ssebridge/metrics.h"
#include "ssebridge/poll_holds.h"
#include "ssebridge/pubsub_registry.h"

namespace ssebridge {
namespace {

bool IsRedis(const Broker* broker) { return broker != nullptr && std::string_view(broker->kind()) == "redis"; }

Gauges CurrentGauges(const BridgeContext& context) {
  const Broker* broker = context.broker;
  const PubsubRegistry& registry = *context.registry;
  Gauges gauges;
  gauges.open_connections = context.owner->open_connections();
  // Poll holds are subscribers too, but no stream.
  const size_t holds = context.poll_holds != nullptr ? context.poll_holds->size() : 0;
  gauges.open_streams = registry.subscriber_count() - holds;
  gauges.subscriptions = registry.subscription_count();
  gauges.channels = registry.exact_topic_count();
  gauges.patterns = registry.pattern_topic_count();
  gauges.queued_bytes = context.owner->queued_bytes();
  gauges.history_messages = broker ? broker->history_messages() : 0;
  gauges.history_bytes = broker ? broker->history_bytes() : 0;
  gauges.history_channels = broker ? broker->history_channels() : 0;
  gauges.history_channels_evicted = broker ? broker->history_channels_evicted() : 0;
  gauges.redis_mode = IsRedis(broker);
  gauges.redis_connected = broker && broker->ready();
  gauges.poll_holds = holds;
  return gauges;
}

}  // namespace

std::pair<int, std::string> HealthReport(const BridgeContext& context) {
  const Broker& broker = *context.broker;
  if (std::string_view(broker.kind()) == "embedded") return {200, "{\"status\":\"ok\",\"broker\":\"embedded\"}"};
  if (context.shutting_down) return {503, "{\"status\":\"shutting down\",\"broker\":\"redis\"}"};
  if (broker.ready()) return {200, "{\"status\":\"ok\",\"broker\":\"redis\",\"redis\":\"connected\"}"};
  return {503, "{\"status\":\"unavailable\",\"broker\":\"redis\",\"redis\":\"disconnected\","
               "\"error\":\"the Redis connection is down; reconnecting\"}"};
}

std::string MetricsText(const BridgeContext& context) {
  Counters counters = *context.counters;
  if (context.broker) counters.redis_reconnects = context.broker->reconnects();
  return RenderPrometheus(counters, CurrentGauges(context));
}

void HandleHealth(Exchange& exchange) {
  auto [status, body] = HealthReport(exchange.context());
  exchange.Respond(status, "application/json", body);
}

void HandleMetrics(Exchange& exchange) {
  exchange.Respond(200, "text/plain; version=0.0.4; charset=utf-8", MetricsText(exchange.context()));
}

void HandleDemoPage(Exchange& exchange) { exchange.Respond(200, "text/html; charset=utf-8", DemoPageHtml()); }

}  // namespace ssebridge
