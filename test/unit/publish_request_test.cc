// Unit tests for parsing POST /publish bodies (include/ssebridge/publish_request.h):
// JSON and cyclone-sse style form encoding, and the 400/415 error statuses.

#include "ssebridge/publish_request.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "ssebridge/untrusted_json.h"

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
  parsed.result = ParsePublishRequest(content_type, body, 100, &parsed.request);
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

// IntraMine broadcasts a bare "todochanged": a named event is a complete
// publish without data, and goes out with empty data.
TEST(PublishRequestJsonTest, NamedEventWithoutDataIsASignal) {
  PublishRequest r = ParseOk(kJson, R"({"channel":"todo","event":"todochanged"})");
  EXPECT_EQ(r.channels, std::vector<std::string>{"todo"});
  EXPECT_EQ(r.event, "todochanged");
  EXPECT_EQ(r.data, "");
  EXPECT_FALSE(r.data_is_json);
  // The full path (taken here because of the repeated key) agrees.
  PublishRequest full = ParseOk(kJson, R"({"channel":"todo","event":"x","event":"todochanged"})");
  EXPECT_EQ(full.event, "todochanged");
  EXPECT_EQ(full.data, "");
  EXPECT_FALSE(full.data_is_json);
}

TEST(PublishRequestJsonTest, SignalWithABadEventNameIs400) {
  ExpectStatus(400, kJson, R"({"channel":"c","event":""})");
  ExpectStatus(400, kJson, R"({"channel":"c","event":"a
b"})");
  ExpectStatus(400, kJson, R"({"channel":"c","event":null})");
  ExpectStatus(400, kJson, R"({"event":"todochanged"})");  // Still needs a channel.
}

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

