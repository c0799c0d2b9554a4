// Unit tests for JsonQuote (include/ssebridge/json_quote.h): every byte JSON
// forbids raw is escaped, everything else passes through.

#include "ssebridge/json_quote.h"

#include <string>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

TEST(JsonQuoteTest, PlainText) {
  EXPECT_EQ(JsonQuote("hello"), "\"hello\"");
  EXPECT_EQ(JsonQuote(""), "\"\"");
}

TEST(JsonQuoteTest, EscapesQuoteAndBackslash) {
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

TEST(JsonQuoteTest, EscapesControlCharacters) {
  EXPECT_EQ(JsonQuote("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonQuote(std::string("\0\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote("\b\f"), "\"\\u0008\\u000c\"");
}

TEST(JsonQuoteTest, EveryControlCharacterIsEscaped) {
  // No raw byte below 0x20 may appear in the output (JSON forbids it).
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  std::string quoted = JsonQuote(all);
  for (char c : quoted) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in output";
}

TEST(JsonQuoteTest, NonAsciiAndDelPassThrough) {
  EXPECT_EQ(JsonQuote("caf\xC3\xA9 \x7F"), "\"caf\xC3\xA9 \x7F\"");
  EXPECT_EQ(JsonQuote("/"), "\"/\"");  // Slash needs no escape.
}

}  // namespace
}  // namespace ssebridge
