#include "ssebridge/handlers/status_handlers.h"

#include <string_view>
#include <vector>

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
  // Redis connections, by name.
  if (broker != nullptr) {
    for (const Broker::Upstream& upstream : broker->upstreams()) {
      for (UpstreamConnection& slot : gauges.redis) {
        if (std::string_view(slot.name) == upstream.name) slot = upstream;
      }
    }
    gauges.redis_failovers = broker->failovers();
  }
  return gauges;
}

}  // namespace

// Alive: the loop runs this handler, which is all it can tell. Whether
// the process is useful (Redis up, not draining) is /readyz's question; a
// supervisor restarting a process because Redis is down would only add a
// restart to the outage.
std::pair<int, std::string> HealthReport(const BridgeContext& context) {
  return {200, std::string("{\"status\":\"ok\",\"broker\":\"") + context.broker->kind() + "\"}"};
}

// Ready: listening (this answer came through a listener), not shutting
// down and, in Redis mode, both connections up: a bridge that relays
// nothing is never reported ready.
std::pair<int, std::string> ReadyReport(const BridgeContext& context) {
  const Broker& broker = *context.broker;
  const std::string kind = broker.kind();
  if (context.shutting_down) return {503, "{\"status\":\"shutting down\",\"broker\":\"" + kind + "\"}"};
  const std::vector<Broker::Upstream> upstreams = broker.upstreams();
  if (upstreams.empty()) {
    if (broker.ready()) return {200, "{\"status\":\"ready\",\"broker\":\"" + kind + "\"}"};
    return {503, "{\"status\":\"unavailable\",\"broker\":\"" + kind + "\",\"error\":\"the broker is not ready\"}"};
  }
  std::string states;
  std::string down;
  for (const Broker::Upstream& upstream : upstreams) {
    if (!states.empty()) states += ",";
    states += std::string("\"") + upstream.name + "\":\"" + (upstream.up ? "up" : "down") + "\"";
    if (upstream.up) continue;
    if (!down.empty()) down += ",";
    down += std::string("\"") + upstream.name + "\"";
  }
  if (down.empty() && broker.ready()) {
    return {200, "{\"status\":\"ready\",\"broker\":\"" + kind + "\",\"redis\":{" + states + "}}"};
  }
  return {503, "{\"status\":\"unavailable\",\"broker\":\"" + kind + "\",\"redis\":{" + states + "},\"down\":[" + down +
                   "],\"error\":\"a Redis connection is down; reconnecting\"}"};
}

std::string MetricsText(const BridgeContext& context) {
  return RenderPrometheus(*context.counters, CurrentGauges(context));
}

void HandleHealth(Exchange& exchange) {
  auto [status, body] = HealthReport(exchange.context());
  exchange.Respond(status, "application/json", body);
}

void HandleReady(Exchange& exchange) {
  auto [status, body] = ReadyReport(exchange.context());
  exchange.Respond(status, "application/json", body);
}

void HandleMetrics(Exchange& exchange) {
  exchange.Respond(200, "text/plain; version=0.0.4; charset=utf-8", MetricsText(exchange.context()));
}

void HandleDemoPage(Exchange& exchange) { exchange.Respond(200, "text/html; charset=utf-8", DemoPageHtml()); }

}  // namespace ssebridge
