#include "ssebridge/secure_random.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>

namespace ssebridge {
namespace {

TEST(SecureRandomTest, FillsEveryByteAndNeverRepeats) {
  // 1,000 draws of 128 bits: a repeat, or a byte position that never
  // changes, would mean the buffer is not (entirely) filled from the kernel.
  std::set<std::array<uint8_t, 16>> seen;
  std::array<bool, 16> position_varied{};
  std::array<uint8_t, 16> first{};
  ASSERT_TRUE(SecureRandomBytes(first.data(), first.size()));
  for (int i = 0; i < 1000; ++i) {
    std::array<uint8_t, 16> draw{};
    ASSERT_TRUE(SecureRandomBytes(draw.data(), draw.size()));
    EXPECT_TRUE(seen.insert(draw).second);
    for (size_t k = 0; k < draw.size(); ++k) position_varied[k] = position_varied[k] || draw[k] != first[k];
  }
  for (size_t k = 0; k < position_varied.size(); ++k) EXPECT_TRUE(position_varied[k]) << "byte " << k;
}

TEST(SecureRandomTest, ZeroBytesIsFine) { EXPECT_TRUE(SecureRandomBytes(nullptr, 0)); }

}  // namespace
}  // namespace ssebridge
