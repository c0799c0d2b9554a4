// Unit tests for parsing POST /publish bodies (include/ssebridge/publish_request.h):
// JSON and cyclone-sse style form encoding, and the 400/415 error statuses.

#include "ssebridge/publish_request.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kForm = "application/x-www-form-urlencoded";

struct Parsed {
  PublishParseResult result;
  PublishRequest request;
};

Parsed Parse(std::string_view content_type, std::string_view body) {
  Parsed parsed;
  parsed.result = ParsePublishRequest(content_type, body, &parsed.request);
  return parsed;
}

// Asserts a successful parse and returns the request.
PublishRequest ParseOk(std::string_view content_type, std::string_view body) {
  Parsed parsed = Parse(content_type, body);
  EXPECT_EQ(parsed.result.status, 200) << parsed.result.error << " for body " << body;
  EXPECT_EQ(parsed.result.error, "");
  return parsed.request;
}

void ExpectStatus(int status, std::string_view content_type, std::string_view body) {
  Parsed parsed = Parse(content_type, body);
  EXPECT_EQ(parsed.result.status, status) << "body: " << body;
  EXPECT_NE(parsed.result.error, "") << "body: " << body;
}

// --- JSON ---------------------------------------------------------------------

TEST(PublishRequestJsonTest, SingleChannelStringData) {
  PublishRequest r = ParseOk(kJson, R"({"channel":"orders","data":"hello"})");
  EXPECT_EQ(r.channels, std::vector<std::string>{"orders"});
  EXPECT_EQ(r.event, "");
  EXPECT_EQ(r.data, "hello");
  EXPECT_FALSE(r.data_is_json);
}

TEST(PublishRequestJsonTest, StringDataIsUnescaped) {
  PublishRequest r = ParseOk(kJson, R"({"channel":"c","data":"line1\nline2 \"q\" \u00e9"})");
  EXPECT_EQ(r.data, "line1\nline2 \"q\" \xC3\xA9");
  EXPECT_FALSE(r.data_is_json);
}

TEST(PublishRequestJsonTest, ChannelsArrayDeduplicatedInOrder) {
  PublishRequest r = ParseOk(kJson, R"({"channels":["b","a","b"],"channel":"c","data":"x"})");
  // "channel" first, then "channels" in order, duplicates dropped.
  EXPECT_EQ(r.channels, (std::vector<std::string>{"c", "b", "a"}));
}

TEST(PublishRequestJsonTest, ObjectDataKeepsKeyOrder) {
  // Publishers' key order must survive (subscribers may compare strings).
  PublishRequest r = ParseOk(kJson, R"({"channel":"c","data":{"z":1,"a":2,"m":{"y":true,"b":null}}})");
  EXPECT_EQ(r.data, R"({"z":1,"a":2,"m":{"y":true,"b":null}})");
  EXPECT_TRUE(r.data_is_json);
}

TEST(PublishRequestJsonTest, NonStringDataIsCompactJson) {
  EXPECT_EQ(ParseOk(kJson, R"({"channel":"c","data": [ 1 , 2 ,3 ]})").data, "[1,2,3]");
  EXPECT_EQ(ParseOk(kJson, R"({"channel":"c","data": 42})").data, "42");
  EXPECT_EQ(ParseOk(kJson, R"({"channel":"c","data": true})").data, "true");
  PublishRequest r = ParseOk(kJson, R"({"channel":"c","data": null})");
  EXPECT_EQ(r.data, "null");
  EXPECT_TRUE(r.data_is_json);
}

TEST(PublishRequestJsonTest, EmptyStringDataIsAllowed) {
  PublishRequest r = ParseOk(kJson, R"({"channel":"c","data":""})");
  EXPECT_EQ(r.data, "");
  EXPECT_FALSE(r.data_is_json);
}

TEST(PublishRequestJsonTest, EventName) {
  EXPECT_EQ(ParseOk(kJson, R"({"channel":"c","event":"order.created","data":"x"})").event, "order.created");
}

TEST(PublishRequestJsonTest, InvalidEventNamesAre400) {
  ExpectStatus(400, kJson, R"({"channel":"c","event":"","data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"c","event":"a\nb","data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"c","event":"a\rb","data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"c","event":"a\u0000b","data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"c","event":7,"data":"x"})");
}

TEST(PublishRequestJsonTest, MissingDataIs400) { ExpectStatus(400, kJson, R"({"channel":"c"})"); }

TEST(PublishRequestJsonTest, MissingChannelIs400) {
  ExpectStatus(400, kJson, R"({"data":"x"})");
  ExpectStatus(400, kJson, R"({"channels":[],"data":"x"})");
}

TEST(PublishRequestJsonTest, WrongChannelTypesAre400) {
  ExpectStatus(400, kJson, R"({"channel":5,"data":"x"})");
  ExpectStatus(400, kJson, R"({"channels":"a","data":"x"})");
  ExpectStatus(400, kJson, R"({"channels":["a",1],"data":"x"})");
}

