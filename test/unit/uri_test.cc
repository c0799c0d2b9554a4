// Unit tests for percent-decoding and query splitting (include/ssebridge/uri.h).

#include "ssebridge/uri.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(PercentDecodeTest, DecodesEscapesInEitherCase) {
  EXPECT_EQ(PercentDecode("a%20b", false), "a b");
  EXPECT_EQ(PercentDecode("%2f%2F", false), "//");
  EXPECT_EQ(PercentDecode("%C3%A9", false), "\xC3\xA9");
  EXPECT_EQ(PercentDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode("%ff", false), "\xFF");  // Bytes, not characters: validity is the caller's job.
}

TEST(PercentDecodeTest, PlainTextAndEmpty) {
  EXPECT_EQ(PercentDecode("plain", false), "plain");
  EXPECT_EQ(PercentDecode("", false), "");
}

TEST(PercentDecodeTest, PlusHandlingDependsOnMode) {
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  // An encoded plus is always a plus.
  EXPECT_EQ(PercentDecode("a%2Bb", true), "a+b");
}

TEST(PercentDecodeTest, DecodedPercentIsNotDecodedAgain) {
  EXPECT_EQ(PercentDecode("%2541", false), "%41");
}

TEST(PercentDecodeTest, MalformedEscapesAreRejected) {
  for (const char* bad : {"%", "%4", "a%", "a%4", "%G1", "%1G", "%%", "%-1", "% 1", "ok%zzok"}) {
    EXPECT_EQ(PercentDecode(bad, false), std::nullopt) << bad;
    EXPECT_EQ(PercentDecode(bad, true), std::nullopt) << bad;
  }
}

TEST(PercentDecodeTest, EscapeCutByTheEndOfTheViewIsRejected) {
  // The view ends inside the escape even though the buffer behind it goes on:
  // the decoder must not read past the view.
  const std::string buffer = "a%41";
  EXPECT_EQ(PercentDecode(std::string_view(buffer.data(), 3), false), std::nullopt);
  EXPECT_EQ(PercentDecode(std::string_view(buffer.data(), 2), false), std::nullopt);
}

TEST(PercentDecodeTest, EscapeAtVeryEndIsAccepted) {
  EXPECT_EQ(PercentDecode("ab%41", false), "abA");
}

TEST(ParseQueryTest, PairsInOrder) {
  EXPECT_EQ(ParseQuery("a=1&b=2&c=3"), (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
}

TEST(ParseQueryTest, RepeatedKeysAreAllKeptInOrder) {
  EXPECT_EQ(ParseQuery("channel=x&other=1&channel=y&channel=x"),
            (Pairs{{"channel", "x"}, {"other", "1"}, {"channel", "y"}, {"channel", "x"}}));
}

TEST(ParseQueryTest, DecodesKeysAndValuesWithPlusAsSpace) {
  EXPECT_EQ(ParseQuery("na%6De=hello+world%21"), (Pairs{{"name", "hello world!"}}));
}

TEST(ParseQueryTest, ValueMayContainEquals) {
  EXPECT_EQ(ParseQuery("k=a=b"), (Pairs{{"k", "a=b"}}));
}

TEST(ParseQueryTest, MissingValueAndEmptyValue) {
  EXPECT_EQ(ParseQuery("flag&k="), (Pairs{{"flag", ""}, {"k", ""}}));
}

TEST(ParseQueryTest, EmptyPartsAreSkipped) {
  EXPECT_EQ(ParseQuery(""), Pairs{});
  EXPECT_EQ(ParseQuery("&&a=1&&"), (Pairs{{"a", "1"}}));
}

TEST(ParseQueryTest, MalformedEscapeKeepsRawText) {
  // One bad parameter must not lose the others.
  EXPECT_EQ(ParseQuery("a=%zz&b=%41"), (Pairs{{"a", "%zz"}, {"b", "A"}}));
}

TEST(SplitTargetTest, PathAndQuery) {
  std::string_view path, query;
  SplitTarget("/events/a?channel=b&x=1", &path, &query);
  EXPECT_EQ(path, "/events/a");
  EXPECT_EQ(query, "channel=b&x=1");
}

TEST(SplitTargetTest, NoQuery) {
  std::string_view path = "junk", query = "junk";
  SplitTarget("/healthz", &path, &query);
  EXPECT_EQ(path, "/healthz");
  EXPECT_EQ(query, "");
}

TEST(SplitTargetTest, EmptyQuery) {
  std::string_view path, query;
  SplitTarget("/p?", &path, &query);
  EXPECT_EQ(path, "/p");
  EXPECT_EQ(query, "");
}

TEST(SplitTargetTest, FragmentIsDropped) {
  std::string_view path, query;
  SplitTarget("/p?a=1#frag", &path, &query);
  EXPECT_EQ(path, "/p");
  EXPECT_EQ(query, "a=1");
  SplitTarget("/q#frag?notquery", &path, &query);
  EXPECT_EQ(path, "/q");
  EXPECT_EQ(query, "");
}

TEST(SplitTargetTest, OnlyFirstQuestionMarkSplits) {
  std::string_view path, query;
  SplitTarget("/p?a=?b", &path, &query);
  EXPECT_EQ(path, "/p");
  EXPECT_EQ(query, "a=?b");
}

}  // namespace

TEST(EqualsIgnoreCaseTest, AsciiLettersOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Application/JSON", "application/json"));
  EXPECT_TRUE(EqualsIgnoreCase("100-CONTINUE", "100-continue"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("application/json", "application/jsonp"));
  EXPECT_FALSE(EqualsIgnoreCase("a@", "a`"));  // '@'/'`' are not a case pair.
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\x89", "\xc3\xa9"));  // No Unicode folding.
}

TEST(DecodePathSegmentsTest, SplitsDecodesAndSkipsEmptySegments) {
  EXPECT_EQ(DecodePathSegments("a/b%20c//d/"), (std::vector<std::string>{"a", "b c", "d"}));
  EXPECT_EQ(DecodePathSegments("a+b"), std::vector<std::string>{"a+b"});
  EXPECT_EQ(DecodePathSegments(""), std::vector<std::string>{});
  EXPECT_EQ(DecodePathSegments("a/%G1"), std::nullopt);
}

}  // namespace ssebridge
