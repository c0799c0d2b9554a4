// deploy/grafana/ssebridge.json is built on the metrics the bridge serves:
// every metric name its queries use appears in a live /metrics answer, with
// the labels the queries group by. A renamed metric or label fails here
// instead of leaving an empty panel.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace {

// Every "expr" (panel targets) and templating "query" string in the dashboard.
void CollectQueries(const nlohmann::json& node, std::vector<std::string>* out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if ((it.key() == "expr" || it.key() == "query" || it.key() == "definition") && it->is_string()) {
        out->push_back(it->get<std::string>());
      } else {
        CollectQueries(*it, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& child : node) CollectQueries(child, out);
  }
}

TEST(GrafanaDashboardTest, EveryMetricAndLabelItQueriesIsServed) {
  std::ifstream in(std::string(SSEBRIDGE_SOURCE_DIR) + "/deploy/grafana/ssebridge.json");
  ASSERT_TRUE(in) << "deploy/grafana/ssebridge.json is missing";
  nlohmann::json dashboard = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(dashboard.is_discarded()) << "the dashboard is not valid JSON";
  ASSERT_TRUE(dashboard.contains("panels") && !dashboard["panels"].empty());
  std::vector<std::string> queries;
  CollectQueries(dashboard, &queries);
  ASSERT_GE(queries.size(), 10u);

  harness::Bridge bridge;
  ASSERT_TRUE(bridge.Start());
  auto response = harness::HttpRequest(bridge.port(), "GET", "/metrics");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  // Sample lines by metric name, e.g. "ssebridge_x_total{reason=\"a\"} 1".
  std::multimap<std::string, std::string> samples;
  std::istringstream lines(response->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    samples.emplace(line.substr(0, line.find_first_of("{ ")), line);
  }

  const std::regex metric_name("ssebridge_[a-z0-9_]+");
  const std::regex grouping("by \\(([a-z_, ]+)\\)");
  std::set<std::string> checked;
  for (const std::string& query : queries) {
    std::vector<std::string> names;
    for (std::sregex_iterator it(query.begin(), query.end(), metric_name), end; it != end; ++it) {
      names.push_back(it->str());
    }
    ASSERT_FALSE(names.empty()) << "a query names no ssebridge metric: " << query;
    for (const std::string& name : names) {
      EXPECT_EQ(samples.count(name) > 0, true) << name << " (used by: " << query << ") is not in /metrics";
      checked.insert(name);
    }
    // Labels grouped by must be on the metric (Prometheus adds job and instance).
    for (std::sregex_iterator it(query.begin(), query.end(), grouping), end; it != end; ++it) {
      std::stringstream labels((*it)[1].str());
      for (std::string label; std::getline(labels, label, ',');) {
        label.erase(0, label.find_first_not_of(' '));
        label.erase(label.find_last_not_of(' ') + 1);
        if (label == "job" || label == "instance") continue;
        bool found = false;
        for (const std::string& name : names) {
          auto [first, last] = samples.equal_range(name);
          for (auto sample = first; sample != last && !found; ++sample) {
            found = sample->second.find("{" + label + "=\"") != std::string::npos ||
                    sample->second.find("," + label + "=\"") != std::string::npos;
          }
        }
        EXPECT_TRUE(found) << "no metric of \"" << query << "\" has the label " << label;
      }
    }
  }
  // The panels the dashboard promises.
  for (const char* name : {"ssebridge_open_streams", "ssebridge_deliveries_total",
                           "ssebridge_publish_to_write_seconds_bucket", "ssebridge_bytes_written_total",
                           "ssebridge_connections_rejected_total", "ssebridge_replays_served_total",
                           "ssebridge_replay_gaps_by_reason_total", "ssebridge_redis_connected"}) {
    EXPECT_EQ(checked.count(name), 1u) << "the dashboard does not use " << name;
  }
}

}  // namespace
