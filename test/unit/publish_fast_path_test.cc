// The fast JSON path of POST /publish must agree with the full parser on
// everything it accepts, and decline (so the full parser decides) otherwise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ssebridge/publish_request.h"

namespace ssebridge {
namespace {

struct Case {
  std::string body;
  bool fast_accepts;
};

TEST(PublishFastPathTest, AgreesWithTheFullParserOrDeclines) {
  const std::vector<Case> cases = {
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
      {R"({"channel":"a","event":"","data":"x"})", false},
      {R"({"channel":"a","event":"x\ny","data":"x"})", false},
      {R"({"channels":[],"data":"x"})", false},
      {R"({"channels":["a",1],"data":"x"})", false},
      {R"([{"channel":"a","data":"x"}])", false},
      {R"({"channel":"a","data":"\u00G0"})", false},
  };
  for (const Case& c : cases) {
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
