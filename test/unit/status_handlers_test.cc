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

TEST_F(StatusHandlersTest, HealthWithRedisFollowsTheConnectionAndShutdown) {
  broker_.kind_name = "redis";
  EXPECT_EQ(HealthReport(context_),
            (std::pair<int, std::string>{200, "{\"status\":\"ok\",\"broker\":\"redis\",\"redis\":\"connected\"}"}));
  broker_.is_ready = false;
  EXPECT_EQ(HealthReport(context_).first, 503);
  EXPECT_NE(HealthReport(context_).second.find("\"redis\":\"disconnected\""), std::string::npos);
  context_.shutting_down = true;
  EXPECT_EQ(HealthReport(context_),
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

TEST_F(StatusHandlersTest, DemoPageIsHtml) {
  testing_fakes::FakeExchange::Answer page = AnswerTo(HandleDemoPage, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<html"), std::string::npos);
}

}  // namespace
}  // namespace ssebridge
