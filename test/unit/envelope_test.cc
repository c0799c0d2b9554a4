// Unit tests for Redis payload envelopes (include/ssebridge/envelope.h).

#include "ssebridge/envelope.h"

#include <string>

#include <gtest/gtest.h>

#include "ssebridge/untrusted_json.h"

namespace ssebridge {
namespace {

std::optional<Message> Decode(std::string_view payload) {
  Message message;
  if (!DecodeEnvelope(payload, &message)) return std::nullopt;
  return message;
}

TEST(DecodeEnvelopeTest, EventAndStringData) {
  std::optional<Message> m = Decode(R"({"event":"order","data":"hello"})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->event, "order");
  EXPECT_EQ(m->data, "hello");
  EXPECT_EQ(m->id, "");
  EXPECT_FALSE(m->retry_ms.has_value());
}

TEST(DecodeEnvelopeTest, KeyOrderDoesNotMatter) {
  std::optional<Message> m = Decode(R"({"data":"d","event":"e"})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->event, "e");
  EXPECT_EQ(m->data, "d");
}

TEST(DecodeEnvelopeTest, WhitespaceAroundIsAccepted) {
  EXPECT_TRUE(Decode(" \n {\"event\" : \"e\" , \"data\" : 1 } \n").has_value());
}

TEST(DecodeEnvelopeTest, ObjectDataIsCompactJsonInOriginalKeyOrder) {
  std::optional<Message> m = Decode(R"({"event":"e","data":{ "z": 1, "a": [true, null], "m": {"y": 2, "b": 3} }})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->data, R"({"z":1,"a":[true,null],"m":{"y":2,"b":3}})");
}

TEST(DecodeEnvelopeTest, NonStringScalarDataIsItsJsonText) {
  EXPECT_EQ(Decode(R"({"event":"e","data":42})")->data, "42");
  EXPECT_EQ(Decode(R"({"event":"e","data":null})")->data, "null");
  EXPECT_EQ(Decode(R"({"event":"e","data":[1,"two"]})")->data, R"([1,"two"])");
}

TEST(DecodeEnvelopeTest, StringDataIsUnescaped) {
  EXPECT_EQ(Decode(R"({"event":"e","data":"a\nb \"q\" \u00e9"})")->data, "a\nb \"q\" \xC3\xA9");
}

TEST(DecodeEnvelopeTest, OptionalIdAndRetry) {
  std::optional<Message> m = Decode(R"({"event":"e","data":"d","id":"1718000000000001","retry":2500})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->id, "1718000000000001");
  ASSERT_TRUE(m->retry_ms.has_value());
  EXPECT_EQ(*m->retry_ms, 2500u);
}

TEST(DecodeEnvelopeTest, RetryZeroAndMaximum) {
  EXPECT_EQ(*Decode(R"({"event":"e","data":"d","retry":0})")->retry_ms, 0u);
  EXPECT_EQ(*Decode(R"({"event":"e","data":"d","retry":4294967295})")->retry_ms, 4294967295u);
}

TEST(DecodeEnvelopeTest, RejectsExtraKeys) {
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","extra":1})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","id":"1","retry":1,"x":null})").has_value());
}

TEST(DecodeEnvelopeTest, RejectsBadEvent) {
  EXPECT_FALSE(Decode(R"({"event":5,"data":"d"})").has_value());
  EXPECT_FALSE(Decode(R"({"event":null,"data":"d"})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"","data":"d"})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"a\nb","data":"d"})").has_value());
  EXPECT_FALSE(Decode(R"({"data":"d"})").has_value());
}

// IntraMine's broadcasts are bare signals ("todochanged"): a named event with
// nothing to carry. Without data the envelope still decodes, to empty data,
// which the frame encoder turns into one empty data line.
TEST(DecodeEnvelopeTest, NamedEventWithoutDataIsASignal) {
  std::optional<Message> m = Decode(R"({"event":"todochanged"})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->event, "todochanged");
  EXPECT_EQ(m->data, "");
  std::optional<Message> with_id = Decode(R"({"event":"todochanged","id":"17","resumable":true})");
  ASSERT_TRUE(with_id.has_value());
  EXPECT_EQ(with_id->data, "");
  EXPECT_EQ(with_id->sequence, 17u);
  std::optional<Message> with_retry = Decode(R"({"retry":10,"event":"todochanged"})");
  ASSERT_TRUE(with_retry.has_value());
  EXPECT_EQ(with_retry->data, "");
  EXPECT_EQ(*with_retry->retry_ms, 10u);
}

TEST(DecodeEnvelopeTest, WithoutDataStillNeedsAValidEventAndNoOtherKeys) {
  EXPECT_FALSE(Decode(R"({})").has_value());
  EXPECT_FALSE(Decode(R"({"event":""})").has_value());
  EXPECT_FALSE(Decode(R"({"event":7})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","payload":"x"})").has_value());
  EXPECT_FALSE(Decode(R"({"id":"1"})").has_value());
}

TEST(DecodeEnvelopeTest, RejectsBadIdAndRetry) {
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","id":true})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","id":"a\r\nb"})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","retry":-1})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","retry":1.5})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","retry":"100"})").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":"d","retry":4294967296})").has_value());
}