TEST(PublishRequestJsonTest, UsersAreTheirChannels) {
  PublishRequest r = ParseOk(kJson, R"({"user":"alice","data":"hi"})");
  EXPECT_EQ(r.channels, (std::vector<std::string>{"user:alice"}));
  r = ParseOk(kJson, R"({"users":["alice","bob","alice"],"channel":"news","data":"hi"})");
  EXPECT_EQ(r.channels, (std::vector<std::string>{"news", "user:alice", "user:bob"}));
  r = ParseOk(kJson, R"({"channel":"user:alice","user":"alice","data":"hi"})");
  EXPECT_EQ(r.channels, (std::vector<std::string>{"user:alice"}));
  ExpectStatus(400, kJson, R"({"user":"","data":"x"})");
  ExpectStatus(400, kJson, R"({"user":7,"data":"x"})");
  ExpectStatus(400, kJson, R"({"users":"alice","data":"x"})");
  ExpectStatus(400, kJson, R"({"users":[1],"data":"x"})");
  // A user name is not a pattern: publishing to everyone is not a thing.
  ExpectStatus(400, kJson, R"({"user":"*","data":"x"})");
  ExpectStatus(400, kJson, R"({"users":[],"data":"x"})");
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

TEST(PublishRequestFormTest, NamedEventWithoutMessageIsASignal) {
  PublishRequest r = ParseOk(kForm, "channel=todo&event=todochanged");
  EXPECT_EQ(r.event, "todochanged");
  EXPECT_EQ(r.data, "");
  ExpectStatus(400, kForm, "channel=todo&event=");
}

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

// --- Hostile input (issue 9) -------------------------------------------------

std::string ChannelsBody(int count, const std::string& data = "\"x\"") {
  std::string body = "{\"channels\":[";
  for (int i = 0; i < count; ++i) body += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
  return body + "],\"data\":" + data + "}";
}

TEST(PublishRequestLimitsTest, AtMostMaxChannelsDistinctChannels) {
  PublishRequest ok;
  EXPECT_EQ(ParsePublishRequest(kJson, ChannelsBody(100), 100, &ok).error, "");
  EXPECT_EQ(ok.channels.size(), 100u);
  for (const std::string& data : {std::string("\"x\""), std::string("{\"k\":1}")}) {  // Fast and full path.
    PublishRequest over;
    PublishParseResult result = ParsePublishRequest(kJson, ChannelsBody(101, data), 100, &over);
    EXPECT_EQ(result.status, 400);
    EXPECT_NE(result.error.find("at most 100"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("--max-channels-per-publish"), std::string::npos) << result.error;
  }
  PublishRequest form;
  PublishParseResult result = ParsePublishRequest(kForm, "channel=a&channel=b&channel=c&message=m", 2, &form);
  EXPECT_EQ(result.status, 400);
  EXPECT_NE(result.error.find("at most 2"), std::string::npos) << result.error;
}

TEST(PublishRequestLimitsTest, RepeatedChannelsCountOnce) {
  std::string body = "{\"channel\":\"a\",\"channels\":[";
  for (int i = 0; i < 50000; ++i) body += i ? ",\"a\"" : "\"a\"";
  body += "],\"data\":\"x\"}";
  PublishRequest out;
  EXPECT_EQ(ParsePublishRequest(kJson, body, 1, &out).error, "");
  EXPECT_EQ(out.channels, std::vector<std::string>{"a"});
}

TEST(PublishRequestLimitsTest, HundredThousandChannelsAreRefusedQuickly) {
  const auto start = std::chrono::steady_clock::now();
  PublishRequest out;
  EXPECT_EQ(ParsePublishRequest(kJson, ChannelsBody(100000), 100, &out).status, 400);
  PublishRequest many;  // Even with the limit lifted, de-duplication is linear.
  EXPECT_EQ(ParsePublishRequest(kJson, ChannelsBody(100000), 1000000, &many).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // Was 10 s.
}

TEST(PublishRequestLimitsTest, DataNestingUpToTheLimitIsAccepted) {
  // The body object is one level, so data may nest kMaxJsonDepth - 1 deep.
  const size_t depth = kMaxJsonDepth - 1;
  const std::string data = std::string(depth, '[') + std::string(depth, ']');
  PublishRequest out = ParseOk(kJson, "{\"channel\":\"a\",\"data\":" + data + "}");
  EXPECT_EQ(out.data, data);
  EXPECT_TRUE(out.data_is_json);
}

TEST(PublishRequestLimitsTest, DeeperNestingIs400BeforeParsing) {
  for (size_t depth : {size_t{kMaxJsonDepth}, size_t{3000}, size_t{70000}}) {
    for (auto [open, close] : {std::pair{'[', ']'}, std::pair{'{', '}'}}) {
      std::string nested;
      if (open == '[') {
        nested = std::string(depth, '[') + std::string(depth, ']');
      } else {
        for (size_t i = 0; i < depth; ++i) nested += "{\"a\":";
        nested += "1" + std::string(depth, '}');
      }
      Parsed parsed = Parse(kJson, "{\"channel\":\"a\",\"data\":" + nested + "}");
      EXPECT_EQ(parsed.result.status, 400) << depth;
      EXPECT_EQ(parsed.result.error, "JSON nests deeper than 64 levels") << depth;
    }
  }
}

// The fast JSON path of POST /publish (ParsePublishJsonFast) must agree with
// the full parser on everything it accepts, and decline (so the full parser
// decides) otherwise. Moved here from publish_fast_path_test.cc.

struct FastPathCase {
  std::string body;
  bool fast_accepts;
};

TEST(PublishFastPathTest, AgreesWithTheFullParserOrDeclines) {
  const std::vector<FastPathCase> cases = {
      {R"({"channel":"a","data":"plain"})", true},
      {R"( { "channel" : "a" , "data" : "spaced" , "event" : "e" } )", true},
      {R"({"channels":["a","b","a"],"data":"dedup"})", true},
      {R"({"channel":"a","channels":["b"],"data":"both"})", true},
      {R"({"data":"escapes \" \\ \/ \b \f \n \r \t","channel":"a"})", true},
      {R"({"channel":"a","data":"\u00e9\u4e2d\ud83d\ude80"})", true},
      {"{\"channel\":\"caf\xc3\xa9\",\"data\":\"utf-8 raw \xe2\x9c\x93\"}", true},
      {R"({"channel":"a","data":""})", true},
      // Declined: the full parser decides (and may accept or reject).
      {R"({"channel":"a","data":{"z":1,"a":2}})", false},   // Object data.
      {R"({"channel":"a","data":null})", false},
      {R"({"channel":"a","data":12})", false},
      {R"({"channel":"a","data":"x","extra":1})", false},  // Unknown key.
      {R"({"channel":"a","channel":"b","data":"x"})", false},  // Repeated key.
      {R"({"channel":"a","data":"\ud800"})", false},       // Lone surrogate.
      {R"({"channel":"a","data":"\udc00x"})", false},
      {"{\"channel\":\"a\",\"data\":\"raw\x01control\"}", false},
      {"{\"channel\":\"a\",\"data\":\"bad \xff utf8\"}", false},
      {R"({"channel":"a","data":"x"} trailing)", false},
      {R"({"channel":"a","data":"x",})", false},
      {R"({"channel":"a*","data":"x"})", false},            // Pattern: a 400 from the full path.
      {R"({"channel":"","data":"x"})", false},
      {R"({"channel":"a"})", false},                        // Missing data.
      {R"({"channel":"a","event":"todochanged"})", true},  // A signal: no data needed.
      {R"({"event":"e","channel":"a"})", true},
      {R"({"channel":"a","event":"","data":"x"})", false},
      {R"({"channel":"a","event":"x\ny","data":"x"})", false},
      {R"({"channels":[],"data":"x"})", false},
      {R"({"channels":["a",1],"data":"x"})", false},
      {R"([{"channel":"a","data":"x"}])", false},
      {R"({"channel":"a","data":"\u00G0"})", false},
  };
  for (const FastPathCase& c : cases) {
    PublishRequest fast;
    bool accepted = ParsePublishJsonFast(c.body, 100, &fast);
    EXPECT_EQ(accepted, c.fast_accepts) << c.body;
    if (!accepted) continue;
    PublishRequest full;
    PublishParseResult result = ParsePublishJsonFull(c.body, 100, &full);
    ASSERT_TRUE(result.error.empty()) << c.body << ": " << result.error;
    EXPECT_EQ(fast.channels, full.channels) << c.body;
    EXPECT_EQ(fast.event, full.event) << c.body;
    EXPECT_EQ(fast.data, full.data) << c.body;
    EXPECT_EQ(fast.data_is_json, full.data_is_json) << c.body;
  }
}

TEST(PublishFastPathTest, DecodesEscapesToUtf8) {
  PublishRequest out;
  ASSERT_TRUE(ParsePublishJsonFast(R"({"channel":"a","data":"\u00e9\ud83d\ude80\n"})", 100, &out));
  EXPECT_EQ(out.data, "\xc3\xa9\xf0\x9f\x9a\x80\n");
  EXPECT_FALSE(out.data_is_json);
}

TEST(PublishFastPathTest, ParsePublishRequestGivesTheSameAnswerEitherWay) {
  // Through the public entry point, a declined body still gets the full
  // parser's answer (here: object data re-serialized in key order).
  PublishRequest out;
  PublishParseResult result = ParsePublishRequest("application/json", R"({"channel":"a","data":{"z":1,"a":2}})", 100, &out);
  ASSERT_TRUE(result.error.empty());
  EXPECT_EQ(out.data, R"({"z":1,"a":2})");
  EXPECT_TRUE(out.data_is_json);
  PublishRequest bad;
  EXPECT_EQ(ParsePublishRequest("application/json", R"({"channel":"a*","data":"x"})", 100, &bad).status, 400);
}

}  // namespace
}  // namespace ssebridge

namespace ssebridge {
namespace {

TEST(PublishRequestFormTest, UsersAreTheirChannels) {
  PublishRequest r = ParseOk(kForm, "user=alice&users=bob&users%5B%5D=carol&message=hi");
  EXPECT_EQ(r.channels, (std::vector<std::string>{"user:alice", "user:bob", "user:carol"}));
  ExpectStatus(400, kForm, "user=&message=hi");
}

}  // namespace
}  // namespace ssebridge
