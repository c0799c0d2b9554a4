// Unit tests for channel names and Redis-compatible glob matching
// (include/ssebridge/channel.h).

#include "ssebridge/channel.h"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ssebridge {
namespace {

// --- ValidateChannelName ---------------------------------------------------

TEST(ValidateChannelNameTest, AcceptsOrdinaryNames) {
  EXPECT_EQ(ValidateChannelName("a"), "");
  EXPECT_EQ(ValidateChannelName("orders:eu-west.1"), "");
  EXPECT_EQ(ValidateChannelName("with space"), "");
  EXPECT_EQ(ValidateChannelName("news*"), "");  // Patterns are valid names too.
}

TEST(ValidateChannelNameTest, RejectsEmpty) { EXPECT_NE(ValidateChannelName(""), ""); }

TEST(ValidateChannelNameTest, LengthLimitIs256Bytes) {
  EXPECT_EQ(ValidateChannelName(std::string(256, 'x')), "");
  EXPECT_NE(ValidateChannelName(std::string(257, 'x')), "");
}

TEST(ValidateChannelNameTest, LengthIsCountedInBytesNotCharacters) {
  // 128 two-byte characters = 256 bytes: ok. 129 of them = 258 bytes: too long.
  std::string ok;
  for (int i = 0; i < 128; ++i) ok += "\xC3\xA9";
  EXPECT_EQ(ValidateChannelName(ok), "");
  EXPECT_NE(ValidateChannelName(ok + "\xC3\xA9"), "");
  // 255 ASCII + one 2-byte character = 257 bytes.
  EXPECT_NE(ValidateChannelName(std::string(255, 'x') + "\xC3\xA9"), "");
}

TEST(ValidateChannelNameTest, RejectsC0ControlCharacters) {
  for (int c = 0; c < 0x20; ++c) {
    std::string name = "a";
    name.push_back(static_cast<char>(c));
    name += "b";
    EXPECT_NE(ValidateChannelName(name), "") << "control byte " << c;
  }
}

TEST(ValidateChannelNameTest, RejectsDel) { EXPECT_NE(ValidateChannelName("a\x7F" "b"), ""); }

TEST(ValidateChannelNameTest, RejectsC1ControlCharacters) {
  // U+0080..U+009F are encoded as C2 80..C2 9F.
  for (int c = 0x80; c <= 0x9F; ++c) {
    std::string name = "a\xC2";
    name.push_back(static_cast<char>(c));
    EXPECT_NE(ValidateChannelName(name), "") << "U+00" << std::hex << c;
  }
  // U+00A0 (C2 A0), the first code point after the C1 block, is fine.
  EXPECT_EQ(ValidateChannelName("a\xC2\xA0"), "");
}

TEST(ValidateChannelNameTest, AcceptsValidMultibyteUtf8) {
  EXPECT_EQ(ValidateChannelName("caf\xC3\xA9"), "");               // é (2 bytes)
  EXPECT_EQ(ValidateChannelName("\xE2\x82\xAC"), "");              // € (3 bytes)
  EXPECT_EQ(ValidateChannelName("\xF0\x9F\x98\x80"), "");          // 😀 (4 bytes)
  EXPECT_EQ(ValidateChannelName("\xED\x9F\xBF"), "");              // U+D7FF, just below surrogates
  EXPECT_EQ(ValidateChannelName("\xEE\x80\x80"), "");              // U+E000, just above surrogates
  EXPECT_EQ(ValidateChannelName("\xF4\x8F\xBF\xBF"), "");          // U+10FFFF, the last code point
}

TEST(ValidateChannelNameTest, RejectsInvalidUtf8) {
  const std::vector<std::string> bad = {
      "\x80",                  // Lone continuation byte.
      "a\xC3",                 // Truncated 2-byte sequence.
      "\xE2\x82",              // Truncated 3-byte sequence.
      "\xF0\x9F\x98",          // Truncated 4-byte sequence.
      "\xC3\x28",              // Bad continuation.
      "\xFF",                  // Never valid.
      "\xFE",                  // Never valid.
      "\xF8\x88\x80\x80\x80",  // 5-byte form.
      "\xF4\x90\x80\x80",      // U+110000, beyond Unicode.
      "\xF5\x80\x80\x80",      // Lead byte beyond U+10FFFF.
  };
  for (const std::string& name : bad) {
    EXPECT_NE(ValidateChannelName(name), "") << testing::PrintToString(name);
    EXPECT_FALSE(IsValidUtf8(name)) << testing::PrintToString(name);
  }
}

TEST(ValidateChannelNameTest, RejectsOverlongEncodings) {
  const std::vector<std::string> overlong = {
      "\xC0\xAF",          // '/' in 2 bytes.
      "\xC1\xBF",          // U+007F in 2 bytes.
      "\xE0\x80\xAF",      // '/' in 3 bytes.
      "\xE0\x9F\xBF",      // U+07FF in 3 bytes.
      "\xF0\x80\x80\xAF",  // '/' in 4 bytes.
      "\xF0\x8F\xBF\xBF",  // U+FFFF in 4 bytes.
      "\xC0\x80",          // Modified-UTF-8 NUL.
  };
  for (const std::string& name : overlong) {
    EXPECT_NE(ValidateChannelName(name), "") << testing::PrintToString(name);
    EXPECT_FALSE(IsValidUtf8(name)) << testing::PrintToString(name);
  }
}

TEST(ValidateChannelNameTest, RejectsSurrogates) {
  EXPECT_NE(ValidateChannelName("\xED\xA0\x80"), "");              // U+D800
  EXPECT_NE(ValidateChannelName("\xED\xBF\xBF"), "");              // U+DFFF
  EXPECT_NE(ValidateChannelName("\xED\xA0\xBD\xED\xB8\x80"), "");  // CESU-8 pair
}

TEST(IsValidUtf8Test, EmptyAndAsciiAreValid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8(std::string("\0", 1)));  // NUL is valid UTF-8 (just not a valid name).
}

