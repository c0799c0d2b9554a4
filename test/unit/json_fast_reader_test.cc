// Unit tests for JsonFastReader (include/ssebridge/json_fast_reader.h): the
// strict reader behind the publish and envelope fast paths. Whatever it does
// not expect makes a call return false. Its agreement with the full parser on
// publish bodies is tested in publish_request_test.cc (PublishFastPathTest).

#include "ssebridge/json_fast_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssebridge {
namespace {

std::string ReadString(std::string_view text, bool* ok) {
  JsonFastReader reader(text);
  std::string out = "unchanged";
  *ok = reader.String(&out) && reader.AtEnd();
  return out;
}

TEST(JsonFastReaderTest, PunctuationSkipsWhitespace) {
  JsonFastReader reader(" \t\r\n[ ,\n]  ");
  EXPECT_TRUE(reader.Peek('['));
  EXPECT_FALSE(reader.Consume(']'));
  EXPECT_TRUE(reader.Consume('['));
  EXPECT_TRUE(reader.Consume(','));
  EXPECT_FALSE(reader.AtEnd());
  EXPECT_TRUE(reader.Consume(']'));
  EXPECT_TRUE(reader.AtEnd());
  EXPECT_FALSE(reader.Consume(']'));
  EXPECT_FALSE(reader.Peek(']'));
}

TEST(JsonFastReaderTest, EmptyTextIsAtEnd) {
  JsonFastReader reader("");
  EXPECT_TRUE(reader.AtEnd());
  std::string out;
  EXPECT_FALSE(reader.String(&out));
  bool flag = false;
  EXPECT_FALSE(reader.Boolean(&flag));
}

TEST(JsonFastReaderTest, ReadsAPlainString) {
  bool ok = false;
  EXPECT_EQ(ReadString(R"( "hello world" )", &ok), "hello world");
  EXPECT_TRUE(ok);
  EXPECT_EQ(ReadString(R"("")", &ok), "");
  EXPECT_TRUE(ok);
}

TEST(JsonFastReaderTest, DecodesEveryShortEscape) {
  bool ok = false;
  EXPECT_EQ(ReadString(R"("a\"b\\c\/d\be\ff\ng\rh\ti")", &ok), "a\"b\\c/d\be\ff\ng\rh\ti");
  EXPECT_TRUE(ok);
}

TEST(JsonFastReaderTest, DecodesUnicodeEscapesAndSurrogatePairs) {
  bool ok = false;
  EXPECT_EQ(ReadString(R"("\u0041\u00e9\u4e2d\ud83d\ude80")", &ok), "A\xc3\xa9\xe4\xb8\xad\xf0\x9f\x9a\x80");
  EXPECT_TRUE(ok);
  EXPECT_EQ(ReadString(R"("\u00E9")", &ok), "\xc3\xa9");  // Upper-case hex digits.
  EXPECT_TRUE(ok);
}

TEST(JsonFastReaderTest, KeepsRawUtf8) {
  bool ok = false;
  EXPECT_EQ(ReadString("\"caf\xc3\xa9 \xe2\x9c\x93\"", &ok), "caf\xc3\xa9 \xe2\x9c\x93");
  EXPECT_TRUE(ok);
}

TEST(JsonFastReaderTest, RejectsMalformedStrings) {
  const std::vector<std::string> bad = {
      "abc",                    // Not a string.
      R"("unterminated)",       // No closing quote.
      R"("ends in escape\)",    // Escape at the end.
      R"("\x")",                // Unknown escape.
      R"("\u12")",              // Short hex.
      R"("\u00G0")",            // Not hex.
      R"("\ud800")",            // Lone high surrogate.
      R"("\ud800\u0041")",      // High surrogate with a non-low partner.
      R"("\udc00")",            // Lone low surrogate.
      "\"raw\x01control\"",     // Raw control character.
      "\"tab\there\"",          // Raw tab.
      "\"bad \xff utf8\"",      // Invalid UTF-8.
      "\"\xc3\"",               // Truncated UTF-8 sequence.
  };
  for (const std::string& text : bad) {
    JsonFastReader reader(text);
    std::string out;
    EXPECT_FALSE(reader.String(&out)) << text;
  }
}

TEST(JsonFastReaderTest, ReadsBooleans) {
  JsonFastReader reader(" true , false");
  bool value = false;
  EXPECT_TRUE(reader.Boolean(&value));
  EXPECT_TRUE(value);
  EXPECT_TRUE(reader.Consume(','));
  EXPECT_TRUE(reader.Boolean(&value));
  EXPECT_FALSE(value);
  EXPECT_TRUE(reader.AtEnd());
  for (const char* bad : {"True", "fals", "null", "1", "\"true\""}) {
    JsonFastReader other(bad);
    bool untouched = true;
    EXPECT_FALSE(other.Boolean(&untouched)) << bad;
    EXPECT_TRUE(untouched) << bad;
  }
}

TEST(JsonFastReaderTest, ObjectVisitsEveryMemberInOrder) {
  JsonFastReader reader(R"({ "a" : "x", "b":true ,"c":"y" })");
  std::vector<std::string> keys;
  std::string a, c;
  bool b = false;
  EXPECT_TRUE(reader.Object([&](const std::string& key) {
    keys.push_back(key);
    if (key == "a") return reader.String(&a);
    if (key == "b") return reader.Boolean(&b);
    if (key == "c") return reader.String(&c);
    return false;
  }));
  EXPECT_TRUE(reader.AtEnd());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(a, "x");
  EXPECT_TRUE(b);
  EXPECT_EQ(c, "y");
}

TEST(JsonFastReaderTest, EmptyObjectCallsNothing) {
  JsonFastReader reader(" { } ");
  int calls = 0;
  EXPECT_TRUE(reader.Object([&](const std::string&) { return ++calls, false; }));
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(reader.AtEnd());
}

TEST(JsonFastReaderTest, ObjectFailsWhenTheValueReaderGivesUp) {
  JsonFastReader reader(R"({"a":"x","unknown":1})");
  std::string value;
  EXPECT_FALSE(reader.Object([&](const std::string& key) { return key == "a" && reader.String(&value); }));
  EXPECT_EQ(value, "x");
}

TEST(JsonFastReaderTest, ObjectRejectsMalformedShapes) {
  for (const char* bad : {R"(["a"])", R"({"a":"x",})", R"({"a" "x"})", R"({a:"x"})", R"({"a":"x")",
                          R"({"a":"x" "b":"y"})"}) {
    JsonFastReader reader(bad);
    std::string value;
    EXPECT_FALSE(reader.Object([&](const std::string&) { return reader.String(&value); })) << bad;
  }
}

}  // namespace
}  // namespace ssebridge
