// Unit tests for turning GET /events/... into channels and a resume point
// (include/ssebridge/subscribe_request.h).

#include "ssebridge/subscribe_request.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

HttpRequest RequestWithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request;
  request.method = "GET";
  request.headers = std::move(headers);
  return request;
}

SubscribeRequest ParseOk(std::string_view rest, std::string_view query, const HttpRequest& request = HttpRequest()) {
  SubscribeRequest out;
  EXPECT_EQ(ParseSubscribeRequest(rest, query, request, 1000, &out), "") << "rest '" << rest << "' query '" << query << "'";
  return out;
}

std::string ParseError(std::string_view rest, std::string_view query, const HttpRequest& request = HttpRequest()) {
  SubscribeRequest out;
  return ParseSubscribeRequest(rest, query, request, 1000, &out);
}

TEST(SubscribeRequestTest, ClientIdAndRegisterAskForRegistration) {
  SubscribeRequest plain = ParseOk("a", "");
  EXPECT_FALSE(plain.register_client);
  EXPECT_EQ(plain.client_id, "");
  SubscribeRequest chosen = ParseOk("a", "client_id=abcdefghijklmnop-_09");
  EXPECT_TRUE(chosen.register_client);
  EXPECT_EQ(chosen.client_id, "abcdefghijklmnop-_09");
  SubscribeRequest asked = ParseOk("a", "register=1");
  EXPECT_TRUE(asked.register_client);
  EXPECT_EQ(asked.client_id, "");
  EXPECT_FALSE(ParseOk("a", "register=0").register_client);
  EXPECT_TRUE(IsStreamParameter("client_id"));
  EXPECT_TRUE(IsStreamParameter("register"));
  EXPECT_EQ(ParseError("a", "client_id=short"), "client_id must be 16 to 64 characters long");
  EXPECT_EQ(ParseError("a", "client_id=abcdefghijklmnop%2F"), "client_id may contain only A-Z, a-z, 0-9, '-' and '_'");
  EXPECT_EQ(ParseError("a", "client_id=abcdefghijklmnop&client_id=abcdefghijklmnoq"), "client_id given twice");
  EXPECT_EQ(ParseError("a", "register=maybe"), "register must be 1 or 0, got 'maybe'");
}

TEST(SubscribeRequestTest, UserParameterNamesAUserChannel) {
  EXPECT_EQ(ParseOk("", "user=me").channels, (std::vector<std::string>{"user:me"}));
  EXPECT_EQ(ParseOk("news", "user=alice").channels, (std::vector<std::string>{"news", "user:alice"}));
  EXPECT_EQ(ParseOk("user:me", "user=me").channels, (std::vector<std::string>{"user:me"}));
  EXPECT_NE(ParseError("", "user="), "");
  EXPECT_TRUE(IsStreamParameter("user"));
}

TEST(SubscribeRequestTest, SinglePathSegment) {
  SubscribeRequest r = ParseOk("orders", "");
  EXPECT_EQ(r.channels, std::vector<std::string>{"orders"});
  EXPECT_FALSE(r.last_event_id.has_value());
}