TEST(DecodeEnvelopeTest, RejectsNonJsonAndNonObjects) {
  EXPECT_FALSE(Decode("").has_value());
  EXPECT_FALSE(Decode("plain text mentioning \"event\"").has_value());
  EXPECT_FALSE(Decode(R"({"event":"e","data":)").has_value());
  EXPECT_FALSE(Decode(R"([{"event":"e","data":"d"}])").has_value());
  EXPECT_FALSE(Decode(R"(["event","data"])").has_value());
  EXPECT_FALSE(Decode(R"("{\"event\":\"e\",\"data\":\"d\"}")").has_value());
  EXPECT_FALSE(Decode("42").has_value());
}

TEST(DecodeEnvelopeTest, FailureLeavesOutputUntouched) {
  Message message;
  message.id = "keep-id";
  message.event = "keep-event";
  message.data = "keep-data";
  message.retry_ms = 7;
  EXPECT_FALSE(DecodeEnvelope(R"({"event":"e","data":"d","extra":1})", &message));
  EXPECT_EQ(message.id, "keep-id");
  EXPECT_EQ(message.event, "keep-event");
  EXPECT_EQ(message.data, "keep-data");
  EXPECT_EQ(message.retry_ms, std::optional<uint32_t>(7));
}

TEST(DecodeEnvelopeTest, SuccessReplacesEveryField) {
  // Stale fields from a previous message must not survive.
  Message message;
  message.id = "old";
  message.retry_ms = 9;
  ASSERT_TRUE(DecodeEnvelope(R"({"event":"e","data":"d"})", &message));
  EXPECT_EQ(message.id, "");
  EXPECT_FALSE(message.retry_ms.has_value());
}

// --- EncodeEnvelopeHead + the id suffix the Lua script appends ---------------------

std::string CompleteEnvelope(const PublishRequest& request, const std::string& id) {
  return EncodeEnvelopeHead(request) + ",\"id\":\"" + id + "\"}";
}

// The fast decoder takes what the publish script writes and leaves every
// other shape to the full parser, which must then still decide it.
TEST(DecodeEnvelopeFastTest, TakesTheScriptsShape) {
  Message m;
  ASSERT_TRUE(DecodeEnvelopeFast(R"({"event":"price","data":"9.50 \"EUR\"","id":"1795309420458852","resumable":true})", &m));
  EXPECT_EQ(m.event, "price");
  EXPECT_EQ(m.data, "9.50 \"EUR\"");
  EXPECT_EQ(m.id, "1795309420458852");
  EXPECT_EQ(m.sequence, 1795309420458852u);
  EXPECT_FALSE(m.retry_ms.has_value());
}

TEST(DecodeEnvelopeFastTest, LeavesOtherShapesToTheFullParser) {
  const char* cases[] = {
      R"({"event":"e","data":{"b":1,"a":2}})",           // non-string data: needs the compact dump
      R"({"event":"e","data":"x","retry":5})",           // retry
      R"({"event":"e","data":"x","id":42})",             // numeric id
      R"({"event":"a","event":"b","data":"x"})",         // repeated key: last one wins there
  };
  for (const char* payload : cases) {
    Message fast;
    EXPECT_FALSE(DecodeEnvelopeFast(payload, &fast)) << payload;
    EXPECT_TRUE(Decode(payload).has_value()) << payload;
  }
  std::optional<Message> repeated = Decode(R"({"event":"a","event":"b","data":"x"})");
  ASSERT_TRUE(repeated.has_value());
  EXPECT_EQ(repeated->event, "b");
}

TEST(DecodeEnvelopeFastTest, AgreesWithTheFullParserOnEscapesAndRejections) {
  const char* accepted[] = {
      R"({"data":"a\nb\u00e9\ud83d\ude00","event":"m"})",
      R"(  { "event" : "e" , "data" : "" , "resumable" : false }  )",
      R"({"event":"e","data":"x","id":"not-a-number","resumable":true})",
      R"({"event":"todochanged"})",
      R"({"id":"5","event":"todochanged","resumable":true})",
  };
  for (const char* payload : accepted) {
    Message fast, full;
    ASSERT_TRUE(DecodeEnvelopeFast(payload, &fast)) << payload;
    ASSERT_TRUE(DecodeEnvelopeFull(payload, &full)) << payload;
    EXPECT_EQ(fast.event, full.event) << payload;
    EXPECT_EQ(fast.data, full.data) << payload;
    EXPECT_EQ(fast.id, full.id) << payload;
    EXPECT_EQ(fast.sequence, full.sequence) << payload;
  }
  const char* rejected[] = {
      "{\"event\":\"e\",\"data\":\"\xff\"}",          // invalid UTF-8
      R"({"event":"e","data":"\ud800"})",                 // lone surrogate
      R"({"event":"","data":"x"})",                        // empty event
      R"({"event":"e\nf","data":"x"})",                   // event with LF
      R"({"event":"e","data":"x"} trailing)",
      R"({"event":"e","data":"x","resumable":"yes"})",
      R"({"event":""})",                                  // a signal still needs a name
  };
  for (const char* payload : rejected) {
    Message fast, full;
    EXPECT_FALSE(DecodeEnvelopeFast(payload, &fast)) << payload;
    EXPECT_FALSE(DecodeEnvelopeFull(payload, &full)) << payload;
  }
}

TEST(EncodeEnvelopeHeadTest, HeadHasNoClosingBrace) {
  PublishRequest request;
  request.event = "e";
  request.data = "d";
  EXPECT_EQ(EncodeEnvelopeHead(request), R"({"event":"e","data":"d")");
}

TEST(EncodeEnvelopeHeadTest, DefaultEventIsMessage) {
  PublishRequest request;
  request.data = "d";
  std::optional<Message> m = Decode(CompleteEnvelope(request, "1"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->event, "message");
}

TEST(EncodeEnvelopeHeadTest, StringDataRoundTrips) {
  PublishRequest request;
  request.channels = {"c"};
  request.event = "update";
  request.data = "multi\nline \"quoted\" \\ tab\t ctl\x01 caf\xC3\xA9 {\"not\":\"json\"}";
  request.data_is_json = false;
  std::optional<Message> m = Decode(CompleteEnvelope(request, "7"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->event, "update");
  EXPECT_EQ(m->data, request.data);
  EXPECT_EQ(m->id, "7");
}

TEST(EncodeEnvelopeHeadTest, JsonDataRoundTripsVerbatim) {
  PublishRequest request;
  request.channels = {"c"};
  request.event = "update";
  request.data = R"({"z":1,"a":{"k":[1,2,"x"]},"s":"q\"uote"})";
  request.data_is_json = true;
  std::optional<Message> m = Decode(CompleteEnvelope(request, "7"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->event, "update");
  EXPECT_EQ(m->data, request.data);  // Same bytes, same key order.
  EXPECT_EQ(m->id, "7");
}

TEST(EncodeEnvelopeHeadTest, JsonScalarDataRoundTrips) {
  for (const char* json : {"null", "42", "true", "[]", "\"s\""}) {
    PublishRequest request;
    request.data = json;
    request.data_is_json = true;
    std::optional<Message> m = Decode(CompleteEnvelope(request, "1"));
    ASSERT_TRUE(m.has_value()) << json;
    // A JSON string value decodes to its text; everything else to its JSON.
    EXPECT_EQ(m->data, std::string(json) == "\"s\"" ? "s" : json);
  }
}

TEST(EncodeEnvelopeHeadTest, EmptyStringDataRoundTrips) {
  PublishRequest request;
  request.event = "ping";
  request.data = "";
  std::optional<Message> m = Decode(CompleteEnvelope(request, "3"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->data, "");
  EXPECT_EQ(m->event, "ping");
}

// --- Hostile payloads (issue 9) -------------------------------------------

TEST(DecodeEnvelopeTest, TooDeepIsNoEnvelopeAndSaysWhy) {
  for (size_t depth : {size_t{kMaxJsonDepth}, size_t{70000}}) {
    const std::string payload =
        "{\"event\":\"e\",\"data\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
    Message message;
    message.data = "untouched";
    bool too_deep = false;
    EXPECT_FALSE(DecodeEnvelope(payload, &message, &too_deep)) << depth;
    EXPECT_TRUE(too_deep) << depth;
    EXPECT_EQ(message.data, "untouched");
    EXPECT_FALSE(DecodeEnvelopeFull(payload, &message));
  }
}

TEST(DecodeEnvelopeTest, NestingUpToTheLimitIsDecoded) {
  const size_t depth = kMaxJsonDepth - 1;
  const std::string data = std::string(depth, '[') + std::string(depth, ']');
  Message message;
  bool too_deep = true;
  ASSERT_TRUE(DecodeEnvelope("{\"event\":\"e\",\"data\":" + data + "}", &message, &too_deep));
  EXPECT_FALSE(too_deep);
  EXPECT_EQ(message.data, data);
}

TEST(DecodeEnvelopeTest, OtherRejectionsAreNotTooDeep) {
  Message message;
  bool too_deep = true;
  EXPECT_FALSE(DecodeEnvelope("{\"event\":\"e\",\"data\":1,\"extra\":2}", &message, &too_deep));
  EXPECT_FALSE(too_deep);
  // Deep, but not shaped like an envelope: never parsed, so not counted.
  too_deep = true;
  EXPECT_FALSE(DecodeEnvelope(std::string(100000, '['), &message, &too_deep));
  EXPECT_FALSE(too_deep);
}

}  // namespace
}  // namespace ssebridge
