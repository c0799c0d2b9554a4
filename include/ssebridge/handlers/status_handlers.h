// The small read-only endpoints: GET /healthz, GET /metrics and the demo
// page. Each reads what it reports from the BridgeContext.
#pragma once

#include <string>
#include <utility>

namespace ssebridge {

class Exchange;
struct BridgeContext;

void HandleHealth(Exchange& exchange);
void HandleMetrics(Exchange& exchange);
void HandleDemoPage(Exchange& exchange);

// The status and JSON body of /healthz.
std::pair<int, std::string> HealthReport(const BridgeContext& context);
// The Prometheus text of /metrics.
std::string MetricsText(const BridgeContext& context);

}  // namespace ssebridge
