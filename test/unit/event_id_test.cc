// Unit tests for ParseEventId (include/ssebridge/event_id.h): what counts as
// a resumable id, and that a refused one leaves the output alone.

#include "ssebridge/event_id.h"

#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

TEST(ParseEventIdTest, AcceptsDecimal) {
  uint64_t id = 7;
  ASSERT_TRUE(ParseEventId("0", &id));
  EXPECT_EQ(id, 0u);
  ASSERT_TRUE(ParseEventId("1700000000123456", &id));
  EXPECT_EQ(id, 1700000000123456u);
  ASSERT_TRUE(ParseEventId("0042", &id));
  EXPECT_EQ(id, 42u);
}

TEST(ParseEventIdTest, AcceptsNineteenDigits) {
  uint64_t id = 0;
  ASSERT_TRUE(ParseEventId("9999999999999999999", &id));
  EXPECT_EQ(id, 9999999999999999999u);
  ASSERT_TRUE(ParseEventId("0000000000000000001", &id));
  EXPECT_EQ(id, 1u);
}

TEST(ParseEventIdTest, RejectsEmptyNonDigitsAndTooLong) {
  for (const char* text : {"", " ", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10", "1.5", "1e3", "１",
                           "12345678901234567890", "00000000000000000001", "18446744073709551615"}) {
    uint64_t id = 12345;
    EXPECT_FALSE(ParseEventId(text, &id)) << '"' << text << '"';
    EXPECT_EQ(id, 12345u) << "output changed on failure for \"" << text << '"';
  }
}

TEST(ParseEventIdTest, RejectsEmbeddedNul) {
  uint64_t id = 0;
  EXPECT_FALSE(ParseEventId(std::string_view("12\0" "3", 4), &id));
}

}  // namespace
}  // namespace ssebridge