// --- IsPattern --------------------------------------------------------------

TEST(IsPatternTest, GlobMetacharactersMakeAPattern) {
  EXPECT_TRUE(IsPattern("news.*"));
  EXPECT_TRUE(IsPattern("h?llo"));
  EXPECT_TRUE(IsPattern("h[ae]llo"));
  EXPECT_TRUE(IsPattern("*"));
  EXPECT_FALSE(IsPattern("news.sport"));
  EXPECT_FALSE(IsPattern("a]b"));   // ']' alone is not special.
  EXPECT_FALSE(IsPattern("a^b-c"));
  EXPECT_FALSE(IsPattern(""));
}

// --- GlobMatch ----------------------------------------------------------------

struct GlobCase {
  const char* pattern;
  const char* text;
  bool match;
};

class GlobMatchTableTest : public testing::TestWithParam<GlobCase> {};

TEST_P(GlobMatchTableTest, MatchesLikeRedisStringmatchlen) {
  const GlobCase& c = GetParam();
  EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match) << "pattern '" << c.pattern << "' text '" << c.text << "'";
}

const GlobCase kGlobCases[] = {
    // Literals.
    {"abc", "abc", true},
    {"abc", "abd", false},
    {"abc", "ab", false},
    {"abc", "abcd", false},
    {"ABC", "abc", false},  // Case-sensitive.
    // '*'
    {"*", "anything", true},
    {"a*", "a", true},
    {"a*", "abc", true},
    {"a*", "ba", false},
    {"*c", "abc", true},
    {"*c", "abcd", false},
    {"a*c", "ac", true},
    {"a*c", "abbbc", true},
    {"a*c", "abbbd", false},
    {"a*b*c", "axxbyyc", true},
    {"a*b*c", "axxcyyb", false},
    {"**", "x", true},
    {"a**b", "ab", true},
    {"*a*", "bab", true},
    {"*a*", "bbb", false},
    {"news.*", "news.sport", true},
    {"news.*", "news", false},
    // '?'
    {"?", "a", true},
    {"?", "", false},
    {"?", "ab", false},
    {"a?c", "abc", true},
    {"a?c", "ac", false},
    {"??", "\xC3\xA9", true},  // '?' matches one byte, not one character.
    // Character classes.
    {"h[ae]llo", "hello", true},
    {"h[ae]llo", "hallo", true},
    {"h[ae]llo", "hillo", false},
    {"h[^e]llo", "hallo", true},
    {"h[^e]llo", "hello", false},
    {"h[a-c]llo", "hbllo", true},
    {"h[a-c]llo", "hdllo", false},
    {"[z-a]", "m", true},   // Reversed range is swapped, as in Redis.
    {"[z-a]", "A", false},
    {"[^a-z]", "Q", true},
    {"[^a-z]", "q", false},
    {"[a-cx-z]", "y", true},
    {"[a-cx-z]", "m", false},
    {"[]", "a", false},     // Empty class matches nothing.
    {"[]a]", "a]", false},  // "[]" is an empty class: nothing can follow it.
    {"[^]", "x", true},     // Empty negated class matches any byte.
    {"[a-]", "^", true},    // "a-]" is the range ']'..'a'; class left unterminated.
    {"[a-]", "-", false},
    {"[\\]]", "]", true},   // Escaped ']' inside a class.
    {"[\\-]", "-", true},
    {"[a\\-z]", "b", false}, // Escaped '-' is not a range.
    {"[a\\-z]", "-", true},
    // Escapes.
    {"\\*", "*", true},
    {"\\*", "a", false},
    {"\\?", "?", true},
    {"\\?", "x", false},
    {"\\[", "[", true},
    {"\\[abc", "[abc", true},
    {"\\[abc", "a", false},
    {"a\\b", "ab", true},   // Escaping an ordinary character is the character.
    // Unterminated '[': the class runs to the end of the pattern.
    {"[abc", "a", true},
    {"[abc", "c", true},
    {"[abc", "d", false},
    {"a[bc", "ab", true},
    {"a[", "ab", false},
    {"[^", "x", true},
    // Trailing backslash matches a literal backslash.
    {"a\\", "a\\", true},
    {"a\\", "a", false},
    {"a\\", "ab", false},
    {"[a\\", "\\", true},
    // Mixed.
    {"user:*:[0-9]?", "user:42:7x", true},
    {"user:*:[0-9]?", "user:42:x7", false},
    {"*[0-9]", "abc9", true},
    {"*[0-9]", "abc9x", false},
};

