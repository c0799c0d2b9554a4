// Unit tests for POST /clients/<id>/channels bodies (include/ssebridge/channel_list_request.h).

#include "ssebridge/channel_list_request.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using Names = std::vector<std::string>;

ChannelListParseResult Parse(std::string_view type, std::string_view body, Names* out, size_t max = 10) {
  return ParseChannelListRequest(type, body, max, out);
}

TEST(ChannelListRequestTest, JsonChannelsAndChannelDeduplicatedInOrder) {
  Names names;
  auto result = Parse("application/json; charset=utf-8", R"({"channel":"c","channels":["a","b.*","c","a"]})", &names);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(names, (Names{"c", "a", "b.*"}));
}

TEST(ChannelListRequestTest, FormChannelAndChannels) {
  Names names;
  auto result = Parse("application/x-www-form-urlencoded", "channel=a&channels=b%2A&x=1&channels[]=c+d", &names);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(names, (Names{"a", "b*", "c d"}));
}

TEST(ChannelListRequestTest, Errors) {
  struct Case {
    std::string type, body, error;
    int status;
  } cases[] = {
      {"", "{}", "missing Content-Type: use application/json or application/x-www-form-urlencoded", 415},
      {"text/plain", "a", "unsupported Content-Type 'text/plain': use application/json or application/x-www-form-urlencoded",
       415},
      {"application/json", "{", "body is not valid JSON", 400},
      {"application/json", "[]", "body must be a JSON object", 400},
      {"application/json", R"({"channels":"a"})", "\"channels\" must be an array of strings", 400},
      {"application/json", R"({"channels":[1]})", "\"channels\" must be an array of strings", 400},
      {"application/json", R"({"channel":1})", "\"channel\" must be a string", 400},
      {"application/json", R"({"channels":[""]})", "channel name is empty", 400},
      {"application/json", "{}", "no channel given: set \"channels\" (JSON) or channel=<name> (form)", 400},
      {"application/x-www-form-urlencoded", "x=1", "no channel given: set \"channels\" (JSON) or channel=<name> (form)",
       400},
      {"application/json", R"({"channels":["a","b","c"]})",
       "too many channels: a stream may subscribe to at most 2 (--max-channels-per-subscribe)", 400},
      {"application/json", std::string(100, '[') + std::string(100, ']'), "JSON nests deeper than 64 levels", 400},
  };
  for (const Case& c : cases) {
    Names names;
    auto result = Parse(c.type, c.body, &names, 2);
    EXPECT_EQ(result.error, c.error) << c.body;
    EXPECT_EQ(result.status, c.status) << c.body;
  }
}

}  // namespace
}  // namespace ssebridge
