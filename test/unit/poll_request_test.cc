// Unit tests for poll recognition and poll cursors (include/ssebridge/poll_request.h).

#include "ssebridge/poll_request.h"

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

HttpRequest Get(std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/";
  for (auto& [name, value] : headers) request.headers.emplace_back(name, value);
  return request;
}

const std::vector<std::string> kChannels = {"base"};

// Returns "poll", "stream" or "400: <reason>".
std::string Decide(std::string_view query, const HttpRequest& request, PollRequest* out = nullptr) {
  PollRequest ignored;
  bool is_poll = false;
  std::string error = ParsePollRequest(query, request, kChannels, &is_poll, out != nullptr ? out : &ignored);
  if (!error.empty()) return "400: " + error;
  return is_poll ? "poll" : "stream";
}

TEST(PollRecognitionTest, CurlWithoutMarkersStreams) {
  EXPECT_EQ(Decide("channels=base", Get()), "stream");
  EXPECT_EQ(Decide("channels=base", Get({{"accept", "*/*"}})), "stream");
  EXPECT_EQ(Decide("channels=base&uuid=1234", Get({{"accept", "*/*"}})), "stream");
}

TEST(PollRecognitionTest, EventSourceStreamsWhateverItsUrlCarries) {
  const HttpRequest event_source = Get({{"accept", "text/event-stream"}});
  EXPECT_EQ(Decide("channels=base", event_source), "stream");
  EXPECT_EQ(Decide("channels=base&_=1700000000000", event_source), "stream");
  EXPECT_EQ(Decide("channels=base&_=1", Get({{"accept", "Text/Event-Stream"}, {"x-requested-with", "XMLHttpRequest"}})),
            "stream");
}

TEST(PollRecognitionTest, SameOriginJqueryPollIsAPoll) {
  // $.ajax({cache:false}) without a dataType: Accept */*, the header, and _=.
  EXPECT_EQ(Decide("channels=base&_=1700000000000", Get({{"accept", "*/*"}, {"x-requested-with", "XMLHttpRequest"}})),
            "poll");
  EXPECT_EQ(Decide("channels=base", Get({{"x-requested-with", "xmlhttprequest"}})), "poll");
}

TEST(PollRecognitionTest, CrossOriginJqueryPollIsAPoll) {
  // jQuery leaves X-Requested-With out cross-origin; the cache-buster stays.
  EXPECT_EQ(Decide("channels=base&_=1700000000000", Get({{"accept", "*/*"}, {"origin", "https://app.example"}})),
            "poll");
  EXPECT_EQ(Decide("_=1&channels=base", Get()), "poll");
}

TEST(PollRecognitionTest, ExplicitPollParameterWins) {
  EXPECT_EQ(Decide("channels=base&poll=1", Get()), "poll");
  EXPECT_EQ(Decide("channels=base&poll=true", Get({{"accept", "text/event-stream"}})), "poll");
  EXPECT_EQ(Decide("channels=base&poll=0&_=5", Get({{"x-requested-with", "XMLHttpRequest"}})), "stream");
  EXPECT_EQ(Decide("channels=base&poll=off", Get()), "stream");
  EXPECT_EQ(Decide("channels=base&poll=maybe", Get()), "400: poll must be 1 or 0, got 'maybe'");
}

TEST(PollRecognitionTest, AnXhrHeaderWithAnotherValueIsNoMarker) {
  EXPECT_EQ(Decide("channels=base", Get({{"x-requested-with", "fetch"}})), "stream");
}

TEST(PollCursorTest, FormatsAndParsesBack) {
  PollCursor cursor{0x0123456789abcdefull, 1795311093612711ull};
  const std::string text = FormatPollCursor(cursor);
  EXPECT_EQ(text, "0123456789abcdef.1795311093612711");
  PollCursor parsed;
  ASSERT_TRUE(ParsePollCursor(text, &parsed));
  EXPECT_EQ(parsed, cursor);
  ASSERT_TRUE(ParsePollCursor("0000000000000000.0", &parsed));
  EXPECT_EQ(parsed, (PollCursor{0, 0}));
}

TEST(PollCursorTest, RejectsMalformedText) {
  PollCursor parsed;
  for (const char* bad : {"", "abc", "0123456789abcdef", "0123456789abcdef.", "0123456789abcdeg.1",
                          "0123456789abcdef-1", "0123456789abcdef.1x", "0123456789abcdef.99999999999999999999",
                          "123456789abcdef.1"}) {
    EXPECT_FALSE(ParsePollCursor(bad, &parsed)) << bad;
  }
}

TEST(PollCursorTest, CursorParameterIsTakenAndImpliesAPoll) {
  PollRequest out;
  EXPECT_EQ(Decide("channels=base&cursor=00000000000000ff.42", Get(), &out), "poll");
  ASSERT_TRUE(out.cursor.has_value());
  EXPECT_EQ(*out.cursor, (PollCursor{255, 42}));
  EXPECT_EQ(Decide("channels=base&poll=1&cursor=nonsense", Get()),
            "400: malformed poll cursor: use the value of X-SSE-Poll-Cursor");
}

TEST(PollCursorTest, CookieNamedForTheChannelSetIsTheFallback) {
  const std::string name = PollCookieName(kChannels);
  PollRequest out;
  EXPECT_EQ(Decide("channels=base&_=1",
                   Get({{"cookie", "theme=dark; " + name + "=0000000000000007.9; other=1"}}), &out),
            "poll");
  ASSERT_TRUE(out.cursor.has_value());
  EXPECT_EQ(*out.cursor, (PollCursor{7, 9}));

  // The parameter wins over the cookie.
  PollRequest both;
  Decide("channels=base&cursor=0000000000000008.1", Get({{"cookie", name + "=0000000000000007.9"}}), &both);
  ASSERT_TRUE(both.cursor.has_value());
  EXPECT_EQ(both.cursor->token, 8u);

  // A malformed cookie is ignored, not a 400; another channel set's cookie is not read.
  PollRequest malformed;
  EXPECT_EQ(Decide("channels=base&_=1", Get({{"cookie", name + "=garbage"}}), &malformed), "poll");
  EXPECT_FALSE(malformed.cursor.has_value());
  PollRequest other;
  Decide("channels=base&_=1", Get({{"cookie", PollCookieName({"news"}) + "=0000000000000007.9"}}), &other);
  EXPECT_FALSE(other.cursor.has_value());
}

TEST(PollCursorTest, CookieNameDependsOnTheSetNotTheOrder) {
  EXPECT_EQ(PollCookieName({"a", "b"}), PollCookieName({"b", "a"}));
  EXPECT_NE(PollCookieName({"a", "b"}), PollCookieName({"ab"}));
  EXPECT_NE(PollCookieName({"a"}), PollCookieName({"b"}));
  EXPECT_EQ(PollCookieName({"a"}).rfind("ssebridge_poll_", 0), 0u);
  EXPECT_EQ(PollCookieName({"a"}).size(), std::string("ssebridge_poll_").size() + 8);
}

TEST(PollCursorTest, SetCookieValueCarriesPathAndLifetime) {
  EXPECT_EQ(PollCookie({"base"}, PollCursor{1, 2}, "/sse", 60),
            PollCookieName({"base"}) + "=0000000000000001.2; Path=/sse; Max-Age=60; HttpOnly; SameSite=Lax");
  EXPECT_NE(PollCookie({"base"}, PollCursor{1, 2}, "", 60).find("; Path=/;"), std::string::npos);
}

}  // namespace
}  // namespace ssebridge
