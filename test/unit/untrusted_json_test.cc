// Unit tests for parsing JSON from the network (include/ssebridge/untrusted_json.h):
// the linear nesting scan, and a document builder that must agree with
// nlohmann's own parser while staying linear in the number of object keys.

#include "ssebridge/untrusted_json.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

std::string Nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonNestsDeeperThanTest, CountsOpenArraysAndObjects) {
  EXPECT_FALSE(JsonNestsDeeperThan("", 0));
  EXPECT_FALSE(JsonNestsDeeperThan("1", 0));
  EXPECT_TRUE(JsonNestsDeeperThan("[]", 0));
  EXPECT_FALSE(JsonNestsDeeperThan("[]", 1));
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":[1,{"b":2}],"c":[]})", 3));
  EXPECT_TRUE(JsonNestsDeeperThan(R"({"a":[1,{"b":2}],"c":[]})", 2));
  // Siblings do not add up: depth is how many are open at once.
  EXPECT_FALSE(JsonNestsDeeperThan("[[],[],[],[],[]]", 2));
}

TEST(JsonNestsDeeperThanTest, TheLimitItselfIsAllowed) {
  EXPECT_FALSE(JsonNestsDeeperThan(Nested(kMaxJsonDepth), kMaxJsonDepth));
  EXPECT_TRUE(JsonNestsDeeperThan(Nested(kMaxJsonDepth + 1), kMaxJsonDepth));
  EXPECT_TRUE(JsonNestsDeeperThan(Nested(kMaxJsonDepth + 1, '{', '}'), kMaxJsonDepth));
}

TEST(JsonNestsDeeperThanTest, BracketsInsideStringsDoNotCount) {
  const std::string brackets(1000, '[');
  EXPECT_FALSE(JsonNestsDeeperThan("{\"data\":\"" + brackets + "\"}", 1));
  // An escaped quote does not end the string; an escaped backslash does not
  // escape the quote after it.
  EXPECT_FALSE(JsonNestsDeeperThan("[\"\\\"" + brackets + "\"]", 1));
  EXPECT_TRUE(JsonNestsDeeperThan("[\"\\\\\"" + brackets + "\"]", 1));
}

TEST(JsonNestsDeeperThanTest, UnterminatedStringEndsTheScan) {
  EXPECT_FALSE(JsonNestsDeeperThan("[\"" + std::string(1000, '['), 1));
  EXPECT_FALSE(JsonNestsDeeperThan("[\"\\", 1));
}

TEST(JsonNestsDeeperThanTest, ClosingBracketsNeverGoBelowZero) {
  EXPECT_TRUE(JsonNestsDeeperThan("]]]]" + Nested(3), 2));
}

TEST(JsonNestsDeeperThanTest, HundredThousandLevelsAreFoundWithoutRecursion) {
  EXPECT_TRUE(JsonNestsDeeperThan(std::string(100000, '['), kMaxJsonDepth));
  EXPECT_TRUE(JsonNestsDeeperThan("{\"event\":\"e\",\"data\":" + Nested(70000, '{', '}') + "}", kMaxJsonDepth));
}

// Parses with ParseUntrustedJson and with nlohmann directly; both documents
// must serialize the same.
void ExpectSameAsNlohmann(const std::string& text) {
  nlohmann::ordered_json ours;
  ASSERT_EQ(ParseUntrustedJson(text, &ours), JsonParseStatus::kOk) << text;
  nlohmann::ordered_json theirs = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(ours.dump(), theirs.dump()) << text;
}

TEST(ParseUntrustedJsonTest, AgreesWithNlohmann) {
  for (const char* text : {
           "null", "true", "false", "0", "-7", "18446744073709551615", "1.5e3", "\"x\\u00e9\\n\"", "[]", "{}",
           R"({"z":1,"a":[true,null,{"k":"v"}],"m":{"n":{"o":[]}}})",
           R"( { "a" : [ 1 , 2 ] } )",
           // Repeated keys: first position, last value.
           R"({"a":1,"b":2,"a":3})",
           R"({"a":{"x":1},"b":2,"a":[4]})",
       }) {
    ExpectSameAsNlohmann(text);
  }
}

TEST(ParseUntrustedJsonTest, RepeatedKeysInLargeObjectsAgreeWithNlohmann) {
  // Past the size at which the builder switches to a hash index.
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  for (int i = 0; i < 100; i += 7) text += "\"k" + std::to_string(i) + "\":\"again\",";
  text += "\"last\":[{\"k1\":1,\"k1\":2}]}";
  ExpectSameAsNlohmann(text);
}

TEST(ParseUntrustedJsonTest, RejectsWhatNlohmannRejects) {
  nlohmann::ordered_json document;
  for (const char* text : {"", "{", "[1,]", "{\"a\"}", "[1] 2", "\"\\x\"", "{\"a\":1,}", "nul", "\"\xff\""}) {
    EXPECT_EQ(ParseUntrustedJson(text, &document), JsonParseStatus::kInvalid) << text;
  }
}

TEST(ParseUntrustedJsonTest, TooDeepIsRefusedBeforeParsing) {
  nlohmann::ordered_json document;
  EXPECT_EQ(ParseUntrustedJson(Nested(kMaxJsonDepth), &document), JsonParseStatus::kOk);
  EXPECT_EQ(ParseUntrustedJson(Nested(kMaxJsonDepth + 1), &document), JsonParseStatus::kTooDeep);
  EXPECT_EQ(ParseUntrustedJson(Nested(70000, '{', '}'), &document), JsonParseStatus::kTooDeep);
  // Malformed but deep: still too deep, never handed to the parser.
  EXPECT_EQ(ParseUntrustedJson(std::string(100000, '['), &document), JsonParseStatus::kTooDeep);
}

// ordered_json's own parser searches an object's keys linearly for every new
// key: 100,000 keys took 16 s. The builder must stay linear.
TEST(ParseUntrustedJsonTest, HundredThousandKeysParseInLinearTime) {
  std::string text = "{\"data\":{";
  for (int i = 0; i < 100000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  text += ",\"k5\":1}}";
  const auto start = std::chrono::steady_clock::now();
  nlohmann::ordered_json document;
  ASSERT_EQ(ParseUntrustedJson(text, &document), JsonParseStatus::kOk);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));  // Linear: tens of ms (more under sanitizers).
  EXPECT_EQ(document["data"].size(), 100000u);
  EXPECT_EQ(document["data"]["k5"], 1);
}

}  // namespace
}  // namespace ssebridge
