// Unit tests for the health, metrics and demo page handlers
// (include/ssebridge/handlers/status_handlers.h).

#include "ssebridge/handlers/status_handlers.h"

#include "fake_exchange.h"

namespace ssebridge {
namespace {

class StatusHandlersTest : public testing_fakes::HandlerTest {};

TEST_F(StatusHandlersTest, HealthWithTheEmbeddedBrokerIsAlwaysOk) {
  testing_fakes::FakeExchange::Answer answer = AnswerTo(HandleHealth, "GET", "/healthz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, "{\"status\":\"ok\",\"broker\":\"embedded\"}");
}

TEST_F(StatusHandlersTest, HealthIsAliveWhateverRedisAndShutdownSay) {
  broker_.kind_name = "redis";
  broker_.is_ready = false;
  broker_.upstream_list = {{"subscriber", false, 0, 0, 0}, {"commands", false, 0, 0, 0}};
  context_.shutting_down = true;
  EXPECT_EQ(HealthReport(context_), (std::pair<int, std::string>{200, "{\"status\":\"ok\",\"broker\":\"redis\"}"}));
}

TEST_F(StatusHandlersTest, ReadyWithTheEmbeddedBrokerUntilShutdown) {
  testing_fakes::FakeExchange::Answer answer = AnswerTo(HandleReady, "GET", "/readyz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, "{\"status\":\"ready\",\"broker\":\"embedded\"}");
  context_.shutting_down = true;
  EXPECT_EQ(ReadyReport(context_),
            (std::pair<int, std::string>{503, "{\"status\":\"shutting down\",\"broker\":\"embedded\"}"}));
}

TEST_F(StatusHandlersTest, ReadyWithRedisNamesEveryConnectionThatIsDown) {
  broker_.kind_name = "redis";
  broker_.upstream_list = {{"subscriber", true, 0, 0, 0}, {"commands", true, 0, 0, 0}};
  EXPECT_EQ(ReadyReport(context_),
            (std::pair<int, std::string>{
                200, "{\"status\":\"ready\",\"broker\":\"redis\",\"redis\":{\"subscriber\":\"up\",\"commands\":\"up\"}}"}));
  // The failure users report against other hubs: publishes accepted, health
  // green, nothing delivered because the subscriber is gone.
  broker_.is_ready = false;
  broker_.upstream_list[0].up = false;
  std::pair<int, std::string> down = ReadyReport(context_);
  EXPECT_EQ(down.first, 503);
  EXPECT_NE(down.second.find("\"redis\":{\"subscriber\":\"down\",\"commands\":\"up\"}"), std::string::npos)
      << down.second;
  EXPECT_NE(down.second.find("\"down\":[\"subscriber\"]"), std::string::npos) << down.second;
  broker_.upstream_list[1].up = false;
  EXPECT_NE(ReadyReport(context_).second.find("\"down\":[\"subscriber\",\"commands\"]"), std::string::npos);
  broker_.upstream_list[0].up = true;
  broker_.upstream_list[1].up = true;
  broker_.is_ready = true;
  context_.shutting_down = true;
  EXPECT_EQ(ReadyReport(context_),
            (std::pair<int, std::string>{503, "{\"status\":\"shutting down\",\"broker\":\"redis\"}"}));
}

TEST_F(StatusHandlersTest, MetricsReadCountersRegistryBrokerAndConnections) {
  counters_.requests = 17;
  testing_fakes::FakeExchange::Answer answer = AnswerTo(HandleMetrics, "GET", "/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(answer.body.find(" 17\n"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find(" 1234\n"), std::string::npos) << answer.body;  // Queued bytes, from the owner.
  EXPECT_NE(answer.body.find(" 5\n"), std::string::npos) << answer.body;     // Open connections.
}

TEST_F(StatusHandlersTest, MetricsReadTheBrokersConnectionsAndFailovers) {
  broker_.kind_name = "redis";
  broker_.upstream_list = {{"commands", true, 7, 8, 9}, {"subscriber", false, 4, 5, 6}};
  broker_.failover_count = 2;
  const std::string text = MetricsText(context_);
  for (const char* line : {"ssebridge_redis_up{connection=\"subscriber\"} 0\n", "ssebridge_redis_up{connection=\"commands\"} 1\n",
                           "ssebridge_redis_reconnects_total{connection=\"subscriber\"} 4\n",
                           "ssebridge_redis_reconnects_total{connection=\"commands\"} 7\n",
                           "ssebridge_redis_timeouts_total{connection=\"subscriber\",kind=\"connect\"} 5\n",
                           "ssebridge_redis_timeouts_total{connection=\"commands\",kind=\"command\"} 9\n",
                           "ssebridge_redis_failovers_total 2\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
}

TEST_F(StatusHandlersTest, DemoPageIsHtml) {
  testing_fakes::FakeExchange::Answer page = AnswerTo(HandleDemoPage, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<html"), std::string::npos);
}

}  // namespace
}  // namespace ssebridge
