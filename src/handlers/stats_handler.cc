#include "ssebridge/handlers/stats_handler.h"

#include <algorithm>
#include <cstdio>
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

struct TopicMessages {
  std::string name;
  uint64_t total;
  double per_second;
};

// {"name":{"total":N,"per_second":R},...} sorted by name.
void AppendMessages(std::string* out, std::vector<TopicMessages> topics) {
  std::sort(topics.begin(), topics.end(),
            [](const TopicMessages& a, const TopicMessages& b) { return a.name < b.name; });
  out->push_back('{');
  for (size_t i = 0; i < topics.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonQuoted(out, topics[i].name);
    char numbers[80];
    snprintf(numbers, sizeof numbers, ":{\"total\":%llu,\"per_second\":%.2f}",
             static_cast<unsigned long long>(topics[i].total), topics[i].per_second);
    out->append(numbers);
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
  out += ",\"poll_holds\":" + std::to_string(holds);
  // Messages per topic: what each channel (and pattern) carried while it had
  // local subscribers, in all and per second (MessageRate).
  std::vector<TopicMessages> channel_messages;
  std::vector<TopicMessages> pattern_messages;
  const uint64_t now_ms = PubsubRegistry::NowMs();
  registry.ForEachTopicDetail([&](const PubsubRegistry::Topic& topic) {
    (topic.is_pattern ? pattern_messages : channel_messages)
        .push_back({topic.name, topic.messages.total(), topic.messages.PerSecond(now_ms)});
  });
  out += ",\"channel_messages\":";
  AppendMessages(&out, std::move(channel_messages));
  out += ",\"pattern_messages\":";
  AppendMessages(&out, std::move(pattern_messages));
  out += "}";
  return out;
}

void HandleStats(Exchange& exchange) {
  // Every channel's name is listed: only a publisher allowed on all of them may see it.
  static const std::vector<std::string> kAllChannels{"*"};
  if (!CheckAccess(exchange, AccessAction::kPublish, kAllChannels)) return;
  exchange.Respond(200, "application/json", StatsJson(exchange.context()));
}

}  // namespace ssebridge