INSTANTIATE_TEST_SUITE_P(RedisSemantics, GlobMatchTableTest, testing::ValuesIn(kGlobCases));

// A faithful port of Redis's stringmatchlen() (util.c, case-sensitive path),
// used as an oracle. It relies on reading one byte past the end, which is the
// terminating NUL of the std::string buffers passed in.
int RedisStringMatchLen(const char* pattern, int patternLen, const char* string, int stringLen,
                        int* skipLongerMatches) {
  while (patternLen && stringLen) {
    switch (pattern[0]) {
      case '*':
        while (patternLen && pattern[1] == '*') {
          pattern++;
          patternLen--;
        }
        if (patternLen == 1) return 1;
        while (stringLen) {
          if (RedisStringMatchLen(pattern + 1, patternLen - 1, string, stringLen, skipLongerMatches)) return 1;
          if (*skipLongerMatches) return 0;
          string++;
          stringLen--;
        }
        *skipLongerMatches = 1;
        return 0;
      case '?':
        string++;
        stringLen--;
        break;
      case '[': {
        int negate, match;
        pattern++;
        patternLen--;
        negate = pattern[0] == '^';
        if (negate) {
          pattern++;
          patternLen--;
        }
        match = 0;
        while (1) {
          if (pattern[0] == '\\' && patternLen >= 2) {
            pattern++;
            patternLen--;
            if (pattern[0] == string[0]) match = 1;
          } else if (pattern[0] == ']') {
            break;
          } else if (patternLen == 0) {
            pattern--;
            patternLen++;
            break;
          } else if (patternLen >= 3 && pattern[1] == '-') {
            int start = pattern[0];
            int end = pattern[2];
            int c = string[0];
            if (start > end) {
              int t = start;
              start = end;
              end = t;
            }
            pattern += 2;
            patternLen -= 2;
            if (c >= start && c <= end) match = 1;
          } else {
            if (pattern[0] == string[0]) match = 1;
          }
          pattern++;
          patternLen--;
        }
        if (negate) match = !match;
        if (!match) return 0;
        string++;
        stringLen--;
        break;
      }
      case '\\':
        if (patternLen >= 2) {
          pattern++;
          patternLen--;
        }
        /* fall through */
      default:
        if (pattern[0] != string[0]) return 0;
        string++;
        stringLen--;
        break;
    }
    pattern++;
    patternLen--;
    if (stringLen == 0) {
      while (*pattern == '*') {
        pattern++;
        patternLen--;
      }
      break;
    }
  }
  if (patternLen == 0 && stringLen == 0) return 1;
  return 0;
}

bool RedisGlob(const std::string& pattern, const std::string& text) {
  int skip = 0;
  return RedisStringMatchLen(pattern.c_str(), static_cast<int>(pattern.size()), text.c_str(),
                             static_cast<int>(text.size()), &skip) != 0;
}

