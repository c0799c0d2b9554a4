// Unit tests for ClientRegistry (include/ssebridge/client_registry.h). The
// registry never dereferences the streams it keeps, so distinct addresses
// stand in for them.

#include "ssebridge/client_registry.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

class ClientRegistryTest : public ::testing::Test {
 protected:
  EventStream* Stream(int i) { return reinterpret_cast<EventStream*>(&slots_[i]); }
  alignas(8) uint64_t slots_[3] = {};
  ClientRegistry registry_;
};

TEST_F(ClientRegistryTest, RegisterFindRemove) {
  EXPECT_EQ(registry_.Find("a"), nullptr);
  EXPECT_EQ(registry_.Register("a", Stream(0)), nullptr);
  EXPECT_EQ(registry_.Register("b", Stream(1)), nullptr);
  EXPECT_EQ(registry_.Find("a"), Stream(0));
  EXPECT_EQ(registry_.Find("b"), Stream(1));
  EXPECT_EQ(registry_.size(), 2u);
  registry_.Remove(Stream(0));
  EXPECT_EQ(registry_.Find("a"), nullptr);
  EXPECT_EQ(registry_.Find("b"), Stream(1));
  registry_.Remove(Stream(0));  // Not registered: nothing happens.
  registry_.Remove(Stream(1));
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(ClientRegistryTest, TheSameIdReplacesTheOlderStreamAndItsRemovalLeavesTheNewer) {
  EXPECT_EQ(registry_.Register("a", Stream(0)), nullptr);
  EXPECT_EQ(registry_.Register("a", Stream(1)), Stream(0));
  EXPECT_EQ(registry_.Find("a"), Stream(1));
  // The older stream closes later: its removal must not unregister the newer one.
  registry_.Remove(Stream(0));
  EXPECT_EQ(registry_.Find("a"), Stream(1));
  EXPECT_EQ(registry_.size(), 1u);
}

TEST_F(ClientRegistryTest, AStreamRegisteredAgainMovesToItsNewId) {
  registry_.Register("a", Stream(0));
  EXPECT_EQ(registry_.Register("b", Stream(0)), nullptr);
  EXPECT_EQ(registry_.Find("a"), nullptr);
  EXPECT_EQ(registry_.Find("b"), Stream(0));
  EXPECT_EQ(registry_.size(), 1u);
}

}  // namespace
}  // namespace ssebridge
