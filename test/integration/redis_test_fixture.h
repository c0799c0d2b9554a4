// The GoogleTest fixture for tests against a real redis-server: one is started
// per test on a free port in a temporary directory, and bridges started with
// StartBridge() use it.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace harness {

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << "redis-server did not start"; }

  // Starts `bridge` in Redis mode on this test's Redis and waits until both
  // of its Redis connections are up.
  void StartBridge(Bridge& bridge, std::vector<std::string> extra = {}) {
    ASSERT_TRUE(bridge.StartWithRedis(redis_.url(), extra)) << bridge.process().output();
  }

  RedisServer redis_;
};

}  // namespace harness
