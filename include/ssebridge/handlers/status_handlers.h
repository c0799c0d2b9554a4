// The small read-only endpoints: GET /healthz (alive), GET /readyz (ready
// to relay), GET /metrics and the demo page. Each reads what it reports from the BridgeContext.
#pragma once

#include <string>
#include <utility>

namespace ssebridge {

class Exchange;
struct BridgeContext;

void HandleHealth(Exchange& exchange);
void HandleReady(Exchange& exchange);
void HandleMetrics(Exchange& exchange);
void HandleDemoPage(Exchange& exchange);

// The status and JSON body of /healthz: 200 while the loop runs.
std::pair<int, std::string> HealthReport(const BridgeContext& context);
// The status and JSON body of /readyz: 503, naming what is down, while
// shutting down or while a Redis connection is down.
std::pair<int, std::string> ReadyReport(const BridgeContext& context);
// The Prometheus text of /metrics.
std::string MetricsText(const BridgeContext& context);

}  // namespace ssebridge
