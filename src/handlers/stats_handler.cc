#include "ssebridge/handlers/stats_handler.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "ssebridge/bridge_context.h"
#include "ssebridge/exchange.h"
#include "ssebridge/handlers/access_check.h"
#include "ssebridge/json_quote.h"
#include "ssebridge/poll_holds.h"
#include "ssebridge/pubsub_registry.h"

namespace ssebridge {
namespace {

using Counts = std::vector<std::pair<std::string, size_t>>;

void AppendCounts(std::string* out, Counts counts) {
  std::sort(counts.begin(), counts.end());
  out->push_back('{');
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonQuoted(out, counts[i].first);
    out->push_back(':');
    out->append(std::to_string(counts[i].second));
  }
  out->push_back('}');
}

}  // namespace

std::string StatsJson(const BridgeContext& context) {
  const PubsubRegistry& registry = *context.registry;
  Counts channels;
  Counts patterns;
  registry.ForEachTopicCount([&](const std::string& name, bool is_pattern, size_t subscribers) {
    (is_pattern ? patterns : channels).emplace_back(name, subscribers);
  });
  const size_t holds = context.poll_holds != nullptr ? context.poll_holds->size() : 0;
  std::string out = "{\"channels\":";
  AppendCounts(&out, std::move(channels));
  out += ",\"patterns\":";
  AppendCounts(&out, std::move(patterns));
  out += ",\"subscribers\":" + std::to_string(registry.subscriber_count());
  out += ",\"streams\":" + std::to_string(registry.subscriber_count() - holds);
  out += ",\"poll_holds\":" + std::to_string(holds) + "}";
  return out;
}

void HandleStats(Exchange& exchange) {
  // Every channel's name is listed: only a publisher allowed on all of them may see it.
  static const std::vector<std::string> kAllChannels{"*"};
  if (!CheckAccess(exchange, AccessAction::kPublish, kAllChannels)) return;
  exchange.Respond(200, "application/json", StatsJson(exchange.context()));
}

}  // namespace ssebridge
