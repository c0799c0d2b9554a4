// Unit tests for response heads and bodies (include/ssebridge/http_response.h).

#include "ssebridge/http_response.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;
using testing::EndsWith;

// Splits a response into head (up to and including the blank line) and body.
std::pair<std::string, std::string> SplitResponse(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << "no end of head";
  if (end == std::string::npos) return {response, ""};
  return {response.substr(0, end + 4), response.substr(end + 4)};
}

TEST(HttpStatusTextTest, KnownStatuses) {
  EXPECT_STREQ(HttpStatusText(200), "OK");
  EXPECT_STREQ(HttpStatusText(404), "Not Found");
  EXPECT_STREQ(HttpStatusText(405), "Method Not Allowed");
  EXPECT_STREQ(HttpStatusText(413), "Payload Too Large");
  EXPECT_STREQ(HttpStatusText(415), "Unsupported Media Type");
  EXPECT_STREQ(HttpStatusText(431), "Request Header Fields Too Large");
  EXPECT_STREQ(HttpStatusText(429), "Too Many Requests");
  EXPECT_STREQ(HttpStatusText(503), "Service Unavailable");
}

TEST(BuildResponseTest, Http11StatusLineAndBody) {
  std::string r = BuildResponse(200, "application/json", "{\"ok\":true}", {}, 1, true);
  auto [head, body] = SplitResponse(r);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Type: application/json\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Length: 11\r\n"));
  EXPECT_EQ(body, "{\"ok\":true}");
}

TEST(BuildResponseTest, Http10StatusLine) {
  std::string r = BuildResponse(404, "text/plain", "nope", {}, 0, false);
  EXPECT_THAT(r, StartsWith("HTTP/1.0 404 Not Found\r\n"));
}

TEST(BuildResponseTest, Http11KeepAliveHasNoConnectionHeader) {
  // Persistent is the HTTP/1.1 default.
  std::string r = BuildResponse(200, "text/plain", "x", {}, 1, true);
  EXPECT_THAT(SplitResponse(r).first, Not(HasSubstr("Connection:")));
}

TEST(BuildResponseTest, Http11CloseSaysConnectionClose) {
  std::string r = BuildResponse(200, "text/plain", "x", {}, 1, false);
  EXPECT_THAT(SplitResponse(r).first, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(r, Not(HasSubstr("keep-alive")));
}

TEST(BuildResponseTest, Http10KeepAliveSaysKeepAlive) {
  // A 1.0 client only keeps the connection if the response says so.
  std::string r = BuildResponse(200, "text/plain", "x", {}, 0, true);
  EXPECT_THAT(SplitResponse(r).first, HasSubstr("\r\nConnection: keep-alive\r\n"));
  EXPECT_THAT(r, Not(HasSubstr("close")));
}

TEST(BuildResponseTest, Http10CloseSaysConnectionClose) {
  std::string r = BuildResponse(200, "text/plain", "x", {}, 0, false);
  EXPECT_THAT(SplitResponse(r).first, HasSubstr("\r\nConnection: close\r\n"));
}

TEST(BuildResponseTest, ContentLengthCountsBytes) {
  const std::string body = "caf\xC3\xA9\n";  // 6 bytes, 5 characters.
  std::string r = BuildResponse(200, "text/plain; charset=utf-8", body, {}, 1, true);
  EXPECT_THAT(r, HasSubstr("\r\nContent-Length: 6\r\n"));
  EXPECT_EQ(SplitResponse(r).second, body);
}

TEST(BuildResponseTest, EmptyBodyHasContentLengthZero) {
  std::string r = BuildResponse(204, "", "", {}, 1, true);
  auto [head, body] = SplitResponse(r);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 204 No Content\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Length: 0\r\n"));
  EXPECT_THAT(head, Not(HasSubstr("Content-Type")));  // Omitted when empty.
  EXPECT_EQ(body, "");
}

TEST(BuildResponseTest, HeadOnlyOmitsBodyButKeepsLength) {
  // A HEAD response advertises the length of the body it does not send.
  std::string r = BuildResponse(200, "text/html", "<html></html>", {}, 1, true, /*head_only=*/true);
  auto [head, body] = SplitResponse(r);
  EXPECT_THAT(head, HasSubstr("\r\nContent-Length: 13\r\n"));
  EXPECT_EQ(body, "");
  EXPECT_THAT(r, EndsWith("\r\n\r\n"));
}

TEST(BuildResponseTest, ExtraHeadersAreIncludedInOrder) {
  HeaderList extra = {{"Allow", "POST, OPTIONS"}, {"Access-Control-Allow-Origin", "*"}};
  std::string r = BuildResponse(405, "application/json", JsonErrorBody("nope"), extra, 1, true);
  std::string head = SplitResponse(r).first;
  size_t allow = head.find("\r\nAllow: POST, OPTIONS\r\n");
  size_t cors = head.find("\r\nAccess-Control-Allow-Origin: *\r\n");
  ASSERT_NE(allow, std::string::npos);
  ASSERT_NE(cors, std::string::npos);
  EXPECT_LT(allow, cors);
}

TEST(BuildResponseTest, EveryHeaderLineEndsWithCrlf) {
  std::string r = BuildResponse(200, "text/plain", "body\nwith\nnewlines", {{"X-A", "1"}}, 0, true);
  std::string head = SplitResponse(r).first;
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') {
      ASSERT_GT(i, 0u);
      EXPECT_EQ(head[i - 1], '\r') << "bare LF at " << i;
    }
  }
}

TEST(JsonErrorBodyTest, WrapsAndEscapesMessage) {
  EXPECT_EQ(JsonErrorBody("bad"), "{\"error\":\"bad\"}");
  EXPECT_EQ(JsonErrorBody("say \"hi\"\\\n"), "{\"error\":\"say \\\"hi\\\"\\\\\\n\"}");
  EXPECT_EQ(JsonErrorBody(std::string("\x01", 1)), "{\"error\":\"\\u0001\"}");
}

TEST(BuildStreamHeadTest, Http11IsChunkedKeepAlive) {
  std::string head = BuildStreamHead({}, 1);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Type: text/event-stream"));
  EXPECT_THAT(head, HasSubstr("\r\nCache-Control: no-cache\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nTransfer-Encoding: chunked\r\n"));
  EXPECT_THAT(head, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(head, Not(HasSubstr("Connection: close")));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
  EXPECT_EQ(head.find("\r\n\r\n"), head.size() - 4);  // Head only: nothing after it.
}

TEST(BuildStreamHeadTest, Http10IsCloseDelimited) {
  // HTTP/1.0 has no chunked encoding: the end of the stream is the end of the connection.
  std::string head = BuildStreamHead({}, 0);
  EXPECT_THAT(head, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Type: text/event-stream"));
  EXPECT_THAT(head, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(head, Not(HasSubstr("Transfer-Encoding")));
  EXPECT_THAT(head, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(head, Not(HasSubstr("keep-alive")));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
}

TEST(BuildStreamHeadTest, ExtraHeadersAreIncluded) {
  std::string head = BuildStreamHead({{"Access-Control-Allow-Origin", "https://app.example"}, {"Vary", "Origin"}}, 1);
  EXPECT_THAT(head, HasSubstr("\r\nAccess-Control-Allow-Origin: https://app.example\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nVary: Origin\r\n"));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
}

}  // namespace
}  // namespace ssebridge
