// Unit tests for publishing by GET query (include/ssebridge/query_publish.h):
// which stream queries are publishes, and how a query becomes messages.

#include "ssebridge/query_publish.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

std::vector<PublishRequest> ParseOk(std::string_view rest, std::string_view query) {
  std::vector<PublishRequest> out;
  EXPECT_EQ(ParseQueryPublish(rest, query, 100, &out), "") << "rest '" << rest << "' query '" << query << "'";
  return out;
}

std::string ParseError(std::string_view rest, std::string_view query, size_t max_channels = 100) {
  std::vector<PublishRequest> out;
  std::string error = ParseQueryPublish(rest, query, max_channels, &out);
  EXPECT_TRUE(out.empty());
  return error;
}

TEST(QueryPublishTest, StreamQueriesAreNotPublishes) {
  EXPECT_FALSE(IsPublishQuery(""));
  EXPECT_FALSE(IsPublishQuery("channel=a&channels=b"));
  EXPECT_FALSE(IsPublishQuery("lastEventId=7&last_event_id=8"));
  EXPECT_FALSE(IsPublishQuery("&&"));
  EXPECT_FALSE(IsPublishQuery("chan%6Eel=a"));  // Names are compared decoded.
}

TEST(QueryPublishTest, AnyOtherParameterMakesAPublish) {
  EXPECT_TRUE(IsPublishQuery("message=first"));
  EXPECT_TRUE(IsPublishQuery("channel=a&q1=go"));
  EXPECT_TRUE(IsPublishQuery("halt"));
  EXPECT_TRUE(IsPublishQuery("Channel=a"));  // Names are case-sensitive.
}

TEST(QueryPublishTest, TwoChannelsTwoTypesInOrder) {
  std::vector<PublishRequest> messages = ParseOk("color/page", "q1=go&q2=end");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].channels, (std::vector<std::string>{"color", "page"}));
  EXPECT_EQ(messages[0].event, "q1");
  EXPECT_EQ(messages[0].data, "go");
  EXPECT_EQ(messages[1].channels, (std::vector<std::string>{"color", "page"}));
  EXPECT_EQ(messages[1].event, "q2");
  EXPECT_EQ(messages[1].data, "end");
}

TEST(QueryPublishTest, TypeMessageIsTheDefaultType) {
  std::vector<PublishRequest> messages = ParseOk("color", "message=first");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].event, "");
  EXPECT_EQ(messages[0].data, "first");
}

TEST(QueryPublishTest, ValuesAndNamesAreFormDecodedPathsPercentDecoded) {
  std::vector<PublishRequest> messages = ParseOk("caf%C3%A9/a+b", "say%20it=hello+world%21&x=");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].channels, (std::vector<std::string>{"café", "a+b"}));
  EXPECT_EQ(messages[0].event, "say it");
  EXPECT_EQ(messages[0].data, "hello world!");
  EXPECT_EQ(messages[1].data, "");
}

TEST(QueryPublishTest, ChannelParametersAddChannelsOnceEach) {
  std::vector<PublishRequest> messages = ParseOk("a", "channel=b&q=1&channels=a&lastEventId=9");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(messages[0].event, "q");
}

TEST(QueryPublishTest, RepeatedTypesAreSeparateEvents) {
  std::vector<PublishRequest> messages = ParseOk("a", "q=1&q=2");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].data, "1");
  EXPECT_EQ(messages[1].data, "2");
}

TEST(QueryPublishTest, RefusalsSayWhy) {
  EXPECT_EQ(ParseError("", "q=1"), "no channel given: use /publish/<channel>?<type>=<data>");
  EXPECT_EQ(ParseError("a", ""), "no event given: add ?<type>=<data> to the URL");
  EXPECT_EQ(ParseError("a", "channel=b"), "no event given: add ?<type>=<data> to the URL");
  EXPECT_EQ(ParseError("a", "halt").rfind("parameter 'halt' has no value", 0), 0u);
  EXPECT_NE(ParseError("a", "q=1&status").find("control port"), std::string::npos);
  EXPECT_EQ(ParseError("a%zz", "q=1"), "bad percent-encoding in the path");
  EXPECT_EQ(ParseError("a", "q=%zz"), "bad percent-encoding in the query");
  EXPECT_EQ(ParseError("a", "=1"), "event name is empty");
  EXPECT_EQ(ParseError("a", "q%0A=1"), "event name contains CR, LF or NUL");
  EXPECT_EQ(ParseError("a", "q=%FF"), "data of event 'q' is not valid UTF-8");
  // Names are echoed only when printable.
  EXPECT_EQ(ParseError("a", "%1B%5B2J").rfind("parameter has no value", 0), 0u);
  EXPECT_EQ(ParseError("a", "q%09x=%FF"), "data of event is not valid UTF-8");
  EXPECT_NE(ParseError("a*", "q=1").find("cannot publish to a pattern"), std::string::npos);
  EXPECT_NE(ParseError("a/b/c", "q=1", 2).find("too many channels"), std::string::npos);
}

TEST(QueryPublishTest, EventsPerQueryAreBounded) {
  std::string query;
  for (size_t i = 0; i < kMaxEventsPerQuery; ++i) query += "q=" + std::to_string(i) + "&";
  EXPECT_EQ(ParseOk("a", query).size(), kMaxEventsPerQuery);
  EXPECT_EQ(ParseError("a", query + "q=last"), "too many events: a GET publish may carry at most 100");
}

}  // namespace
}  // namespace ssebridge