TEST(SubscribeRequestTest, JqueryArraySpellingIsAChannelParameterToo) {
  // $.param({channels: ["a", "b"]}) without `traditional` (older cyclone-sse plugins).
  EXPECT_EQ(ParseOk("", "channels%5B%5D=a&channels%5B%5D=b&_=1").channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(ParseOk("", "channels%5B%5D=a").poll.has_value());  // Parsing the channels decides no poll.
}

TEST(SubscribeRequestTest, SeveralPathSegmentsAreSeveralChannels) {
  EXPECT_EQ(ParseOk("a/b/c", "").channels, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SubscribeRequestTest, EmptySegmentsAreIgnored) {
  EXPECT_EQ(ParseOk("a//b/", "").channels, (std::vector<std::string>{"a", "b"}));
}

TEST(SubscribeRequestTest, PathSegmentsArePercentDecoded) {
  // %2F lets a channel name contain '/'; '+' in a path is a literal plus.
  EXPECT_EQ(ParseOk("caf%C3%A9/a%2Fb/x+y/news.%2A", "").channels,
            (std::vector<std::string>{"caf\xC3\xA9", "a/b", "x+y", "news.*"}));
}

TEST(SubscribeRequestTest, BadPercentEncodingInPathIsAnError) {
  EXPECT_NE(ParseError("a%zz", ""), "");
  EXPECT_NE(ParseError("a%4", ""), "");
}

TEST(SubscribeRequestTest, QueryChannelAndChannelsRepeated) {
  EXPECT_EQ(ParseOk("", "channel=a&channels=b&channel=c&other=z").channels,
            (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SubscribeRequestTest, QueryValuesAreFormDecoded) {
  EXPECT_EQ(ParseOk("", "channel=hello+world&channel=x%26y").channels,
            (std::vector<std::string>{"hello world", "x&y"}));
}

TEST(SubscribeRequestTest, PathChannelsComeBeforeQueryChannels) {
  EXPECT_EQ(ParseOk("p1/p2", "channel=q1").channels, (std::vector<std::string>{"p1", "p2", "q1"}));
}

TEST(SubscribeRequestTest, DuplicatesAreRemovedKeepingFirstSeenOrder) {
  EXPECT_EQ(ParseOk("b/a/b", "channel=a&channel=c&channels=b").channels,
            (std::vector<std::string>{"b", "a", "c"}));
}

TEST(SubscribeRequestTest, PatternsAreAllowed) {
  EXPECT_EQ(ParseOk("", "channel=news.*&channel=h%3Fllo").channels,
            (std::vector<std::string>{"news.*", "h?llo"}));
}

TEST(SubscribeRequestTest, NoChannelIsAnError) {
  EXPECT_NE(ParseError("", ""), "");
  EXPECT_NE(ParseError("/", "other=1"), "");
}

TEST(SubscribeRequestTest, InvalidChannelIsAnError) {
  EXPECT_NE(ParseError("a%0Ab", ""), "");                         // Control character in path.
  EXPECT_NE(ParseError("", "channel=%FF"), "");                   // Invalid UTF-8 in query.
  EXPECT_NE(ParseError("", "channel="), "");                      // Empty name.
  EXPECT_NE(ParseError("", "channel=" + std::string(257, 'x')), "");  // Too long.
  EXPECT_NE(ParseError("ok", "channel=%C2%85"), "");              // C1 control after a valid one.
}

TEST(SubscribeRequestTest, LastEventIdFromQuery) {
  EXPECT_EQ(ParseOk("a", "lastEventId=17").last_event_id, std::optional<std::string>("17"));
  EXPECT_EQ(ParseOk("a", "last_event_id=18").last_event_id, std::optional<std::string>("18"));
}

TEST(SubscribeRequestTest, FirstQueryLastEventIdWins) {
  EXPECT_EQ(ParseOk("a", "lastEventId=1&last_event_id=2&lastEventId=3").last_event_id,
            std::optional<std::string>("1"));
}

TEST(SubscribeRequestTest, EmptyLastEventIdMeansNone) {
  EXPECT_FALSE(ParseOk("a", "lastEventId=").last_event_id.has_value());
}

TEST(SubscribeRequestTest, LastEventIdHeaderWinsOverQuery) {
  // A browser reconnect sends the newest id in the header; the URL's is stale.
  HttpRequest request = RequestWithHeaders({{"last-event-id", "99"}});
  EXPECT_EQ(ParseOk("a", "lastEventId=5", request).last_event_id, std::optional<std::string>("99"));
  EXPECT_EQ(ParseOk("a", "last_event_id=5", request).last_event_id, std::optional<std::string>("99"));
  EXPECT_EQ(ParseOk("a", "", request).last_event_id, std::optional<std::string>("99"));
}

TEST(SubscribeRequestTest, EmptyLastEventIdHeaderFallsBackToQuery) {
  HttpRequest request = RequestWithHeaders({{"last-event-id", ""}});
  EXPECT_EQ(ParseOk("a", "lastEventId=5", request).last_event_id, std::optional<std::string>("5"));
}

TEST(SubscribeRequestTest, LastEventIdWithLineBreakIsAnError) {
  EXPECT_NE(ParseError("a", "lastEventId=1%0A2"), "");
  EXPECT_NE(ParseError("a", "lastEventId=1%002"), "");
}

TEST(SubscribeRequestTest, AtMostTheConfiguredNumberOfChannels) {
  SubscribeRequest out;
  EXPECT_EQ(ParseSubscribeRequest("a/b/c", "channel=a", HttpRequest(), 3, &out), "");
  EXPECT_EQ(out.channels, (std::vector<std::string>{"a", "b", "c"}));
  SubscribeRequest over;
  std::string error = ParseSubscribeRequest("a/b/c", "channel=d", HttpRequest(), 3, &over);
  EXPECT_NE(error.find("at most 3"), std::string::npos) << error;
  EXPECT_NE(error.find("--max-channels-per-subscribe"), std::string::npos) << error;
}

TEST(SubscribeRequestTest, ManyRepeatsOfOneChannelAreOneChannel) {
  std::string query;
  for (int i = 0; i < 20000; ++i) query += "channel=x&";
  SubscribeRequest out;
  EXPECT_EQ(ParseSubscribeRequest("", query, HttpRequest(), 1, &out), "");
  EXPECT_EQ(out.channels, std::vector<std::string>{"x"});
}

TEST(SubscribeRequestTest, NoChannelSubscribesToEveryChannelOnlyWhenAsked) {
  SubscribeRequest off;
  EXPECT_NE(ParseSubscribeRequest("", "", HttpRequest(), 1000, &off), "");
  SubscribeRequest all;
  EXPECT_EQ(ParseSubscribeRequest("", "lastEventId=5", HttpRequest(), 1000, &all, true), "");
  EXPECT_EQ(all.channels, std::vector<std::string>{"*"});
  EXPECT_EQ(all.last_event_id, "5");
  SubscribeRequest named;  // A named channel is not widened.
  EXPECT_EQ(ParseSubscribeRequest("a", "", HttpRequest(), 1000, &named, true), "");
  EXPECT_EQ(named.channels, std::vector<std::string>{"a"});
}

TEST(SubscribeRequestTest, StreamParameters) {
  for (const char* key : {"channel", "channels", "channels[]", "lastEventId", "last_event_id", "_", "uuid", "poll", "cursor"}) {
    EXPECT_TRUE(IsStreamParameter(key)) << key;
  }
  for (const char* key : {"message", "q1", "Channel", ""}) EXPECT_FALSE(IsStreamParameter(key)) << key;
}

}  // namespace
}  // namespace ssebridge
