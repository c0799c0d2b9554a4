#include "ssebridge/broker_factory.h"

#include <gtest/gtest.h>

#include <string>

#include "ssebridge/broker.h"
#include "ssebridge/completion_queue.h"
#include "ssebridge/config.h"
#include "ssebridge/metrics.h"

namespace ssebridge {
namespace {

class BrokerFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  uv_loop_t loop_;
  CompletionQueue completions_;
  PubsubRegistry registry_;
  Counters counters_;
};

TEST_F(BrokerFactoryTest, WithoutARedisUrlTheBrokerIsEmbeddedWithTheConfiguredReplayLimits) {
  Config config;
  config.max_replay_messages = 7;
  config.client_buffer_bytes = 12345;
  std::unique_ptr<Broker> broker = MakeBroker(&loop_, config, &completions_, &registry_, &counters_);
  ASSERT_NE(broker, nullptr);
  EXPECT_EQ(std::string(broker->kind()), "embedded");
  EXPECT_EQ(broker->replay_limits().max_messages, 7u);
  EXPECT_EQ(broker->replay_limits().max_bytes, 12345u);
  broker->Shutdown();
}

TEST_F(BrokerFactoryTest, WithARedisUrlTheBrokerIsRedisAndDoesNotConnectBeforeStart) {
  Config config;
  config.redis_url = "redis://127.0.0.1:1/";
  config.redis_address.port = 1;
  std::unique_ptr<Broker> broker = MakeBroker(&loop_, config, &completions_, &registry_, &counters_);
  ASSERT_NE(broker, nullptr);
  EXPECT_EQ(std::string(broker->kind()), "redis");
  EXPECT_FALSE(broker->ready());
  broker->Shutdown();
}

}  // namespace
}  // namespace ssebridge