TEST(GlobMatchTest, TableAgreesWithRedisOracle) {
  // Guards the table itself: every expectation above is what Redis computes.
  for (const GlobCase& c : kGlobCases) {
    if (c.text[0] == '\0') continue;  // Channel names are never empty.
    EXPECT_EQ(RedisGlob(c.pattern, c.text), c.match) << "pattern '" << c.pattern << "' text '" << c.text << "'";
  }
}

TEST(GlobMatchTest, RandomPatternsAgreeWithRedisOracle) {
  // Small alphabets make metacharacter interactions frequent. Fixed seed.
  std::mt19937 rng(7);
  const std::string pattern_alphabet = "ab*?[]^-\\";
  const std::string text_alphabet = "ab]^-\\*?[";
  std::uniform_int_distribution<size_t> pick_p(0, pattern_alphabet.size() - 1);
  std::uniform_int_distribution<size_t> pick_t(0, text_alphabet.size() - 1);
  std::uniform_int_distribution<int> pattern_length(1, 8);
  std::uniform_int_distribution<int> text_length(1, 6);
  int matches = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string pattern;
    std::string text;
    for (int k = pattern_length(rng); k > 0; --k) pattern += pattern_alphabet[pick_p(rng)];
    for (int k = text_length(rng); k > 0; --k) text += text_alphabet[pick_t(rng)];
    bool expected = RedisGlob(pattern, text);
    matches += expected;
    ASSERT_EQ(GlobMatch(pattern, text), expected) << "pattern '" << pattern << "' text '" << text << "'";
  }
  EXPECT_GT(matches, 1000);  // The generator really exercises matching cases.
}

TEST(GlobMatchTest, NonAsciiRangesCompareLikeRedis) {
  // Redis compares bytes as (signed) char; ranges over high bytes must agree.
  const std::vector<std::string> patterns = {"[\xC3-\xC4]*", "[a-\xC3]", "[^\x80-\xBF]?", "\xC3?"};
  const std::vector<std::string> texts = {"\xC3\xA9", "a", "z", "\xC4\x80", "\xE2\x82\xAC", "\x7F"};
  for (const auto& pattern : patterns) {
    for (const auto& text : texts) {
      EXPECT_EQ(GlobMatch(pattern, text), RedisGlob(pattern, text))
          << testing::PrintToString(pattern) << " vs " << testing::PrintToString(text);
    }
  }
}

TEST(GlobMatchTest, ManyStarsDoNotBlowUp) {
  // A naive backtracking matcher is exponential here; this must just finish.
  const std::string text(10000, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("a*a*a*a*a*a*a*a*a", text));
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*?b", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*?", text));
}

TEST(UniqueChannelsTest, KeepsFirstSeenOrderAndDropsDuplicates) {
  std::vector<std::string> names;
  UniqueChannels unique(&names, 100);
  // Enough names that both the linear and the hashed lookup are used.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      UniqueChannels::AddResult expected =
          round == 0 ? UniqueChannels::AddResult::kAdded : UniqueChannels::AddResult::kDuplicate;
      EXPECT_EQ(unique.Add("c" + std::to_string(i)), expected) << round << " " << i;
    }
  }
  ASSERT_EQ(names.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(names[i], "c" + std::to_string(i));
}

TEST(UniqueChannelsTest, RefusesNewNamesOverTheLimitButNotDuplicates) {
  for (size_t limit : {size_t{1}, size_t{3}, size_t{16}, size_t{17}, size_t{50}}) {
    std::vector<std::string> names;
    UniqueChannels unique(&names, limit);
    for (size_t i = 0; i < limit; ++i) {
      ASSERT_EQ(unique.Add("c" + std::to_string(i)), UniqueChannels::AddResult::kAdded) << limit;
    }
    EXPECT_EQ(unique.Add("c0"), UniqueChannels::AddResult::kDuplicate) << limit;
    EXPECT_EQ(unique.Add("new"), UniqueChannels::AddResult::kTooMany) << limit;
    EXPECT_EQ(names.size(), limit);
  }
}

TEST(UniqueChannelsTest, HundredThousandNamesInLinearTime) {
  std::vector<std::string> names;
  UniqueChannels unique(&names, 1000000);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) unique.Add("channel-" + std::to_string(i));
  for (int i = 0; i < 100000; ++i) unique.Add("channel-" + std::to_string(i));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // Quadratic took 10 s.
  EXPECT_EQ(names.size(), 100000u);
}

}  // namespace
}  // namespace ssebridge