TEST(PublishRequestJsonTest, InvalidChannelNamesAre400) {
  ExpectStatus(400, kJson, R"({"channel":"","data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"a\u0001","data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"a\u0085","data":"x"})");  // C1 control.
  ExpectStatus(400, kJson, std::string(R"({"channel":")") + std::string(257, 'x') + R"(","data":"x"})");
}

TEST(PublishRequestJsonTest, PatternChannelsAreRejected) {
  // Publishing is to concrete channels only; a glob would never reach anyone.
  ExpectStatus(400, kJson, R"({"channel":"news.*","data":"x"})");
  ExpectStatus(400, kJson, R"({"channels":["ok","a?"],"data":"x"})");
  ExpectStatus(400, kJson, R"({"channel":"[ab]","data":"x"})");
}

TEST(PublishRequestJsonTest, BadJsonIs400) {
  ExpectStatus(400, kJson, R"({"channel":"c","data":)");
  ExpectStatus(400, kJson, "");
  ExpectStatus(400, kJson, R"({"channel":"c","data":"x"} trailing)");
}

TEST(PublishRequestJsonTest, InvalidUtf8InJsonIs400) {
  ExpectStatus(400, kJson, "{\"channel\":\"c\",\"data\":\"\xFF\"}");
}

TEST(PublishRequestJsonTest, NonObjectIs400) {
  ExpectStatus(400, kJson, R"(["c","x"])");
  ExpectStatus(400, kJson, R"("text")");
  ExpectStatus(400, kJson, "42");
}

TEST(PublishRequestJsonTest, ContentTypeWithParametersAndCase) {
  EXPECT_EQ(ParseOk("application/json; charset=utf-8", R"({"channel":"c","data":"x"})").data, "x");
  EXPECT_EQ(ParseOk("Application/JSON;charset=UTF-8", R"({"channel":"c","data":"x"})").data, "x");
  EXPECT_EQ(ParseOk("  application/json  ", R"({"channel":"c","data":"x"})").data, "x");
}

TEST(PublishRequestJsonTest, StructuredJsonSuffixIsJson) {
  EXPECT_EQ(ParseOk("application/vnd.api+json", R"({"channel":"c","data":"x"})").data, "x");
}

// --- Form encoding (cyclone-sse compatible) -------------------------------------

TEST(PublishRequestFormTest, CycloneSseExample) {
  PublishRequest r = ParseOk(kForm, "message=%5B123%2C+124%5D&channel=base");
  EXPECT_EQ(r.channels, std::vector<std::string>{"base"});
  EXPECT_EQ(r.data, "[123, 124]");
  EXPECT_FALSE(r.data_is_json);  // Form data is always text.
  EXPECT_EQ(r.event, "");
}

TEST(PublishRequestFormTest, DataKeyChannelsAndEvent) {
  PublishRequest r = ParseOk(kForm, "channel=a&channels=b&channel=a&event=tick&data=hello+world");
  EXPECT_EQ(r.channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.event, "tick");
  EXPECT_EQ(r.data, "hello world");
}

TEST(PublishRequestFormTest, FirstMessageWins) {
  EXPECT_EQ(ParseOk(kForm, "channel=a&message=first&message=second").data, "first");
}

TEST(PublishRequestFormTest, EmptyMessageIsAllowed) {
  EXPECT_EQ(ParseOk(kForm, "channel=a&message=").data, "");
}

TEST(PublishRequestFormTest, ContentTypeWithCharset) {
  EXPECT_EQ(ParseOk("application/x-www-form-urlencoded; charset=UTF-8", "channel=a&message=m").data, "m");
}

TEST(PublishRequestFormTest, MissingMessageIs400) { ExpectStatus(400, kForm, "channel=a"); }

TEST(PublishRequestFormTest, MissingChannelIs400) { ExpectStatus(400, kForm, "message=x"); }

TEST(PublishRequestFormTest, PatternChannelIs400) { ExpectStatus(400, kForm, "channel=news.%2A&message=x"); }

TEST(PublishRequestFormTest, InvalidChannelIs400) {
  ExpectStatus(400, kForm, "channel=a%0Ab&message=x");
  ExpectStatus(400, kForm, "channel=%FF&message=x");
}

TEST(PublishRequestFormTest, InvalidUtf8MessageIs400) {
  ExpectStatus(400, kForm, "channel=a&message=%FF%FE");
  ExpectStatus(400, kForm, "channel=a&message=%C0%AF");  // Overlong '/'.
}

TEST(PublishRequestFormTest, InvalidEventIs400) {
  ExpectStatus(400, kForm, "channel=a&message=x&event=a%0Db");
  ExpectStatus(400, kForm, "channel=a&message=x&event=");
  ExpectStatus(400, kForm, "channel=a&message=x&event=%FF");
}

// --- Content types -----------------------------------------------------------------

TEST(PublishRequestContentTypeTest, UnsupportedIs415) {
  ExpectStatus(415, "text/plain", "channel=a&message=x");
  ExpectStatus(415, "multipart/form-data; boundary=x", "--x--");
  ExpectStatus(415, "application/jsonx", R"({"channel":"c","data":"x"})");
}

TEST(PublishRequestContentTypeTest, MissingIs415) {
  ExpectStatus(415, "", R"({"channel":"c","data":"x"})");
  ExpectStatus(415, "; charset=utf-8", R"({"channel":"c","data":"x"})");
}

}  // namespace
}  // namespace ssebridge
